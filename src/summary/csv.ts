/**
 * A summary as CSV in the convention of the other reports (vee/compare-report.ts): `;` separator, decimal comma,
 * dd/mm/aaaa days, mm/aaaa months, CRLF and a UTF-8 BOM so Excel pt-BR opens it as a table. Hours keep their ISO
 * label with the offset ('2026-10-01T13:00-03:00'): the offset is what tells a repeated DST hour apart.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { formatDecimalBR } from '../vee/compare-report.ts';
import { type ColumnKind, summaryColumns } from './columns.ts';
import type { Summary } from './summary.ts';

function csvCell(kind: ColumnKind, v: string | number): string {
  switch (kind) {
    case 'period': {
      const p = String(v);
      if (p.length === 7) return `${p.slice(5, 7)}/${p.slice(0, 4)}`;
      if (p.length === 10) return `${p.slice(8, 10)}/${p.slice(5, 7)}/${p.slice(0, 4)}`;
      return p;
    }
    case 'energy':
      return formatDecimalBR(v as number, 6);
    case 'pct':
      return formatDecimalBR(v as number, 4);
    default:
      return String(v);
  }
}

/** Writes the summary as CSV (header line, then one line per row). `end: false` leaves `out` open. */
export async function writeSummaryCsv(
  summary: Summary,
  out: NodeJS.WritableStream,
  opts: { end?: boolean } = {},
): Promise<void> {
  const columns = summaryColumns(summary);
  function* lines(): Generator<string[]> {
    yield columns.map((c) => c.header);
    for (const r of summary.rows) yield columns.map((c) => csvCell(c.kind, c.cell(r)));
  }
  const csv = stringify({ delimiter: ';', bom: true, record_delimiter: 'windows' });
  await pipeline(Readable.from(lines()), csv, out, { end: opts.end ?? true });
}
