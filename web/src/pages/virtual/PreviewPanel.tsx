/**
 * What a preview shows: the resulting series in the house chart (non-actual slots shaded by quality), the total and
 * the slots per quality, and the inputs with how many non-actual slots each one caused.
 */
import { useMemo } from 'preact/hooks';
import type { Preview } from '../../api-virtual.ts';
import { Chart, QualityLegend } from '../../components/Chart.tsx';
import { fmtNum } from '../../format.ts';
import { t } from '../../i18n/pt-BR.ts';
import { href } from '../../router.ts';
import { toTyped } from '../../series.ts';

const QUALITIES = ['A', 'S', 'E', 'M', 'N'] as const;

/** Non-actual slots each input was named responsible for. */
export function blameCounts(p: Preview): number[] {
  const out = new Array(p.inputs.length).fill(0);
  for (const d of p.days) {
    for (const r of d.reasonInput) if (r !== null && r >= 0 && r < out.length) out[r]++;
  }
  return out;
}

export function InputLink({ input }: { input: Preview['inputs'][number] }) {
  const target =
    input.kind === 'virtual' && input.name ? `/virtuais/${encodeURIComponent(input.name)}` : `/ponto/${input.code}`;
  return (
    <a href={href(target)}>
      <code>{input.label}</code>
    </a>
  );
}

export function PreviewPanel({ preview, stale }: { preview: Preview; stale: boolean }) {
  const typed = useMemo(() => toTyped({ quantityCode: null, unit: preview.unit, days: preview.days }), [preview]);
  const series = useMemo(
    () => [{ label: preview.unit || t.chart.value, color: '#1d4ed8', y: typed.y, quality: typed.quality }],
    [typed, preview.unit],
  );
  const blame = useMemo(() => blameCounts(preview), [preview]);
  const hasData = typed.y.some((v) => !Number.isNaN(v));
  return (
    <div class="virtual-preview" style={{ opacity: stale ? 0.55 : 1 }} aria-busy={stale}>
      <p class="meta">
        {preview.resolution === 'hour' ? t.virtuais.hourly : t.virtuais.perSlot} · {t.virtuais.total}:{' '}
        <strong>
          {preview.total === null ? t.common.none : fmtNum(preview.total, 3)} {preview.unit}
        </strong>
        {preview.divZeroCount > 0 ? ` · ${t.virtuais.divZero(preview.divZeroCount)}` : ''}
      </p>
      {typed.x.length > 0 && hasData ? (
        <figure class="chart-box preview-chart">
          <figcaption>
            {t.virtuais.previewOf} <QualityLegend labels={t.ponto.qualities} />
          </figcaption>
          <Chart x={typed.x} series={series} intervalS={typed.intervalS} unit={preview.unit} height={220} />
        </figure>
      ) : (
        <p class="state empty">{t.virtuais.previewEmpty}</p>
      )}
      <div class="table-wrap short">
        <table class="preview-counts">
          <thead>
            <tr>
              {QUALITIES.map((q) => (
                <th key={q}>{t.ponto.qualities[q]}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              {QUALITIES.map((q) => (
                <td key={q}>{preview.counts[q] ?? 0}</td>
              ))}
            </tr>
          </tbody>
        </table>
      </div>
      <h3>{t.virtuais.inputs}</h3>
      <div class="table-wrap short">
        <table class="preview-inputs">
          <thead>
            <tr>
              <th>{t.virtuais.input}</th>
              <th>{t.virtuais.inputKind}</th>
              <th>{t.virtuais.blamed}</th>
            </tr>
          </thead>
          <tbody>
            {preview.inputs.map((i, n) => (
              <tr key={i.label}>
                <td>
                  <InputLink input={i} />
                </td>
                <td>{t.virtuais.kinds[i.kind]}</td>
                <td>{blame[n]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
