/**
 * A summary as an XLSX workbook, streamed with exceljs's WorkbookWriter (rows committed as written): sheet "Resumo"
 * with one row per group, channel and period (real numbers and dates with number formats), sheet "Parâmetros" with
 * what was asked. Days are dates (dd/mm/aaaa), months the first day formatted mm/aaaa, hours their ISO label with
 * offset (text: a spreadsheet date has no offset to tell a repeated DST hour apart).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Stream } from 'node:stream';
import ExcelJS from 'exceljs';
import { type ColumnKind, groupHeader, summaryColumns } from './columns.ts';
import type { Summary } from './summary.ts';

const NUM_FMT: Record<ColumnKind, string | undefined> = {
  text: undefined,
  period: undefined,
  energy: '#,##0.000',
  count: '0',
  pct: '0.00',
};

const RESOLUTION_LABEL = { hour: 'horária', day: 'diária', month: 'mensal' } as const;

function dateOf(day: string): Date {
  return new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))));
}

/** Rows between turns given to the zip stream, so committed rows do not pile up in memory. */
const YIELD_EVERY = 1000;

async function writeWorkbook(summary: Summary, stream: NodeJS.WritableStream): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: stream as unknown as Stream,
    useStyles: true,
    useSharedStrings: false,
  });
  wb.creator = 'Fronteira';
  const columns = summaryColumns(summary);
  const periodFmt =
    summary.resolution === 'day' ? 'dd/mm/yyyy' : summary.resolution === 'month' ? 'mm/yyyy' : undefined;
  const sheet = wb.addWorksheet('Resumo', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({
    width: c.width,
    style: { numFmt: c.kind === 'period' ? periodFmt : NUM_FMT[c.kind] },
  }));
  const header = sheet.addRow(columns.map((c) => c.header));
  header.font = { bold: true };
  header.commit();
  let n = 0;
  for (const r of summary.rows) {
    const cells = columns.map((c): ExcelJS.CellValue => {
      const v = c.cell(r);
      if (c.kind !== 'period' || summary.resolution === 'hour') return v;
      return dateOf(summary.resolution === 'month' ? `${v}-01` : String(v));
    });
    sheet.addRow(cells).commit();
    if (++n % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  sheet.commit();

  const info = wb.addWorksheet('Parâmetros');
  info.columns = [{ width: 22 }, { width: 40 }];
  const by = summary.by.kind === 'segment' ? 'segmento de mercado' : summary.by.tag === null ? 'tag' : summary.by.tag;
  const lines: [string, string | Date][] = [
    ['Agrupamento', `${groupHeader(summary)}: ${by}`],
    ['Resolução', RESOLUTION_LABEL[summary.resolution]],
    ['De', dateOf(summary.from)],
    ['Até', dateOf(summary.to)],
    ['Canais', summary.channels.join(', ')],
    ['Medidores virtuais', summary.includeVirtual ? 'incluídos' : 'excluídos'],
    ['Fonte', 'séries finais vigentes (VEE)'],
  ];
  for (const [k, v] of lines) {
    const row = info.addRow([k, v]);
    if (v instanceof Date) row.getCell(2).numFmt = 'dd/mm/yyyy';
    row.getCell(1).font = { bold: true };
    row.commit();
  }
  info.commit();
  await wb.commit();
}

/** Writes the summary as XLSX to a stream (ended when done) or a file path. */
export async function writeSummaryXlsx(summary: Summary, out: NodeJS.WritableStream | string): Promise<void> {
  const stream: NodeJS.WritableStream = typeof out === 'string' ? createWriteStream(out) : out;
  // An output error (a full disk, a closed socket) must reject, not hang waiting for the zip to finish.
  let onError: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    onError = reject;
  });
  failed.catch(() => {});
  stream.on('error', onError);
  try {
    await Promise.race([writeWorkbook(summary, stream), failed]);
    if (typeof out === 'string') {
      const ws = stream as WriteStream;
      if (!ws.closed) await Promise.race([new Promise<void>((resolve) => ws.once('close', () => resolve())), failed]);
    }
  } catch (e) {
    if (typeof out === 'string') (stream as WriteStream).destroy();
    throw e;
  } finally {
    stream.removeListener('error', onError);
  }
}
