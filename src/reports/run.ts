/**
 * One entry for every report, used by the CLI (`fronteira report …`) and the API (GET /api/v1/reports/:kind): which
 * kinds and formats exist, the limits on what one request may ask, the file name and content type, and the writer.
 */
import { FronteiraError } from '../domain/errors.ts';
import type { Store } from '../store/pool.ts';
import { loadComparisons, writeCompareCsv, writeComparePdf, writeCompareXlsx } from './compare.ts';
import {
  daysOf,
  loadCompleteness,
  loadMissingRanges,
  writeCompletenessCsv,
  writeCompletenessPdf,
  writeCompletenessXlsx,
} from './completeness.ts';
import { loadEnergy, writeEnergyCsv, writeEnergyPdf, writeEnergyXlsx } from './energy.ts';
import type { ReportPoint } from './points.ts';
import { writeSeriesCsv } from './series-csv.ts';

export const REPORT_KINDS = ['compare', 'completeness', 'energy', 'series'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export const REPORT_FORMATS = ['pdf', 'xlsx', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const FORMATS_OF: Readonly<Record<ReportKind, readonly ReportFormat[]>> = {
  compare: ['pdf', 'xlsx', 'csv'],
  completeness: ['pdf', 'xlsx', 'csv'],
  energy: ['pdf', 'xlsx', 'csv'],
  series: ['csv'],
};

/**
 * What one request may ask: days in the range, and points × days. Every writer streams a point (or a batch) at a
 * time, so these bound how long one request may occupy the server, not its memory. The compare XLSX walks the points
 * once per sheet (four times), hence its lower product.
 */
export const REPORT_LIMITS: Readonly<Record<ReportKind, { days: number; pointDays: number; pointDaysXlsx?: number }>> =
  {
    compare: { days: 93, pointDays: 20_000, pointDaysXlsx: 5_000 },
    completeness: { days: 366, pointDays: 400_000 },
    energy: { days: 93, pointDays: 50_000 },
    series: { days: 93, pointDays: 50_000 },
  };

export interface ReportRequest {
  kind: ReportKind;
  format: ReportFormat;
  points: readonly ReportPoint[];
  from: string;
  to: string;
  /** Quantity codes (energy, series); absent = all. */
  quantities?: readonly number[];
  /** How the points were chosen, for the report header ('etiqueta X', '3 pontos'). */
  scope?: string;
  generatedAt?: number;
}

export interface FieldNames {
  kind: string;
  format: string;
  points: string;
  to: string;
}

const bad = (field: string, message: string) =>
  new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${message}`, { field, reason: message });

/** Kind/format pairs and the limits; `fields` name the inputs in the errors (query.format, --format…). */
export function checkReportRequest(
  kind: string,
  format: string,
  pointCount: number,
  from: string,
  to: string,
  fields: FieldNames,
): asserts kind is ReportKind {
  if (!(REPORT_KINDS as readonly string[]).includes(kind)) {
    throw bad(fields.kind, `'${kind}' is not a report (${REPORT_KINDS.join(', ')})`);
  }
  const k = kind as ReportKind;
  if (!(FORMATS_OF[k] as readonly string[]).includes(format)) {
    throw bad(fields.format, `'${format}' is not a format of the ${k} report (${FORMATS_OF[k].join(', ')})`);
  }
  if (to < from) throw bad(fields.to, `${to} is before from ${from}`);
  const days = daysOf(from, to).length;
  const lim = REPORT_LIMITS[k];
  if (days > lim.days) throw bad(fields.to, `${days} days; the ${k} report covers at most ${lim.days}`);
  const max = format === 'xlsx' && lim.pointDaysXlsx !== undefined ? lim.pointDaysXlsx : lim.pointDays;
  if (pointCount * days > max) {
    throw bad(
      fields.points,
      `${pointCount} points × ${days} days = ${pointCount * days} point-days; at most ${max} for ${k} ${format}`,
    );
  }
}

const NAMES: Record<ReportKind, string> = {
  compare: 'comparacao',
  completeness: 'completude',
  energy: 'energia',
  series: 'series',
};

export function reportFileName(kind: ReportKind, format: ReportFormat, from: string, to: string): string {
  return `relatorio_${NAMES[kind]}_${from}_${to}.${format}`;
}

export const CONTENT_TYPES: Readonly<Record<ReportFormat, string>> = {
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
};

export function scopeOf(points: readonly ReportPoint[], tag?: string): string {
  const n = points.length;
  const pts =
    n === 1 ? `ponto ${points[0].code}` : n <= 4 ? `pontos ${points.map((p) => p.code).join(', ')}` : `${n} pontos`;
  return tag ? `etiqueta ${tag} (${pts})` : pts;
}

/** Writes the report to `out` (ended when done). */
export async function writeReport(store: Store, req: ReportRequest, out: NodeJS.WritableStream): Promise<void> {
  const { points, from, to } = req;
  const meta = {
    from,
    to,
    generatedAt: req.generatedAt ?? Date.now(),
    scope: req.scope ?? scopeOf(points),
  };
  const db = store.db;
  switch (req.kind) {
    case 'compare': {
      const src = () => loadComparisons(store, points, from, to);
      if (req.format === 'pdf') return writeComparePdf(src(), out, meta);
      if (req.format === 'xlsx') return writeCompareXlsx(src, out);
      return writeCompareCsv(src, out, 'interval');
    }
    case 'completeness': {
      const src = () => loadCompleteness(db, points, from, to);
      // No interval after the report started counts as missing (today's are not measured yet).
      const until = new Date(meta.generatedAt);
      const gaps = () => loadMissingRanges(db, points, from, to, until);
      if (req.format === 'pdf') return writeCompletenessPdf(src(), out, meta, gaps());
      if (req.format === 'xlsx') return writeCompletenessXlsx(src, out, meta, gaps);
      return writeCompletenessCsv(src(), out);
    }
    case 'energy': {
      const src = () => loadEnergy(db, points, from, to, req.quantities);
      if (req.format === 'pdf') return writeEnergyPdf(src(), out, meta);
      if (req.format === 'xlsx') return writeEnergyXlsx(src, out);
      return writeEnergyCsv(src(), out);
    }
    case 'series':
      return writeSeriesCsv(db, points, from, to, out, req.quantities);
  }
}
