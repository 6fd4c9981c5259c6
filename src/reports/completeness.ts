/**
 * Report: completeness of the collected data (raw layer, "100% da memória de massa") per point and operating day —
 * percentage and missing intervals, as a coloured map (PDF, XLSX) or rows (CSV, XLSX).
 *
 * A point-day's figure counts its principal meter(s) (two on a swap day), or every meter when no principal is
 * registered, over their registered channels (src/collect/completeness.ts) — the rule the API's completeness view
 * uses. A day on which no meter of the point was valid has no figure ("sem medidor").
 */
import { dayCompleteness, missingRanges } from '../collect/completeness.ts';
import { addDays } from '../domain/time.ts';
import type { Db } from '../store/registry.ts';
import { veeQuery } from '../store/vee-final.ts';
import { type CsvColumn, type CsvValue, writeCsv } from './csv.ts';
import { dayCell, fmtDay, fmtDayShort, fmtInstant, fmtNumber, wallCell } from './format.ts';
import { type PdfColumn, PdfReport, PdfTable } from './pdf.ts';
import type { ReportPoint } from './points.ts';
import { type XlsxColumn, XlsxReport } from './xlsx.ts';

export interface CompletenessDay {
  day: string;
  /** Expected intervals (0: no meter valid that day). */
  slots: number;
  filled: number;
  missing: number;
  /** 0…100, null when there was nothing to expect. */
  percent: number | null;
}

export interface PointCompletenessReport {
  point: ReportPoint;
  /** Every day of the range, in order. */
  days: CompletenessDay[];
  slots: number;
  filled: number;
  missing: number;
  percent: number | null;
}

export function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

const percentOf = (filled: number, slots: number): number | null => (slots === 0 ? null : (100 * filled) / slots);

interface MeterFigure {
  role: string;
  slots: number;
  filled: number;
}

/** The report rows of a batch of points from collect's per meter/channel/day figures. */
export async function completenessOfPoints(
  db: Db,
  points: readonly ReportPoint[],
  from: string,
  to: string,
): Promise<PointCompletenessReport[]> {
  if (points.length === 0) return [];
  const meters = await veeQuery<{ id: number }>(db, 'SELECT id FROM meter WHERE point_id = ANY($1::bigint[])', [
    points.map((p) => p.id),
  ]);
  const rows =
    meters.length === 0
      ? []
      : await dayCompleteness(db, { fromDay: from, toDay: to, meterIds: meters.map((m) => Number(m.id)) });
  const figures = new Map<string, Map<number, MeterFigure>>();
  for (const r of rows) {
    const key = `${r.pointCode}|${r.day}`;
    let ms = figures.get(key);
    if (!ms) {
      ms = new Map();
      figures.set(key, ms);
    }
    const m = ms.get(r.meterId) ?? { role: r.role, slots: 0, filled: 0 };
    m.slots += r.slots;
    m.filled += r.filled;
    ms.set(r.meterId, m);
  }
  const days = daysOf(from, to);
  return points.map((point) => {
    let slots = 0;
    let filled = 0;
    const out: CompletenessDay[] = days.map((day) => {
      const ms = [...(figures.get(`${point.code}|${day}`)?.values() ?? [])];
      const principal = ms.filter((m) => m.role === 'principal');
      const counted = principal.length > 0 ? principal : ms;
      const s = counted.reduce((a, m) => a + m.slots, 0);
      const f = counted.reduce((a, m) => a + m.filled, 0);
      slots += s;
      filled += f;
      return { day, slots: s, filled: f, missing: s - f, percent: percentOf(f, s) };
    });
    return { point, days: out, slots, filled, missing: slots - filled, percent: percentOf(filled, slots) };
  });
}

/**
 * Points in batches (one query per batch), so a report over thousands of points holds one batch at a time. The
 * default batch keeps a query near 8,000 point-days (~50,000 meter-channel-day rows with two meters of three
 * channels).
 */
export async function* loadCompleteness(
  db: Db,
  points: readonly ReportPoint[],
  from: string,
  to: string,
  batch = Math.min(200, Math.max(1, Math.floor(8000 / daysOf(from, to).length))),
): AsyncGenerator<PointCompletenessReport> {
  for (let i = 0; i < points.length; i += batch) {
    yield* await completenessOfPoints(db, points.slice(i, i + batch), from, to);
  }
}

