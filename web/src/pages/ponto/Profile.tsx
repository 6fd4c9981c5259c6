/** The load profile of a point: one chart per series (channel or quantity), zoomed together, quality shaded. */
import { useMemo } from 'preact/hooks';
import { get, type Intervals } from '../../api.ts';
import { Chart, QualityLegend } from '../../components/Chart.tsx';
import { Section, useAsync, View } from '../../components/ui.tsx';
import { quantityName, t } from '../../i18n/pt-BR.ts';
import { type TypedSeries, toTyped } from '../../series.ts';

const COLORS = ['#1d4ed8', '#047857', '#b45309', '#7c3aed', '#be123c', '#0e7490'];

export function seriesTitle(s: TypedSeries): string {
  const q = quantityName(s.quantityCode, s.unit);
  if (!s.role) return q;
  return `${t.meters.roles[s.role] ?? s.role} ${s.meterSerial} · ${t.chart.channel(s.channel)} · ${q}`;
}

type ZoomFn = (r: { min: number; max: number } | null) => void;

function ProfileChart({ s, color, group, onZoom }: { s: TypedSeries; color: string; group: string; onZoom?: ZoomFn }) {
  const chartSeries = useMemo(
    () => [{ label: s.unit || t.chart.value, color, y: s.y, quality: s.quality }],
    [s, color],
  );
  return (
    <figure class="chart-box">
      <figcaption>{seriesTitle(s)}</figcaption>
      <Chart x={s.x} series={chartSeries} intervalS={s.intervalS} unit={s.unit} group={group} onZoom={onZoom} />
    </figure>
  );
}

export function Profile({
  code,
  from,
  to,
  layer,
  version,
  onSeries,
  onZoom,
}: {
  code: string;
  from: string;
  to: string;
  layer: string;
  version: number;
  onSeries?: (s: TypedSeries[]) => void;
  onZoom?: ZoomFn;
}) {
  const state = useAsync(async () => {
    const r = await get<Intervals>(`/points/${code}/intervals`, { layer, from, to });
    const typed = r.series.map(toTyped).filter((s) => s.x.length > 0);
    onSeries?.(typed);
    return typed;
  }, [code, from, to, layer, version]);
  return (
    <Section
      title={`${t.ponto.profile} (${t.ponto.layers[layer] ?? layer})`}
      actions={<QualityLegend labels={t.ponto.qualities} />}
    >
      <p class="hint">{t.ponto.zoomHint}</p>
      <View state={state} isEmpty={(d) => d.length === 0} empty={t.ponto.profileEmpty}>
        {(series) =>
          series.map((s, i) => (
            <ProfileChart
              key={s.key}
              s={s}
              color={COLORS[i % COLORS.length]}
              group={`profile-${code}`}
              onZoom={i === 0 ? onZoom : undefined}
            />
          ))
        }
      </View>
    </Section>
  );
}
