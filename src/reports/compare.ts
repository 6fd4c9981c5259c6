/**
 * Report: principal × retaguarda per point over a date range. The data are the VEE comparison
 * (src/vee/compare.ts comparePoint, via comparePointRange) — the same figures as the API view and the CSV/XLSX
 * writers of src/vee/compare-report.ts, which this module reuses for those two formats. The PDF adds, per point and
 * kWh channel, a chart of both profiles and their difference, the daily totals, and the intervals beyond tolerance.
 *
 * The PDF is written one point at a time (one point's range in memory). The CSV/XLSX writers of compare-report.ts
 * take the whole list of comparisons, so those two formats hold every point-day of the report in memory (the API
 * bounds points × days for them).
 */
import type { Store } from '../store/pool.ts';
import {
  compareRange,
  type PointDayComparison,
  type QuantityComparison,
  slotLabels,
  usedLabel,
} from '../vee/compare.ts';
import {
  type ComparisonLevel,
  type ComparisonRow,
  writeComparisonCsv,
  writeComparisonXlsx,
} from '../vee/compare-report.ts';
import { comparePointRange } from '../vee/service.ts';
import { channelLabel, fmtDay, fmtDayShort, fmtNumber, fmtPercent } from './format.ts';
import { PdfReport, PdfTable } from './pdf.ts';
import { drawProfileChart } from './pdf-chart.ts';
import type { ReportPoint } from './points.ts';

export interface PointComparisons {
  point: ReportPoint;
  /** The days with data of both meters, in order. */
  days: PointDayComparison[];
}

export async function* loadComparisons(
  store: Store,
  points: readonly ReportPoint[],
  from: string,
  to: string,
): AsyncGenerator<PointComparisons> {
  for (const point of points) yield { point, days: await comparePointRange(store, point.id, from, to) };
}

export interface CompareMeta {
  from: string;
  to: string;
  generatedAt: number;
  scope: string;
  /** Intervals beyond tolerance listed per point and channel before the list is cut (default 200). */
  maxBeyondRows?: number;
}

/** Up to this many days the chart shows every interval; longer ranges show hourly sums. */
export const CHART_INTERVAL_DAYS = 3;

const COLORS = { principal: '#1f5fa8', retaguarda: '#e07b00', diff: '#c62828' };

interface ChartData {
  principal: Float64Array;
  retaguarda: Float64Array;
  diff: Float64Array;
  ticks: { index: number; label: string }[];
  resolution: 'interval' | 'hour';
}

/** The series of one quantity over the range: intervals for short ranges, hourly sums otherwise. */
export function chartData(days: readonly PointDayComparison[], code: number): ChartData {
  const qs = days
    .map((d) => ({ day: d.day, zone: d.zone, q: d.quantities.find((q) => q.quantityCode === code) }))
    .filter((x): x is { day: string; zone: string; q: QuantityComparison } => x.q !== undefined);
  const resolution = qs.length <= CHART_INTERVAL_DAYS ? 'interval' : 'hour';
  const n = qs.reduce((a, x) => a + (resolution === 'interval' ? x.q.slots : x.q.hours.length), 0);
  const principal = new Float64Array(n);
  const retaguarda = new Float64Array(n);
  const diff = new Float64Array(n);
  const ticks: { index: number; label: string }[] = [];
  let i = 0;
  for (const { day, zone, q } of qs) {
    if (resolution === 'interval') {
      const labels = slotLabels(day, q.slots, q.intervalS, zone);
      for (let k = 0; k < q.slots; k++) {
        const end = labels.end[k];
        // Over several days the day's date marks midnight instead of '24:00'.
        if (qs.length > 1 && end === '24:00') continue;
        if (end.endsWith(':00') && Number(end.slice(0, 2)) % (qs.length === 1 ? 3 : 6) === 0) {
          ticks.push({ index: i + k, label: end });
        }
      }
      if (qs.length > 1) ticks.push({ index: i, label: fmtDayShort(day) });
      principal.set(q.principal, i);
      retaguarda.set(q.retaguarda, i);
      diff.set(q.diff, i);
      i += q.slots;
    } else {
      ticks.push({ index: i, label: fmtDayShort(day) });
      for (const h of q.hours) {
        principal[i] = h.principal ?? Number.NaN;
        retaguarda[i] = h.retaguarda ?? Number.NaN;
        diff[i] = h.diff ?? Number.NaN;
        i++;
      }
    }
  }
  ticks.sort((a, b) => a.index - b.index);
  return { principal, retaguarda, diff, ticks, resolution };
}