export interface MissingRangeRow {
  serial: string;
  role: string;
  /** End instants (ms) of the first and last missing intervals of the run. */
  firstEnd: number;
  lastEnd: number;
  intervals: number;
}

export interface PointMissingRanges {
  point: ReportPoint;
  ranges: MissingRangeRow[];
}

/**
 * Runs of missing intervals per meter (src/collect/completeness.ts missingRanges: a slot missing on any registered
 * channel counts, no slot after `until`), of the meters the completeness figure counts: the principal(s), or every
 * meter of a point without one. Points in batches, each point once, in the given order.
 */
export async function* loadMissingRanges(
  db: Db,
  points: readonly ReportPoint[],
  from: string,
  to: string,
  until: Date,
  batch = 50,
): AsyncGenerator<PointMissingRanges> {
  for (let i = 0; i < points.length; i += batch) {
    const part = points.slice(i, i + batch);
    const meters = await veeQuery<{ id: number; point_id: number; serial: string; role: string }>(
      db,
      'SELECT id, point_id, serial, role FROM meter WHERE point_id = ANY($1::bigint[])',
      [part.map((p) => p.id)],
    );
    const byPoint = new Map<number, typeof meters>();
    for (const m of meters) {
      const list = byPoint.get(Number(m.point_id)) ?? [];
      list.push(m);
      byPoint.set(Number(m.point_id), list);
    }
    const counted = new Map<number, { serial: string; role: string; pointId: number }>();
    for (const [pointId, list] of byPoint) {
      const principal = list.filter((m) => m.role === 'principal');
      for (const m of principal.length > 0 ? principal : list) {
        counted.set(Number(m.id), { serial: m.serial, role: m.role, pointId });
      }
    }
    const ranges =
      counted.size === 0
        ? []
        : await missingRanges(db, { fromDay: from, toDay: to, until, meterIds: [...counted.keys()] });
    const out = new Map<number, MissingRangeRow[]>();
    for (const r of ranges) {
      const m = counted.get(r.meterId);
      if (!m) continue;
      const list = out.get(m.pointId) ?? [];
      list.push({
        serial: m.serial,
        role: m.role,
        firstEnd: r.firstEnd.getTime(),
        lastEnd: r.lastEnd.getTime(),
        intervals: r.intervals,
      });
      out.set(m.pointId, list);
    }
    for (const p of part) yield { point: p, ranges: out.get(p.id) ?? [] };
  }
}

export interface CompletenessMeta {
  from: string;
  to: string;
  generatedAt: number;
  /** e.g. '12 pontos' or 'etiqueta X'. */
  scope: string;
}

/** Cell colour of a percentage: green (complete) to red; grey without a figure. */
export function completenessColor(percent: number | null): string {
  if (percent === null) return 'EEEEEE';
  if (percent >= 100) return 'C8E6C9';
  if (percent >= 99) return 'E6EE9C';
  if (percent >= 95) return 'FFF59D';
  if (percent >= 80) return 'FFCC80';
  return 'EF9A9A';
}

const LEGEND: [string, number | null][] = [
  ['100 %', 100],
  ['99 a 99,99 %', 99],
  ['95 a 98,99 %', 95],
  ['80 a 94,99 %', 80],
  ['abaixo de 80 %', 0],
  ['sem medidor', null],
];

function cellText(d: { percent: number | null; missing: number }): string {
  if (d.percent === null) return '—';
  const pct = d.percent >= 100 ? '100 %' : `${fmtNumber(Math.floor(d.percent * 100) / 100, 2)} %`;
  return d.missing > 0 ? `${pct}\n${d.missing} falt.` : pct;
}

const DATA_NOTE = 'dados: memória de massa coletada (camada bruta)';

/** Missing runs listed per point in the PDF before the list is cut (the XLSX has them all). */
const MAX_RANGES_PDF = 60;

