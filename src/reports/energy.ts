/**
 * Report: energy per point, operating day and hour, by channel (C, G, QC, QG…), from the CURRENT final series
 * (src/store/vee-final.ts), with the quality counts of each day and the final-series versions used.
 *
 * Hours are wall-clock hours of the point's zone by interval START (00:00 holds the intervals ending 00:05…01:00), as
 * in the principal × retaguarda report, so an old DST day has 23 or 25 rows. A missing interval (quality N, no value)
 * is left out of its hour's sum; an hour with no value at all is empty, not zero.
 */
import type { Db } from '../store/registry.ts';
import { getCurrentFinals } from '../store/vee-final.ts';
import { slotStartWallMinutes } from '../vee/slots.ts';
import { countQualities, type FinalDay, QUALITY_NAMES, type QualityCounts, type QualityName } from '../vee/types.ts';
import { type CsvColumn, type CsvValue, writeCsv } from './csv.ts';
import { channelLabel, dayCell, fmtDay, fmtNumber } from './format.ts';
import { type PdfColumn, PdfReport, PdfTable } from './pdf.ts';
import type { ReportPoint } from './points.ts';
import { type XlsxColumn, XlsxReport } from './xlsx.ts';

export interface EnergyChannel {
  quantityCode: number;
  unit: string;
  /** 'C', 'G', 'QC', 'QG' or the quantity's name. */
  label: string;
}

export interface EnergyDay {
  day: string;
  /** 'HH:00' per hour row. */
  hours: string[];
  /** [hour][channel]: energy, null when the hour has no value on that channel (or the channel no series). */
  values: (number | null)[][];
  /** Per channel: the day's total (null: no series or no value). */
  totals: (number | null)[];
  /** Per channel: slots per quality (null: no series that day). */
  counts: (QualityCounts | null)[];
  /** Per channel: the final-series version used (null: none). */
  versions: (number | null)[];
}

export interface PointEnergyReport {
  point: ReportPoint;
  channels: EnergyChannel[];
  days: EnergyDay[];
}

const ORDER = [1, 14, 10, 15, 11, 16];
const rank = (code: number) => {
  const i = ORDER.indexOf(code);
  return i < 0 ? 100 + code : i;
};

/** The hourly sums of one final series ('HH:00' of the slots' start; a clock going back starts a new hour). */
export function hourlySums(f: Pick<FinalDay, 'day' | 'slots' | 'intervalS' | 'value'>, zone: string) {
  const start = slotStartWallMinutes(f.day, f.slots, f.intervalS, zone);
  const hours: string[] = [];
  const values: (number | null)[] = [];
  let prev = -1;
  for (let k = 0; k < f.slots; k++) {
    const h = Math.floor(start[k] / 60);
    if (k === 0 || h !== prev || start[k] <= start[k - 1]) {
      hours.push(`${h < 10 ? '0' : ''}${h}:00`);
      values.push(null);
      prev = h;
    }
    const v = f.value[k];
    if (!Number.isNaN(v)) values[values.length - 1] = (values[values.length - 1] ?? 0) + v;
  }
  return { hours, values };
}

/** Pure: the report of one point from its final series over the range (any order). */
export function energyOfPoint(point: ReportPoint, finals: readonly FinalDay[]): PointEnergyReport {
  const codes = new Map<number, string>();
  for (const f of finals) if (!codes.has(f.quantityCode)) codes.set(f.quantityCode, f.unit);
  const channels = [...codes.entries()]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([quantityCode, unit]) => ({ quantityCode, unit, label: channelLabel(quantityCode) }));
  const index = new Map(channels.map((c, i) => [c.quantityCode, i]));
  const byDay = new Map<string, FinalDay[]>();
  for (const f of finals) {
    const list = byDay.get(f.day);
    if (list) list.push(f);
    else byDay.set(f.day, [f]);
  }
  const days: EnergyDay[] = [];
  for (const day of [...byDay.keys()].sort()) {
    const n = channels.length;
    const d: EnergyDay = {
      day,
      hours: [],
      values: [],
      totals: new Array(n).fill(null),
      counts: new Array(n).fill(null),
      versions: new Array(n).fill(null),
    };
    for (const f of byDay.get(day)!) {
      const c = index.get(f.quantityCode)!;
      const h = hourlySums(f, point.timezone);
      if (h.hours.length > d.hours.length) {
        for (let i = d.hours.length; i < h.hours.length; i++) d.values.push(new Array(n).fill(null));
        d.hours = h.hours;
      }
      h.values.forEach((v, i) => {
        d.values[i][c] = v;
      });
      let total: number | null = null;
      for (let k = 0; k < f.slots; k++) if (!Number.isNaN(f.value[k])) total = (total ?? 0) + f.value[k];
      d.totals[c] = total;
      d.counts[c] = countQualities(f);
      d.versions[c] = f.version;
    }
    days.push(d);
  }
  return { point, channels, days };
}