function codesOf(days: readonly PointDayComparison[]): number[] {
  const codes = new Set<number>();
  for (const d of days) for (const q of d.quantities) if (q.unit === 'kWh') codes.add(q.quantityCode);
  return [...codes].sort((a, b) => (a === 1 ? -1 : b === 1 ? 1 : a - b));
}

const BEYOND_FILL = '#fde0dc';

function writePoint(r: PdfReport, p: PointComparisons, maxBeyond: number): void {
  r.heading(`${p.point.code} — ${p.point.name}`);
  const codes = codesOf(p.days);
  if (codes.length === 0) {
    r.paragraph(
      'Sem comparação no período: o ponto não tem dados de medidor principal e de retaguarda para o mesmo canal ' +
        'de energia ativa nestes dias.',
    );
    return;
  }
  const totals = compareRange(p.days).quantities;
  for (const code of codes) {
    const label = channelLabel(code);
    const tol = p.days.flatMap((d) => d.quantities).find((q) => q.quantityCode === code)!.tolerances;
    r.ensure(260);
    r.heading(`Canal ${label} (kWh)`, 11);
    const c = chartData(p.days, code);
    const chartH = 200;
    const chartY = r.y;
    drawProfileChart(r.doc, {
      x: r.left,
      y: chartY,
      width: r.width,
      height: chartH,
      series: [
        { label: 'Principal', color: COLORS.principal, values: c.principal },
        { label: 'Retaguarda', color: COLORS.retaguarda, values: c.retaguarda },
      ],
      diff: { label: 'Diferença (principal - retaguarda)', color: COLORS.diff, values: c.diff },
      ticks: c.ticks,
      unit: 'kWh',
    });
    r.y = chartY + chartH + 6;
    r.paragraph(
      `${c.resolution === 'interval' ? 'Gráfico por intervalo' : 'Gráfico por hora (somas dos intervalos presentes nos dois medidores)'}. ` +
        `Tolerâncias: intervalo ${fmtPercent(tol.intervalPct)}, hora ${fmtPercent(tol.hourlyPct)}, dia ${fmtPercent(tol.dailyPct)}; ` +
        'diferença % sobre o principal.',
      7.5,
      '#555555',
    );

    r.heading('Totais diários', 10);
    const t = new PdfTable(r, [
      { header: 'Data', width: 62 },
      { header: 'Principal (kWh)', width: 84, align: 'right' },
      { header: 'Retaguarda (kWh)', width: 84, align: 'right' },
      { header: 'Diferença (kWh)', width: 80, align: 'right' },
      { header: 'Diferença (%)', width: 64, align: 'right' },
      { header: 'Comparados', width: 60, align: 'right' },
      { header: 'Falt. principal', width: 66, align: 'right' },
      { header: 'Falt. retaguarda', width: 72, align: 'right' },
      { header: 'Interv. fora', width: 56, align: 'right' },
      { header: 'Horas fora', width: 52, align: 'right' },
      { header: 'Dia fora', width: 44, align: 'center' },
    ]);
    for (const d of p.days) {
      const q = d.quantities.find((x) => x.quantityCode === code);
      if (!q) continue;
      const day = q.day;
      t.row(
        [
          fmtDay(d.day),
          fmtNumber(day.principal, 3),
          fmtNumber(day.retaguarda, 3),
          fmtNumber(day.diff, 3),
          fmtPercent(day.pct, 2),
          String(day.compared),
          String(day.missingPrincipal),
          String(day.missingRetaguarda),
          String(q.beyond.length),
          String(q.hours.filter((h) => h.beyond).length),
          day.beyond ? 'sim' : 'não',
        ],
        { fills: day.beyond ? new Array(11).fill(BEYOND_FILL) : undefined },
      );
    }
    const tt = totals.find((x) => x.quantityCode === code);
    if (tt) {
      t.row(
        [
          'Período',
          fmtNumber(tt.principal, 3),
          fmtNumber(tt.retaguarda, 3),
          fmtNumber(tt.diff, 3),
          fmtPercent(tt.pct, 2),
          String(tt.compared),
          String(tt.missingPrincipal),
          String(tt.missingRetaguarda),
          String(tt.beyondIntervals),
          String(tt.beyondHours),
          `${tt.beyondDays} d`,
        ],
        { bold: true, fills: new Array(11).fill('#f2f2f2') },
      );
    }
    t.end();

    const beyondTotal = tt?.beyondIntervals ?? 0;
    r.heading(`Intervalos fora da tolerância (${beyondTotal})`, 10);
    if (beyondTotal === 0) {
      r.paragraph('Nenhum intervalo fora da tolerância no período.', 8);
      continue;
    }
    const b = new PdfTable(r, [
      { header: 'Data', width: 62 },
      { header: 'Fim do intervalo', width: 70 },
      { header: 'Principal (kWh)', width: 84, align: 'right' },
      { header: 'Retaguarda (kWh)', width: 84, align: 'right' },
      { header: 'Diferença (kWh)', width: 80, align: 'right' },
      { header: 'Diferença (%)', width: 64, align: 'right' },
      { header: 'Usado na série final', width: 120 },
    ]);
    let shown = 0;
    for (const d of p.days) {
      const q = d.quantities.find((x) => x.quantityCode === code);
      if (!q) continue;
      for (const x of q.beyond) {
        if (shown >= maxBeyond) break;
        b.row([
          fmtDay(d.day),
          x.end,
          fmtNumber(x.principal, 4),
          fmtNumber(x.retaguarda, 4),
          fmtNumber(x.diff, 4),
          fmtPercent(x.pct, 2),
          usedLabel(q.used[x.slot], q.usedMethod[x.slot]),
        ]);
        shown++;
      }
    }
    b.end();
    if (beyondTotal > shown) {
      r.paragraph(
        `… e mais ${beyondTotal - shown} intervalos; a lista completa está no relatório XLSX (aba "Fora da tolerância").`,
        8,
      );
    }
  }
}

