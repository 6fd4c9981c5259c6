/**
 * The PDF side of the reports (pdfkit): a document that streams each page out as the next one starts (no page
 * buffering, so memory does not grow with the page count), a header and a footer on every page (title, generation
 * time, the data the report was made from, page number), headings and a table that repeats its header across pages.
 *
 * Text uses the standard Helvetica fonts: their WinAnsi encoding holds every pt-BR letter (ç, ã, é, ô…) and '×'.
 * The total page count is not printed ("página N", not "N de M"): knowing it would mean keeping every page until the
 * end, which is what streaming avoids.
 */
import { finished } from 'node:stream/promises';
import PDFDocument from 'pdfkit';
import { FronteiraError } from '../domain/errors.ts';
import { fmtInstant } from './format.ts';

export interface PdfMeta {
  title: string;
  /** Second header line: points, period. */
  subtitle: string;
  /** What the figures come from (layer, versions); printed in every footer. */
  dataNote: string;
  generatedAt: number;
  layout?: 'portrait' | 'landscape';
}

const MARGIN = { top: 58, bottom: 42, left: 36, right: 36 };
/** Above this many bytes waiting to be read, writing pauses until the output takes them. */
const HIGH_WATER = 1 << 20;

export const FONT = 'Helvetica';
export const FONT_BOLD = 'Helvetica-Bold';

export class PdfReport {
  readonly doc: PDFKit.PDFDocument;
  pageNumber = 0;
  private failure: Error | null = null;
  private ending = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    readonly meta: PdfMeta,
  ) {
    this.doc = new PDFDocument({
      size: 'A4',
      layout: meta.layout ?? 'portrait',
      margins: MARGIN,
      autoFirstPage: false,
      bufferPages: false,
      info: {
        Title: meta.title,
        Creator: 'Fronteira',
        Producer: 'Fronteira',
        CreationDate: new Date(meta.generatedAt),
      },
    });
    const fail = (e: unknown) => {
      this.failure ??= e instanceof Error ? e : new Error(String(e));
    };
    this.doc.on('error', fail);
    out.on('error', fail);
    // A client that goes away closes the output early: stop instead of waiting for it to read.
    out.on('close', () => {
      if (!this.ending) fail(new Error('output closed before the report ended'));
    });
    this.doc.on('pageAdded', () => this.decorate());
    this.doc.pipe(out);
    this.doc.addPage();
  }

  get left(): number {
    return MARGIN.left;
  }
  get width(): number {
    return this.doc.page.width - MARGIN.left - MARGIN.right;
  }
  get bottom(): number {
    return this.doc.page.height - MARGIN.bottom;
  }
  get y(): number {
    return this.doc.y;
  }
  set y(v: number) {
    this.doc.y = v;
  }

  newPage(): void {
    this.doc.addPage();
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.newPage();
  }

  heading(text: string, size = 13): void {
    // Room for the heading and the first lines under it: a heading never ends a page alone.
    this.ensure(size * 3 + 45);
    this.doc
      .font(FONT_BOLD)
      .fontSize(size)
      .fillColor('#1a1a1a')
      .text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.3);
  }

  paragraph(text: string, size = 9, color = '#333333'): void {
    this.ensure(size * 2);
    this.doc.font(FONT).fontSize(size).fillColor(color).text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.4);
  }

  space(points: number): void {
    this.doc.y += points;
  }

  /** Header and footer of a new page, drawn outside the text area so they never push content. */
  private decorate(): void {
    this.pageNumber++;
    const { doc, meta } = this;
    const x = doc.x;
    const y = doc.y;
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const w = this.width;
    doc.font(FONT_BOLD).fontSize(11).fillColor('#1a1a1a').text(meta.title, MARGIN.left, 20, {
      width: w,
      lineBreak: false,
    });
    doc
      .font(FONT)
      .fontSize(8)
      .fillColor('#555555')
      .text(fit(doc, meta.subtitle, w), MARGIN.left, 35, { width: w, lineBreak: false });
    doc
      .moveTo(MARGIN.left, 47)
      .lineTo(MARGIN.left + w, 47)
      .lineWidth(0.5)
      .strokeColor('#999999')
      .stroke();
    const fy = doc.page.height - 28;
    doc
      .moveTo(MARGIN.left, fy - 4)
      .lineTo(MARGIN.left + w, fy - 4)
      .lineWidth(0.5)
      .strokeColor('#cccccc')
      .stroke();
    const page = `Página ${this.pageNumber}`;
    doc.font(FONT).fontSize(7).fillColor('#555555');
    const pw = doc.widthOfString(page);
    const left = `Fronteira · gerado em ${fmtInstant(meta.generatedAt)} (horário de Brasília) · ${meta.dataNote}`;
    doc.text(fit(doc, left, w - pw - 12), MARGIN.left, fy, { width: w - pw - 12, lineBreak: false });
    doc.text(page, MARGIN.left + w - pw, fy, { width: pw + 1, lineBreak: false });
    doc.page.margins.bottom = bottomMargin;
    doc.fillColor('#000000');
    doc.x = x;
    doc.y = y;
  }

  /**
   * Waits while the output lags behind (an HTTP client reading slowly), so finished pages do not pile up in memory;
   * throws if the output failed.
   */
  async relieve(): Promise<void> {
    this.check();
    while (this.doc.readableLength > HIGH_WATER && !this.failure) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.doc.off('data', done);
          this.out.removeListener('error', done);
          this.out.removeListener('close', done);
          resolve();
        };
        this.doc.on('data', done);
        this.out.on('error', done);
        this.out.on('close', done);
      });
    }
    this.check();
  }

  private check(): void {
    if (this.failure) {
      throw new FronteiraError(
        'FRONTEIRA_E_INTERNAL',
        `report output failed: ${this.failure.message}`,
        {},
        {
          cause: this.failure,
        },
      );
    }
  }

  /** Ends the document and waits until the output has taken all of it. */
  async end(): Promise<void> {
    this.check();
    this.ending = true;
    this.doc.end();
    try {
      await finished(this.out as NodeJS.WritableStream & import('node:stream').Writable, { readable: false });
    } catch (e) {
      this.failure ??= e instanceof Error ? e : new Error(String(e));
    }
    this.check();
  }
}