/** One point at a time (all its quantities, or those asked), so memory holds one point's range. */
export async function* loadEnergy(
  db: Db,
  points: readonly ReportPoint[],
  from: string,
  to: string,
  quantityCodes?: readonly number[],
): AsyncGenerator<PointEnergyReport> {
  for (const p of points) {
    yield energyOfPoint(p, await getCurrentFinals(db, [p.id], from, to, quantityCodes));
  }
}

export interface EnergyMeta {
  from: string;
  to: string;
  generatedAt: number;
  scope: string;
}

const QUALITY_LABEL: Record<QualityName, string> = {
  A: 'Real (A)',
  S: 'Substituído (S)',
  E: 'Estimado (E)',
  M: 'Manual (M)',
  N: 'Faltante (N)',
};
const QUALITY_ORDER: QualityName[] = ['A', 'S', 'E', 'M', 'N'];
const QUALITY_SHORT: Record<QualityName, string> = {
  A: 'Real (A)',
  S: 'Subst. (S)',
  E: 'Estim. (E)',
  M: 'Manual (M)',
  N: 'Falt. (N)',
};

function sumCounts(counts: readonly (QualityCounts | null)[]): QualityCounts {
  const t: QualityCounts = { N: 0, A: 0, S: 0, E: 0, M: 0 };
  for (const c of counts) if (c) for (const q of QUALITY_NAMES) t[q] += c[q];
  return t;
}

/** 'C: v1 (30 dias), v2 (1 dia)' per channel. */
export function versionSummary(r: PointEnergyReport): string[] {
  return r.channels.map((c, i) => {
    const n = new Map<number, number>();
    for (const d of r.days) {
      const v = d.versions[i];
      if (v !== null) n.set(v, (n.get(v) ?? 0) + 1);
    }
    const parts = [...n.entries()]
      .sort(([a], [b]) => a - b)
      .map(([v, k]) => `v${v} (${k} ${k === 1 ? 'dia' : 'dias'})`);
    return `${c.label}: ${parts.join(', ') || 'nenhuma'}`;
  });
}

const DATA_NOTE = 'dados: séries finais vigentes (VEE) na geração';

export async function writeEnergyPdf(
  source: AsyncIterable<PointEnergyReport>,
  out: NodeJS.WritableStream,
  meta: EnergyMeta,
): Promise<void> {
  const r = new PdfReport(out, {
    title: 'Energia por ponto, dia e hora',
    subtitle: `Período: ${fmtDay(meta.from)} a ${fmtDay(meta.to)} · ${meta.scope}`,
    dataNote: DATA_NOTE,
    generatedAt: meta.generatedAt,
    layout: 'landscape', // a day's row holds up to six channels and five quality counts
  });
  let first = true;
  for await (const p of source) {
    if (!first) r.newPage();
    first = false;
    r.heading(`${p.point.code} — ${p.point.name}`);
    if (p.days.length === 0) {
      r.paragraph('Sem séries finais no período (o VEE ainda não processou estes dias ou o ponto não tem dados).');
      await r.relieve();
      continue;
    }
    r.paragraph(`Versões das séries finais usadas — ${versionSummary(p).join(' · ')}`, 8);
    const chCols: PdfColumn[] = p.channels.map((c) => ({
      header: `${c.label} (${c.unit})`,
      width: 72,
      align: 'right',
    }));
    r.heading('Totais diários', 10);
    const daily = new PdfTable(r, [
      { header: 'Data', width: 58 },
      ...chCols,
      ...QUALITY_ORDER.map((q) => ({ header: QUALITY_SHORT[q], width: 54, align: 'right' as const })),
    ]);
    const sums: (number | null)[] = p.channels.map(() => null);
    for (const d of p.days) {
      const c = sumCounts(d.counts);
      d.totals.forEach((t, i) => {
        if (t !== null) sums[i] = (sums[i] ?? 0) + t;
      });
      daily.row([fmtDay(d.day), ...d.totals.map((t) => fmtNumber(t, 3)), ...QUALITY_ORDER.map((q) => String(c[q]))], {
        fills: [
          null,
          ...d.totals.map(() => null),
          ...QUALITY_ORDER.map((q) => (q === 'N' && c.N > 0 ? '#ffcc80' : null)),
        ],
      });
    }
    const all = sumCounts(p.days.flatMap((d) => d.counts));
    daily.row(['Período', ...sums.map((t) => fmtNumber(t, 3)), ...QUALITY_ORDER.map((q) => String(all[q]))], {
      bold: true,
      fills: new Array(1 + sums.length + QUALITY_ORDER.length).fill('#f2f2f2'),
    });
    daily.end();
    for (const d of p.days) {
      // A day's table stays on one page when it fits (rows of 15 pt, the header, the heading).
      r.ensure(15 * (d.hours.length + 1) + 60);
      r.heading(`Energia horária — ${fmtDay(d.day)}`, 10);
      const t = new PdfTable(r, [{ header: 'Hora', width: 58 }, ...chCols], { fontSize: 7.5 });
      d.hours.forEach((h, i) => {
        t.row([h, ...d.values[i].map((v) => fmtNumber(v, 3))]);
      });
      t.row(['Total', ...d.totals.map((v) => fmtNumber(v, 3))], { bold: true });
      t.end();
      await r.relieve();
    }
  }
  if (first) r.paragraph('Nenhum ponto selecionado.');
  await r.end();
}