export async function writeComparePdf(
  source: AsyncIterable<PointComparisons>,
  out: NodeJS.WritableStream,
  meta: CompareMeta,
): Promise<void> {
  const r = new PdfReport(out, {
    title: 'Comparação medidor principal × retaguarda',
    subtitle: `Período: ${fmtDay(meta.from)} a ${fmtDay(meta.to)} · ${meta.scope}`,
    dataNote: 'dados: memória de massa (camada bruta) e séries finais vigentes na geração',
    generatedAt: meta.generatedAt,
    layout: 'landscape',
  });
  const maxBeyond = meta.maxBeyondRows ?? 200;
  let first = true;
  for await (const p of source) {
    if (!first) r.newPage();
    first = false;
    writePoint(r, p, maxBeyond);
    await r.relieve();
  }
  if (first) r.paragraph('Nenhum ponto selecionado.');
  await r.end();
}

/** The report's points as comparison rows, one point's days at a time (nothing held beyond one point). */
async function* rowsOf(source: AsyncIterable<PointComparisons>): AsyncGenerator<ComparisonRow> {
  for await (const p of source) for (const cmp of p.days) yield { pointCode: p.point.code, cmp };
}

/** A source is read once; a function is called again for each pass over the report. */
type Comparisons = AsyncIterable<PointComparisons> | (() => AsyncIterable<PointComparisons>);

/**
 * The XLSX of src/vee/compare-report.ts over every point of the report. Its four sheets each walk the points; given
 * a function, each sheet loads them afresh, so memory stays flat however many point-days the report holds.
 */
export async function writeCompareXlsx(source: Comparisons, out: NodeJS.WritableStream | string): Promise<void> {
  if (typeof source === 'function') {
    await writeComparisonXlsx(() => rowsOf(source()), out);
    return;
  }
  // A one-shot source can only be walked once: keep its rows for the four sheets.
  const rows: ComparisonRow[] = [];
  for await (const r of rowsOf(source)) rows.push(r);
  await writeComparisonXlsx(rows, out);
}

/** The CSV of src/vee/compare-report.ts (interval level by default) over every point of the report, streamed. */
export async function writeCompareCsv(
  source: Comparisons,
  out: NodeJS.WritableStream,
  level: ComparisonLevel = 'interval',
): Promise<void> {
  const once = typeof source === 'function' ? source() : source;
  await writeComparisonCsv(() => rowsOf(once), out, { level });
}
