/**
 * Streaming CSV for spreadsheets in Brazil (the convention of src/vee/compare-report.ts): ';' separator, decimal
 * comma, dates dd/mm/aaaa, CRLF and a UTF-8 BOM so Excel pt-BR opens it as a table. Rows come from an async
 * iterable and go through csv-stringify with backpressure, so memory does not grow with the file.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { formatDecimalBR } from '../vee/compare-report.ts';
import { fmtDay } from './format.ts';

export type CsvKind = 'text' | 'day' | 'energy' | 'percent' | 'count';
export type CsvValue = string | number | null;

export interface CsvColumn {
  header: string;
  kind: CsvKind;
}

function cell(kind: CsvKind, v: CsvValue): string {
  if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return '';
  switch (kind) {
    case 'day':
      return fmtDay(String(v));
    case 'energy':
      return formatDecimalBR(v as number, 6);
    case 'percent':
      return formatDecimalBR(v as number, 4);
    case 'count':
      return String(v);
    default:
      return String(v);
  }
}

export async function writeCsv(
  columns: readonly CsvColumn[],
  rows: AsyncIterable<readonly CsvValue[]>,
  out: NodeJS.WritableStream,
  opts: { end?: boolean } = {},
): Promise<void> {
  async function* lines(): AsyncGenerator<string[]> {
    yield columns.map((c) => c.header);
    for await (const row of rows) yield row.map((v, i) => cell(columns[i].kind, v));
  }
  const csv = stringify({ delimiter: ';', bom: true, record_delimiter: 'windows' });
  await pipeline(Readable.from(lines()), csv, out, { end: opts.end ?? true });
}