/** Sheets Diário (one row per point, day and channel, with quality counts and version) and Horário. */
export async function writeEnergyXlsx(
  source: () => AsyncIterable<PointEnergyReport>,
  out: NodeJS.WritableStream | string,
  opts: { maxRowsPerSheet?: number } = {},
): Promise<void> {
  const x = XlsxReport.open(out, opts);
  try {
    const daily = x.sheet('Diário', [
      { header: 'Ponto', kind: 'text', width: 16 },
      { header: 'Data', kind: 'date' },
      { header: 'Canal', kind: 'text', width: 8 },
      { header: 'Unidade', kind: 'text', width: 9 },
      { header: 'Energia', kind: 'energy', width: 14 },
      ...QUALITY_ORDER.map((q): XlsxColumn => ({ header: QUALITY_LABEL[q], kind: 'count', width: 14 })),
      { header: 'Versão', kind: 'count', width: 8 },
    ]);
    for await (const p of source()) {
      for (const d of p.days) {
        for (const [i, c] of p.channels.entries()) {
          const counts = d.counts[i];
          if (!counts) continue;
          await daily.add([
            p.point.code,
            dayCell(d.day),
            c.label,
            c.unit,
            d.totals[i],
            ...QUALITY_ORDER.map((q) => counts[q]),
            d.versions[i],
          ]);
        }
      }
    }
    daily.done();
    const hourly = x.sheet('Horário', [
      { header: 'Ponto', kind: 'text', width: 16 },
      { header: 'Data', kind: 'date' },
      { header: 'Hora', kind: 'text', width: 8 },
      { header: 'Canal', kind: 'text', width: 8 },
      { header: 'Unidade', kind: 'text', width: 9 },
      { header: 'Energia', kind: 'energy', width: 14 },
    ]);
    for await (const p of source()) {
      for (const d of p.days) {
        for (const [i, c] of p.channels.entries()) {
          if (!d.counts[i]) continue;
          for (const [h, hour] of d.hours.entries()) {
            await hourly.add([p.point.code, dayCell(d.day), hour, c.label, c.unit, d.values[h][i]]);
          }
        }
      }
    }
    hourly.done();
    await x.close();
  } catch (e) {
    x.abort();
    throw e;
  }
}

const CSV_COLUMNS: CsvColumn[] = [
  { header: 'Ponto', kind: 'text' },
  { header: 'Data', kind: 'day' },
  { header: 'Hora', kind: 'text' },
  { header: 'Canal', kind: 'text' },
  { header: 'Unidade', kind: 'text' },
  { header: 'Energia', kind: 'energy' },
];

/** One line per point, day, hour and channel. */
export async function writeEnergyCsv(
  source: AsyncIterable<PointEnergyReport>,
  out: NodeJS.WritableStream,
): Promise<void> {
  async function* rows(): AsyncGenerator<CsvValue[]> {
    for await (const p of source) {
      for (const d of p.days) {
        for (const [i, c] of p.channels.entries()) {
          if (!d.counts[i]) continue;
          for (const [h, hour] of d.hours.entries()) yield [p.point.code, d.day, hour, c.label, c.unit, d.values[h][i]];
        }
      }
    }
  }
  await writeCsv(CSV_COLUMNS, rows(), out);
}
