/**
 * The principal × retaguarda report for the analyst (vee.md §4) as CSV and XLSX, with pt-BR headers. CSV follows
 * the spreadsheet convention of Brazilian utilities (`;` separator, decimal comma, dates dd/mm/aaaa, CRLF and a
 * UTF-8 BOM so Excel pt-BR opens it as a table); XLSX holds real numbers and dates with number formats, one sheet
 * per level. Only the kWh quantities (canal C and G) are reported, so the "(kWh)" headers hold; the API serves the
 * others from the comparison data.
 *
 * Both writers end the output stream when done (like stream.pipeline), unless the CSV caller asks otherwise.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { FronteiraError } from '../domain/errors.ts';
import { quantity } from '../protocols/abnt14522/quantities.ts';
import { type PointDayComparison, type QuantityComparison, slotLabels, usedLabel } from './compare.ts';
import { SOURCE_NAMES, type SourceName } from './types.ts';

export interface ComparisonRow {
  pointCode: string;
  cmp: PointDayComparison;
}

type Kind = 'text' | 'date' | 'energy' | 'pct' | 'count' | 'flag';
type Cell = string | number | boolean | null;

interface Column {
  header: string;
  kind: Kind;
  width: number;
}

interface Table {
  columns: Column[];
  rows: () => AsyncIterable<Cell[]>;
}

/**
 * The point-days of a report: an array, or a function that yields them afresh on each call (the XLSX walks them
 * once per sheet), so a long report streams from the store instead of sitting in memory.
 */
export type ComparisonRows = readonly ComparisonRow[] | (() => AsyncIterable<ComparisonRow> | Iterable<ComparisonRow>);

function eachRow(rows: ComparisonRows): AsyncIterable<ComparisonRow> | Iterable<ComparisonRow> {
  return typeof rows === 'function' ? rows() : rows;
}

const c = (header: string, kind: Kind, width?: number): Column => ({
  header,
  kind,
  width: width ?? Math.max(header.length + 2, kind === 'date' ? 12 : 10),
});

const PONTO = c('Ponto', 'text', 16);
const DATA = c('Data', 'date');
const CANAL = c('Canal', 'text', 8);
const HORA = c('Hora', 'text', 8);
const FIM = c('Intervalo (fim)', 'text');
const PRINCIPAL = c('Principal (kWh)', 'energy', 16);
const RETAGUARDA = c('Retaguarda (kWh)', 'energy', 17);
const DIFERENCA = c('Diferença (kWh)', 'energy', 16);
const PCT = c('Diferença (%)', 'pct', 14);
const USADO = c('Usado', 'text', 18);
const FORA = c('Fora da tolerância', 'flag', 19);
const COMPARADOS = c('Intervalos comparados', 'count');

const NUM_FMT: Record<Kind, string | undefined> = {
  text: undefined,
  date: 'dd/mm/yyyy',
  energy: '#,##0.000',
  pct: '0.000',
  count: '0',
  flag: undefined,
};

/** 'C' and 'G' for the active channels CCEE knows; the quantity's name otherwise. */
function channelLabel(code: number): string {
  if (code === 1) return 'C';
  if (code === 14) return 'G';
  return quantity(code).name;
}

function reported(cmp: PointDayComparison): QuantityComparison[] {
  return cmp.quantities.filter((q) => q.unit === 'kWh');
}

const num = (x: number | null): number | null => (x === null || Number.isNaN(x) ? null : x);

function usedSummary(counts: Partial<Record<SourceName, number>>): string {
  const parts: string[] = [];
  for (const name of SOURCE_NAMES) {
    const n = counts[name] ?? 0;
    if (n > 0) parts.push(`${usedLabel(SOURCE_NAMES.indexOf(name), 0)} ${n}`);
  }
  return parts.join(', ');
}

function summaryTable(rows: ComparisonRows): Table {
  return {
    columns: [
      PONTO,
      DATA,
      CANAL,
      PRINCIPAL,
      RETAGUARDA,
      DIFERENCA,
      PCT,
      FORA,
      COMPARADOS,
      c('Faltando principal', 'count'),
      c('Faltando retaguarda', 'count'),
      c('Intervalos fora da tolerância', 'count'),
      c('Horas fora da tolerância', 'count'),
      c('Usado', 'text', 40),
    ],
    async *rows() {
      for await (const { pointCode, cmp } of eachRow(rows)) {
        for (const q of reported(cmp)) {
          const d = q.day;
          yield [
            pointCode,
            cmp.day,
            channelLabel(q.quantityCode),
            num(d.principal),
            num(d.retaguarda),
            num(d.diff),
            num(d.pct),
            d.beyond,
            d.compared,
            d.missingPrincipal,
            d.missingRetaguarda,
            q.beyond.length,
            q.hours.filter((h) => h.beyond).length,
            usedSummary(q.usedCounts),
          ];
        }
      }
    },
  };
}

