/** Principal × retaguarda: both series overlaid, their difference, and the intervals beyond tolerance. */
import { useMemo } from 'preact/hooks';
import { type Compare as CompareJson, get } from '../../api.ts';
import { Chart } from '../../components/Chart.tsx';
import { Section, useAsync, View } from '../../components/ui.tsx';
import { fmtDateTime, fmtNum, fmtPct } from '../../format.ts';
import { quantityName, t } from '../../i18n/pt-BR.ts';
import { brasiliaDayStart, type ComparisonSeries, comparisonSeries } from '../../series.ts';

const MAX_ROWS = 300;

function CompareQuantity({ c, group }: { c: ComparisonSeries; group: string }) {
  const overlay = useMemo(
    () => [
      { label: t.meters.roles.principal, color: '#1d4ed8', y: c.principal },
      { label: t.meters.roles.retaguarda, color: '#ea580c', y: c.retaguarda, dash: [6, 3] },
    ],
    [c],
  );
  const diff = useMemo(() => [{ label: t.ponto.difference, color: '#be123c', y: c.diff }], [c]);
  return (
    <div class="compare-quantity">
      <h3>{quantityName(c.quantityCode, c.unit)}</h3>
      <Chart x={c.x} series={overlay} intervalS={c.intervalS} unit={c.unit} group={group} />
      <figure class="chart-box">
        <figcaption>{t.ponto.difference}</figcaption>
        <Chart x={c.x} series={diff} intervalS={c.intervalS} unit={c.unit} height={160} group={group} />
      </figure>
      <h4>
        {t.ponto.beyond} ({c.beyond.length})
      </h4>
      {c.beyond.length === 0 ? (
        <p class="state empty">{t.ponto.beyondEmpty}</p>
      ) : (
        <div class="table-wrap short">
          <table>
            <thead>
              <tr>
                <th>{t.ponto.intervalEnd}</th>
                <th>{t.meters.roles.principal}</th>
                <th>{t.meters.roles.retaguarda}</th>
                <th>{t.ponto.difference}</th>
                <th>%</th>
              </tr>
            </thead>
            <tbody>
              {c.beyond.slice(0, MAX_ROWS).map((b) => (
                <tr key={`${b.day}-${b.slot}`}>
                  <td>{fmtDateTime(b.end)}</td>
                  <td class="num">{fmtNum(b.principal, 4)}</td>
                  <td class="num">{fmtNum(b.retaguarda, 4)}</td>
                  <td class="num">{fmtNum(b.diff, 4)}</td>
                  <td class="num">{fmtPct(b.pct)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function Compare({ code, from, to, version }: { code: string; from: string; to: string; version: number }) {
  const state = useAsync(async () => {
    const r = await get<CompareJson>(`/points/${code}/compare`, { from, to });
    return comparisonSeries(r.days, brasiliaDayStart).filter((c) => c.x.length > 0);
  }, [code, from, to, version]);
  return (
    <Section title={t.ponto.compare}>
      <View state={state} isEmpty={(d) => d.length === 0} empty={t.ponto.compareEmpty}>
        {(list) => list.map((c) => <CompareQuantity key={c.quantityCode} c={c} group={`compare-${code}`} />)}
      </View>
    </Section>
  );
}