/** `text` cut with '…' to fit `width` in the current font. */
export function fit(doc: PDFKit.PDFDocument, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (doc.widthOfString(`${text.slice(0, mid)}…`) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

export interface PdfColumn {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

export interface RowStyle {
  /** Background per cell (null = none). */
  fills?: readonly (string | null | undefined)[];
  bold?: boolean;
  color?: string;
}

/**
 * A table drawn row by row: widths are scaled to the text width when they add up to more, a cell may hold several
 * lines ('\n'), and the header row is repeated at the top of every page the table continues on.
 */
export class PdfTable {
  private readonly cols: PdfColumn[];
  private readonly fontSize: number;
  private readonly lines: number;
  private readonly rowHeight: number;
  private pageOfHeader = -1;

  constructor(
    private readonly r: PdfReport,
    columns: readonly PdfColumn[],
    opts: { fontSize?: number; lines?: number } = {},
  ) {
    const total = columns.reduce((a, c) => a + c.width, 0);
    const scale = total > r.width ? r.width / total : 1;
    this.cols = columns.map((c) => ({ ...c, width: c.width * scale }));
    this.fontSize = opts.fontSize ?? 8;
    this.lines = opts.lines ?? 1;
    this.rowHeight = Math.ceil(this.fontSize * 1.25 * this.lines + 5);
  }

  private header(): void {
    const { doc } = this.r;
    const h = Math.ceil(this.fontSize * 1.25 + 6);
    const y = doc.y;
    let x = this.r.left;
    doc.rect(x, y, this.totalWidth(), h).fill('#e3e7ec').font(FONT_BOLD).fontSize(this.fontSize).fillColor('#1a1a1a');
    for (const c of this.cols) {
      doc.text(fit(doc, c.header, c.width - 6), x + 3, y + 3.5, {
        width: c.width - 6,
        align: c.align ?? 'left',
        lineBreak: false,
      });
      x += c.width;
    }
    doc.y = y + h;
    this.pageOfHeader = this.r.pageNumber;
  }

  private totalWidth(): number {
    return this.cols.reduce((a, c) => a + c.width, 0);
  }

  row(cells: readonly string[], style: RowStyle = {}): void {
    const { doc } = this.r;
    if (doc.y + this.rowHeight > this.r.bottom) this.r.newPage();
    if (this.pageOfHeader !== this.r.pageNumber) {
      if (doc.y + this.rowHeight * 2 > this.r.bottom) this.r.newPage();
      this.header();
    }
    const y = doc.y;
    let x = this.r.left;
    const fills = style.fills ?? [];
    for (let i = 0; i < this.cols.length; i++) {
      const fill = fills[i];
      if (fill) doc.rect(x, y, this.cols[i].width, this.rowHeight).fill(fill);
      x += this.cols[i].width;
    }
    doc
      .font(style.bold ? FONT_BOLD : FONT)
      .fontSize(this.fontSize)
      .fillColor(style.color ?? '#1a1a1a');
    x = this.r.left;
    const lineH = this.fontSize * 1.25;
    for (let i = 0; i < this.cols.length; i++) {
      const c = this.cols[i];
      const parts = (cells[i] ?? '').split('\n').slice(0, this.lines);
      parts.forEach((p, j) => {
        const size = j === 0 ? this.fontSize : this.fontSize - 1.5;
        doc.fontSize(size).text(fit(doc, p, c.width - 6), x + 3, y + 3 + j * lineH, {
          width: c.width - 6,
          align: c.align ?? 'left',
          lineBreak: false,
        });
      });
      doc.fontSize(this.fontSize);
      x += c.width;
    }
    doc
      .moveTo(this.r.left, y + this.rowHeight)
      .lineTo(this.r.left + this.totalWidth(), y + this.rowHeight)
      .lineWidth(0.3)
      .strokeColor('#d0d0d0')
      .stroke();
    doc.fillColor('#000000');
    doc.x = this.r.left;
    doc.y = y + this.rowHeight;
  }

  /** Leaves a little space after the table. */
  end(): void {
    this.r.doc.x = this.r.left;
    this.r.space(8);
  }
}