export async function writeCompletenessPdf(
  source: AsyncIterable<PointCompletenessReport>,
  out: NodeJS.WritableStream,
  meta: CompletenessMeta,
  ranges?: AsyncIterable<PointMissingRanges>,
): Promise<void> {
  const r = new PdfReport(out, {
    title: 'Completude da coleta por ponto e dia',
    subtitle: `Período: ${fmtDay(meta.from)} a ${fmtDay(meta.to)} · ${meta.scope}`,
    dataNote: DATA_NOTE,
    generatedAt: meta.generatedAt,
    layout: 'landscape',
  });
  r.paragraph(
    'Cada célula mostra a porcentagem de intervalos recebidos do medidor principal (ou de todos os medidores, ' +
      'quando o ponto não tem principal) em todos os canais registrados, e quantos intervalos faltam.',
  );
  const legend = new PdfTable(
    r,
    LEGEND.map(([label]) => ({ header: label, width: 80, align: 'center' as const })),
    { fontSize: 7 },
  );
  legend.row(
    LEGEND.map(() => ''),
    { fills: LEGEND.map(([, p]) => `#${completenessColor(p)}`) },
  );
  legend.end();

  const days = daysOf(meta.from, meta.to);
  const codeW = 96;
  const totalW = 62;
  const dayW = 44;
  const perBlock = Math.max(1, Math.floor((r.width - codeW - totalW) / dayW));
  const blocks: string[][] = [];
  for (let i = 0; i < days.length; i += perBlock) blocks.push(days.slice(i, i + perBlock));
  // Rows of points per page (a 2-line row is 23 pt): fewer on the first page, under the legend.
  const rowsPerPage = () => (first ? 15 : 19);
  let group: PointCompletenessReport[] = [];
  let first = true;
  const flush = async () => {
    for (const [b, block] of blocks.entries()) {
      if (!first) r.newPage();
      first = false;
      if (blocks.length > 1) r.paragraph(`Dias ${fmtDay(block[0])} a ${fmtDay(block[block.length - 1])}`, 8);
      const last = b === blocks.length - 1;
      const cols: PdfColumn[] = [
        { header: 'Ponto', width: codeW },
        ...block.map((d) => ({ header: fmtDayShort(d), width: dayW, align: 'center' as const })),
        ...(last ? [{ header: 'Período', width: totalW, align: 'center' as const }] : []),
      ];
      const t = new PdfTable(r, cols, { fontSize: 7, lines: 2 });
      const offset = blocks.slice(0, b).reduce((a, x) => a + x.length, 0);
      for (const p of group) {
        const cells = p.days.slice(offset, offset + block.length);
        t.row([`${p.point.code}\n${p.point.name}`, ...cells.map(cellText), ...(last ? [cellText(p)] : [])], {
          fills: [
            null,
            ...cells.map((c) => `#${completenessColor(c.percent)}`),
            ...(last ? [`#${completenessColor(p.percent)}`] : []),
          ],
        });
      }
      t.end();
    }
    group = [];
    await r.relieve();
  };
  for await (const p of source) {
    group.push(p);
    if (group.length >= rowsPerPage()) await flush();
  }
  if (group.length > 0 || first) await flush();
  if (ranges) await writeRangesPdf(r, ranges);
  await r.end();
}

async function writeRangesPdf(r: PdfReport, ranges: AsyncIterable<PointMissingRanges>): Promise<void> {
  r.newPage();
  r.heading('Intervalos faltantes (sequências por medidor)');
  r.paragraph(
    'Sequências de intervalos sem leitura em algum canal registrado do medidor contado na completude, pelo fim do ' +
      'primeiro e do último intervalo (horário de Brasília).',
    8,
  );
  const t = new PdfTable(r, [
    { header: 'Ponto', width: 110 },
    { header: 'Medidor', width: 90 },
    { header: 'Papel', width: 70 },
    { header: 'Primeiro (fim)', width: 110 },
    { header: 'Último (fim)', width: 110 },
    { header: 'Intervalos', width: 70, align: 'right' },
  ]);
  let any = false;
  for await (const p of ranges) {
    const shown = p.ranges.slice(0, MAX_RANGES_PDF);
    for (const x of shown) {
      any = true;
      t.row([
        p.point.code,
        x.serial,
        x.role,
        fmtInstant(x.firstEnd, p.point.timezone),
        fmtInstant(x.lastEnd, p.point.timezone),
        String(x.intervals),
      ]);
    }
    if (p.ranges.length > shown.length) {
      r.paragraph(
        `${p.point.code}: … e mais ${p.ranges.length - shown.length} sequências (lista completa no XLSX).`,
        7.5,
      );
    }
    await r.relieve();
  }
  t.end();
  if (!any) r.paragraph('Nenhum intervalo faltante no período.', 9);
}