function hourlyTable(rows: ComparisonRows): Table {
  return {
    columns: [
      PONTO,
      DATA,
      CANAL,
      HORA,
      PRINCIPAL,
      RETAGUARDA,
      DIFERENCA,
      PCT,
      FORA,
      COMPARADOS,
      c('Usado', 'text', 40),
    ],
    async *rows() {
      for await (const { pointCode, cmp } of eachRow(rows)) {
        for (const q of reported(cmp)) {
          for (const h of q.hours) {
            const counts: Partial<Record<SourceName, number>> = {};
            for (let k = h.firstSlot; k <= h.lastSlot; k++) {
              const name = SOURCE_NAMES[q.used[k]] ?? 'none';
              counts[name] = (counts[name] ?? 0) + 1;
            }
            yield [
              pointCode,
              cmp.day,
              channelLabel(q.quantityCode),
              h.hour,
              num(h.principal),
              num(h.retaguarda),
              num(h.diff),
              num(h.pct),
              h.beyond,
              h.compared,
              usedSummary(counts),
            ];
          }
        }
      }
    },
  };
}

function intervalTable(rows: ComparisonRows, onlyBeyond: boolean): Table {
  return {
    columns: [PONTO, DATA, CANAL, HORA, FIM, PRINCIPAL, RETAGUARDA, DIFERENCA, PCT, USADO, FORA],
    async *rows() {
      for await (const { pointCode, cmp } of eachRow(rows)) {
        for (const q of reported(cmp)) {
          const beyond = new Set(q.beyond.map((b) => b.slot));
          if (onlyBeyond && beyond.size === 0) continue;
          const labels = slotLabels(cmp.day, q.slots, q.intervalS, cmp.zone);
          const channel = channelLabel(q.quantityCode);
          for (let k = 0; k < q.slots; k++) {
            const out = beyond.has(k);
            if (onlyBeyond && !out) continue;
            yield [
              pointCode,
              cmp.day,
              channel,
              labels.hour[k],
              labels.end[k],
              num(q.principal[k]),
              num(q.retaguarda[k]),
              num(q.diff[k]),
              num(q.diffPct[k]),
              usedLabel(q.used[k], q.usedMethod[k]),
              out,
            ];
          }
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// CSV

/** Decimal comma, no thousands separator, at most `decimals` decimals (trailing zeros dropped). */
export function formatDecimalBR(x: number, decimals: number): string {
  const s = String(Number(x.toFixed(decimals)));
  return (s === '-0' ? '0' : s).replace('.', ',');
}

function csvCell(kind: Kind, v: Cell): string {
  if (v === null) return '';
  switch (kind) {
    case 'date': {
      const d = String(v);
      return `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;
    }
    case 'energy':
      return formatDecimalBR(v as number, 6);
    case 'pct':
      return formatDecimalBR(v as number, 4);
    case 'flag':
      return v ? 'sim' : 'não';
    default:
      return String(v);
  }
}

export type ComparisonLevel = 'interval' | 'hour' | 'day';

function tableFor(level: ComparisonLevel, rows: ComparisonRows): Table {
  switch (level) {
    case 'interval':
      return intervalTable(rows, false);
    case 'hour':
      return hourlyTable(rows);
    case 'day':
      return summaryTable(rows);
    default:
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `level '${String(level)}' is not interval, hour or day`, {
        field: 'level',
      });
  }
}

/**
 * Writes the comparison as CSV at one level: 'interval' (default; one line per interval), 'hour' or 'day' (the
 * daily totals). `end: false` leaves the output open (e.g. process.stdout).
 */
export async function writeComparisonCsv(
  rows: ComparisonRows,
  out: NodeJS.WritableStream,
  opts: { level?: ComparisonLevel; end?: boolean } = {},
): Promise<void> {
  const table = tableFor(opts.level ?? 'interval', rows);
  async function* lines(): AsyncGenerator<string[]> {
    yield table.columns.map((col) => col.header);
    for await (const row of table.rows()) yield row.map((v, i) => csvCell(table.columns[i].kind, v));
  }
  const csv = stringify({ delimiter: ';', bom: true, record_delimiter: 'windows' });
  await pipeline(Readable.from(lines()), csv, out, { end: opts.end ?? true });
}

// ---------------------------------------------------------------------------------------------------------------
// XLSX

/** Excel's row limit: a longer table continues on 'Name (2)', 'Name (3)'… */
const EXCEL_MAX_ROWS = 1_048_576;

function dateCell(day: string): Date {
  return new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))));
}

function xlsxCell(kind: Kind, v: Cell): ExcelJS.CellValue {
  if (v === null) return null;
  if (kind === 'date') return dateCell(String(v));
  if (kind === 'flag') return v ? 'sim' : 'não';
  return v as string | number;
}

/** How often (rows) the writer waits for the zip to take what was committed, so memory stays bounded. */
const YIELD_EVERY = 1000;

type Drainable = NodeJS.EventEmitter & { writableNeedDrain?: boolean; _writableState?: { needDrain?: boolean } };

function needsDrain(s: Drainable | undefined): s is Drainable {
  return !!s && (s.writableNeedDrain ?? s._writableState?.needDrain ?? false);
}

/**
 * exceljs's sheet buffer pushes rows into the zip entry without backpressure, so committed rows pile up in memory
 * when written faster than they are compressed. Wait until the entry's input (the first pipe of the sheet's
 * stream, an exceljs 4 internal: without it this only yields a turn) and the output have drained.
 */
async function drained(sheet: ExcelJS.Worksheet, out: NodeJS.WritableStream): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  const entry = (sheet as unknown as { stream?: { pipes?: Drainable[] } }).stream?.pipes?.[0];
  for (const s of [entry, out as Drainable]) {
    if (needsDrain(s)) await new Promise<void>((resolve) => s.once('drain', () => resolve()));
  }
}

async function writeSheets(
  wb: ExcelJS.stream.xlsx.WorkbookWriter,
  out: NodeJS.WritableStream,
  name: string,
  table: Table,
  maxRows: number,
): Promise<void> {
  let part = 0;
  let count = 0;
  const open = (): ExcelJS.Worksheet => {
    part++;
    const sheet = wb.addWorksheet(part === 1 ? name : `${name} (${part})`, { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = table.columns.map((col) => ({ width: col.width, style: { numFmt: NUM_FMT[col.kind] } }));
    const header = sheet.addRow(table.columns.map((col) => col.header));
    header.font = { bold: true };
    header.commit();
    count = 1;
    return sheet;
  };
  let ws = open();
  let written = 0;
  for await (const row of table.rows()) {
    if (count >= maxRows) {
      ws.commit();
      ws = open();
    }
    ws.addRow(row.map((v, i) => xlsxCell(table.columns[i].kind, v))).commit();
    count++;
    if (++written % YIELD_EVERY === 0) await drained(ws, out);
  }
  ws.commit();
}

/**
 * Writes the comparison as an XLSX workbook (streamed: rows are committed as they are written) with the sheets
 * Resumo (daily totals per point-day), Horário, Intervalos and Fora da tolerância. `out` is a stream (ended when
 * done) or a file path.
 */
export async function writeComparisonXlsx(
  rows: ComparisonRows,
  out: NodeJS.WritableStream | string,
  opts: { maxRowsPerSheet?: number } = {},
): Promise<void> {
  const maxRows = opts.maxRowsPerSheet ?? EXCEL_MAX_ROWS;
  if (!Number.isInteger(maxRows) || maxRows < 2 || maxRows > EXCEL_MAX_ROWS) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `maxRowsPerSheet ${maxRows} is not in 2…${EXCEL_MAX_ROWS}`, {
      field: 'maxRowsPerSheet',
    });
  }
  const stream: NodeJS.WritableStream = typeof out === 'string' ? createWriteStream(out) : out;
  // An output error (a full disk, a closed socket) must reject, not hang waiting for 'finish' or crash the process.
  let onError: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    onError = reject;
  });
  failed.catch(() => {});
  stream.on('error', onError);
  try {
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: stream as unknown as import('node:stream').Stream,
      useStyles: true,
      useSharedStrings: false,
    });
    wb.creator = 'Fronteira';
    const sheets: [string, Table][] = [
      ['Resumo', summaryTable(rows)],
      ['Horário', hourlyTable(rows)],
      ['Intervalos', intervalTable(rows, false)],
      ['Fora da tolerância', intervalTable(rows, true)],
    ];
    for (const [name, table] of sheets) await Promise.race([writeSheets(wb, stream, name, table, maxRows), failed]);
    await Promise.race([wb.commit(), failed]);
  } catch (e) {
    if (typeof out === 'string') (stream as WriteStream).destroy();
    throw e;
  } finally {
    stream.removeListener('error', onError);
  }
}
