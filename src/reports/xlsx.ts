/**
 * The XLSX side of the reports: exceljs's streaming WorkbookWriter with rows committed as they are added, one sheet
 * at a time (an open second sheet would buffer in memory until the first is zipped), numbers kept as numbers with
 * pt-BR-neutral number formats (Excel shows them with the reader's decimal comma), and cell fills for coloured maps.
 */
import { createWriteStream } from 'node:fs';
import type { Stream } from 'node:stream';
import ExcelJS from 'exceljs';
import { FronteiraError } from '../domain/errors.ts';

export type XlsxKind = 'text' | 'date' | 'datetime' | 'energy' | 'percent' | 'count';
export type XlsxValue = string | number | Date | null;

export interface XlsxColumn {
  header: string;
  kind: XlsxKind;
  width?: number;
}

const NUM_FMT: Record<XlsxKind, string | undefined> = {
  text: undefined,
  date: 'dd/mm/yyyy',
  datetime: 'dd/mm/yyyy hh:mm',
  energy: '#,##0.000',
  percent: '0.00%',
  count: '0',
};

/** Excel's row limit: a longer sheet continues on 'Name (2)'… */
export const EXCEL_MAX_ROWS = 1_048_576;
const YIELD_EVERY = 500;

type Drainable = NodeJS.EventEmitter & { writableNeedDrain?: boolean };

function errorOf(e: unknown): FronteiraError {
  if (e instanceof FronteiraError) return e;
  const m = e instanceof Error ? e.message : String(e);
  return new FronteiraError('FRONTEIRA_E_INTERNAL', `report output failed: ${m}`, {}, { cause: e });
}

export class XlsxSheet {
  private ws: ExcelJS.Worksheet;
  private part = 1;
  private count = 0;
  private added = 0;

  constructor(
    private readonly book: XlsxReport,
    private readonly name: string,
    private readonly columns: readonly XlsxColumn[],
    private readonly maxRows: number,
  ) {
    this.ws = this.open();
  }

  private open(): ExcelJS.Worksheet {
    const title = this.part === 1 ? this.name : `${this.name} (${this.part})`;
    const ws = this.book.wb.addWorksheet(title.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = this.columns.map((c) => ({
      width: c.width ?? Math.max(c.header.length + 2, c.kind === 'date' ? 12 : 10),
      style: { numFmt: NUM_FMT[c.kind] },
    }));
    const header = ws.addRow(this.columns.map((c) => c.header));
    header.font = { bold: true };
    header.commit();
    this.count = 1;
    return ws;
  }

  /** Adds a row; `fills` are per-cell background colours ('RRGGBB', null = none). */
  async add(values: readonly XlsxValue[], fills?: readonly (string | null | undefined)[]): Promise<void> {
    if (this.count >= this.maxRows) {
      this.ws.commit();
      this.part++;
      this.ws = this.open();
    }
    const row = this.ws.addRow([...values]);
    if (fills) {
      fills.forEach((f, i) => {
        if (f) row.getCell(i + 1).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: `FF${f}` } };
      });
    }
    row.commit();
    this.count++;
    if (++this.added % YIELD_EVERY === 0) await this.book.drained(this.ws);
  }

  done(): void {
    this.ws.commit();
  }
}

export class XlsxReport {
  readonly wb: ExcelJS.stream.xlsx.WorkbookWriter;
  private readonly stream: NodeJS.WritableStream;
  private failure: unknown = null;
  private closing = false;
  private readonly onError = (e: unknown) => {
    this.failure ??= e;
  };
  private readonly onClose = () => {
    if (!this.closing) this.failure ??= new Error('output closed before the report ended');
  };

  private constructor(
    out: NodeJS.WritableStream | string,
    private readonly maxRows: number,
  ) {
    this.stream = typeof out === 'string' ? createWriteStream(out) : out;
    this.stream.on('error', this.onError);
    this.stream.on('close', this.onClose);
    this.wb = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: this.stream as unknown as Stream,
      useStyles: true,
      useSharedStrings: false,
    });
    this.wb.creator = 'Fronteira';
  }

  static open(out: NodeJS.WritableStream | string, opts: { maxRowsPerSheet?: number } = {}): XlsxReport {
    const max = opts.maxRowsPerSheet ?? EXCEL_MAX_ROWS;
    if (!Number.isInteger(max) || max < 2 || max > EXCEL_MAX_ROWS) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `maxRowsPerSheet ${max} is not in 2…${EXCEL_MAX_ROWS}`, {
        field: 'maxRowsPerSheet',
      });
    }
    return new XlsxReport(out, max);
  }

  sheet(name: string, columns: readonly XlsxColumn[]): XlsxSheet {
    this.check();
    return new XlsxSheet(this, name, columns, this.maxRows);
  }

  private check(): void {
    if (this.failure) throw errorOf(this.failure);
  }

  /**
   * exceljs pushes committed rows into the zip without backpressure: wait until the sheet's zip entry (an exceljs 4
   * internal; without it this only yields a turn) and the output have drained, so rows do not pile up in memory.
   */
  async drained(ws: ExcelJS.Worksheet): Promise<void> {
    this.check();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const entry = (ws as unknown as { stream?: { pipes?: Drainable[] } }).stream?.pipes?.[0];
    for (const s of [entry, this.stream as Drainable]) {
      if (s?.writableNeedDrain) {
        await new Promise<void>((resolve) => {
          const done = () => {
            s.removeListener('drain', done);
            this.stream.removeListener('error', done);
            this.stream.removeListener('close', done);
            resolve();
          };
          s.once('drain', done);
          this.stream.once('error', done);
          this.stream.once('close', done);
        });
      }
    }
    this.check();
  }

  /** Finishes the workbook; the output stream is ended. */
  async close(): Promise<void> {
    this.check();
    this.closing = true;
    let reject: (e: unknown) => void = () => {};
    const failed = new Promise<never>((_, r) => {
      reject = r;
    });
    failed.catch(() => {});
    const onErr = (e: unknown) => reject(e);
    this.stream.on('error', onErr);
    try {
      await Promise.race([this.wb.commit(), failed]);
    } catch (e) {
      throw errorOf(e);
    } finally {
      this.stream.removeListener('error', onErr);
      this.stream.removeListener('error', this.onError);
      this.stream.removeListener('close', this.onClose);
    }
  }

  /** Stops writing after a failure (a file output is closed; the caller removes it). */
  abort(): void {
    const s = this.stream as NodeJS.WritableStream & { destroy?: () => void };
    s.destroy?.();
  }
}
