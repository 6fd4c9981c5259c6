/**
 * The columns of a summary as the CSV and XLSX writers show them (pt-BR headers). Each summary row becomes one line;
 * the unit is a column of its own because one table can hold kWh and kvarh channels.
 */
import type { Summary, SummaryResolution, SummaryRow } from './summary.ts';

export type ColumnKind = 'text' | 'period' | 'energy' | 'count' | 'pct';

export interface SummaryColumn {
  header: string;
  kind: ColumnKind;
  width: number;
  cell: (r: SummaryRow) => string | number;
}

const col = (header: string, kind: ColumnKind, cell: SummaryColumn['cell'], width?: number): SummaryColumn => ({
  header,
  kind,
  cell,
  width: width ?? Math.max(header.length + 2, 10),
});

const PERIOD_HEADER: Readonly<Record<SummaryResolution, string>> = { hour: 'Hora (início)', day: 'Data', month: 'Mês' };

/** Header of the group column: the segment or the tag. */
export function groupHeader(s: Pick<Summary, 'by'>): string {
  return s.by.kind === 'segment' ? 'Segmento' : 'Grupo (tag)';
}

export function summaryColumns(s: Pick<Summary, 'by' | 'resolution'>): SummaryColumn[] {
  return [
    col(groupHeader(s), 'text', (r) => r.group, 16),
    col('Canal', 'text', (r) => r.channel, 8),
    col('Unidade', 'text', (r) => r.unit, 9),
    col(PERIOD_HEADER[s.resolution], 'period', (r) => r.period, s.resolution === 'hour' ? 24 : 12),
    col('Energia', 'energy', (r) => r.energy, 16),
    col('Intervalos esperados', 'count', (r) => r.expectedSlots),
    col('Reais (A)', 'count', (r) => r.actual),
    col('Substituídos (S)', 'count', (r) => r.substituted),
    col('Estimados (E)', 'count', (r) => r.estimated),
    col('Manuais (M)', 'count', (r) => r.manual),
    col('Faltantes', 'count', (r) => r.missing),
    col('Completude (%)', 'pct', (r) => 100 * r.completeness),
    col('Pontos', 'count', (r) => r.points),
    col('Pontos com dados', 'count', (r) => r.pointsWithData),
    col('Pontos sem dados', 'count', (r) => r.pointsWithoutData),
  ];
}
