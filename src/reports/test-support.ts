/**
 * Test support shared by the report tests: collect a writer's output, open a PDF with poppler (page count, page 1
 * rendered to PNG, text), read an XLSX back with exceljs and a CSV with csv-parse. Nothing in production imports it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';

export { collectStream as collect } from '../domain/collect-stream.ts';

export interface PdfCheck {
  pages: number;
  /** Size of page 1 rendered to PNG at 50 dpi. */
  pngBytes: number;
  text: string;
}

/** Opens the PDF with poppler: pdfinfo's page count, pdftoppm's PNG of page 1, pdftotext's text. */
export function checkPdf(pdf: Buffer): PdfCheck {
  const dir = mkdtempSync(join(tmpdir(), 'fronteira-pdf-'));
  try {
    const file = join(dir, 'r.pdf');
    writeFileSync(file, pdf);
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1] ?? 0);
    execFileSync('pdftoppm', ['-r', '50', '-png', '-f', '1', '-l', '1', '-singlefile', file, join(dir, 'p1')]);
    const pngBytes = statSync(join(dir, 'p1.png')).size;
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return { pages, pngBytes, text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function readXlsx(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}

/** Rows of a sheet as arrays of cell values (index 0 = column A). */
export function sheetRows(wb: ExcelJS.Workbook, name: string): ExcelJS.CellValue[][] {
  const ws = wb.getWorksheet(name);
  if (!ws) throw new Error(`no sheet ${name}; sheets: ${wb.worksheets.map((w) => w.name).join(', ')}`);
  const out: ExcelJS.CellValue[][] = [];
  ws.eachRow({ includeEmpty: true }, (row) => {
    const values = row.values as ExcelJS.CellValue[];
    out.push(values.slice(1));
  });
  return out;
}

export function parseCsv(buf: Buffer): string[][] {
  return parse(buf.toString('utf8'), { delimiter: ';', bom: true }) as string[][];
}

/** '1.234,5' or '1234,5' → 1234.5 */
export function brNumber(s: string): number {
  return Number(s.replace(/\./g, '').replace(',', '.'));
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