/** Two sheets: the coloured map (points × days, percentage) and one row per point-day. Reads `source` twice. */
export async function writeCompletenessXlsx(
  source: () => AsyncIterable<PointCompletenessReport>,
  out: NodeJS.WritableStream | string,
  meta: CompletenessMeta,
  ranges?: () => AsyncIterable<PointMissingRanges>,
): Promise<void> {
  const x = XlsxReport.open(out);
  try {
    const days = daysOf(meta.from, meta.to);
    const map = x.sheet('Mapa', [
      { header: 'Ponto', kind: 'text', width: 16 },
      { header: 'Nome', kind: 'text', width: 24 },
      ...days.map((d): XlsxColumn => ({ header: fmtDay(d), kind: 'percent', width: 11 })),
      { header: 'Período', kind: 'percent', width: 11 },
    ]);
    for await (const p of source()) {
      const pct = (v: number | null) => (v === null ? null : v / 100);
      await map.add(
        [p.point.code, p.point.name, ...p.days.map((d) => pct(d.percent)), pct(p.percent)],
        [null, null, ...p.days.map((d) => completenessColor(d.percent)), completenessColor(p.percent)],
      );
    }
    map.done();
    const rows = x.sheet(
      'Por dia',
      COLUMNS.map((c) => ({ header: c.header, kind: c.kind === 'day' ? 'date' : c.kind, width: 14 })),
    );
    for await (const p of source()) {
      for (const d of p.days) {
        await rows.add(
          [
            p.point.code,
            p.point.name,
            dayCell(d.day),
            d.slots,
            d.filled,
            d.missing,
            d.percent === null ? null : d.percent / 100,
          ],
          [null, null, null, null, null, null, completenessColor(d.percent)],
        );
      }
    }
    rows.done();
    if (ranges) {
      const gaps = x.sheet('Faltantes', [
        { header: 'Ponto', kind: 'text', width: 16 },
        { header: 'Medidor', kind: 'text', width: 12 },
        { header: 'Papel', kind: 'text', width: 11 },
        { header: 'Primeiro intervalo (fim)', kind: 'datetime', width: 22 },
        { header: 'Último intervalo (fim)', kind: 'datetime', width: 22 },
        { header: 'Intervalos', kind: 'count', width: 11 },
      ]);
      for await (const p of ranges()) {
        for (const g of p.ranges) {
          const zone = p.point.timezone;
          await gaps.add([
            p.point.code,
            g.serial,
            g.role,
            wallCell(g.firstEnd, zone),
            wallCell(g.lastEnd, zone),
            g.intervals,
          ]);
        }
      }
      gaps.done();
    }
    await x.close();
  } catch (e) {
    x.abort();
    throw e;
  }
}

const COLUMNS: CsvColumn[] = [
  { header: 'Ponto', kind: 'text' },
  { header: 'Nome', kind: 'text' },
  { header: 'Data', kind: 'day' },
  { header: 'Intervalos esperados', kind: 'count' },
  { header: 'Intervalos recebidos', kind: 'count' },
  { header: 'Intervalos faltantes', kind: 'count' },
  { header: 'Completude (%)', kind: 'percent' },
];

export async function writeCompletenessCsv(
  source: AsyncIterable<PointCompletenessReport>,
  out: NodeJS.WritableStream,
): Promise<void> {
  async function* rows(): AsyncGenerator<CsvValue[]> {
    for await (const p of source) {
      for (const d of p.days) yield [p.point.code, p.point.name, d.day, d.slots, d.filled, d.missing, d.percent];
    }
  }
  await writeCsv(COLUMNS, rows(), out);
}
