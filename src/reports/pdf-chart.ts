/**
 * Line chart drawn with pdfkit vector paths: an upper panel with profiles (principal and retaguarda) and an optional
 * lower panel with their difference around a zero line. Missing values (NaN) break the line instead of drawing it
 * down to zero, so a gap in the data shows as a gap.
 */

import { fmtNumber } from './format.ts';
import { FONT, fit } from './pdf.ts';

export interface ChartSeries {
  label: string;
  color: string;
  values: ArrayLike<number>;
}

export interface ChartSpec {
  x: number;
  y: number;
  width: number;
  height: number;
  series: readonly ChartSeries[];
  /** Lower panel (about a third of the height). */
  diff?: ChartSeries;
  /** Labels along the x axis at value indexes. */
  ticks: readonly { index: number; label: string }[];
  unit: string;
}

/** Round steps (1, 2, 5 × 10^n) covering lo…hi in about `count` intervals. */
export function niceTicks(lo: number, hi: number, count = 4): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [0, 1];
  if (hi - lo < 1e-12) {
    const pad = Math.abs(hi) > 1e-12 ? Math.abs(hi) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  if (out[out.length - 1] < hi) out.push(out[out.length - 1] + step);
  return out;
}

function decimalsFor(ticks: readonly number[]): number {
  if (ticks.length < 2) return 0;
  const step = Math.abs(ticks[1] - ticks[0]);
  return step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)));
}

function range(series: readonly ChartSeries[]): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const s of series) {
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

interface Panel {
  x: number;
  y: number;
  width: number;
  height: number;
}

function panel(
  doc: PDFKit.PDFDocument,
  p: Panel,
  series: readonly ChartSeries[],
  ticks: number[],
  n: number,
  unit: string,
): void {
  const lo = ticks[0];
  const hi = ticks[ticks.length - 1];
  const yOf = (v: number) => p.y + p.height - ((v - lo) / (hi - lo)) * p.height;
  const xOf = (i: number) => (n <= 1 ? p.x + p.width / 2 : p.x + (i / (n - 1)) * p.width);
  const dec = decimalsFor(ticks);
  doc.font(FONT).fontSize(6.5).fillColor('#555555');
  for (const t of ticks) {
    const y = yOf(t);
    doc
      .moveTo(p.x, y)
      .lineTo(p.x + p.width, y)
      .lineWidth(t === 0 ? 0.6 : 0.25)
      .strokeColor(t === 0 ? '#777777' : '#dddddd')
      .stroke();
    doc.text(fmtNumber(t, dec), p.x - 44, y - 3, { width: 40, align: 'right', lineBreak: false });
  }
  doc.save().rotate(-90, { origin: [p.x - 50, p.y + p.height / 2] });
  doc.text(unit, p.x - 50 - 30, p.y + p.height / 2 - 3, { width: 60, align: 'center', lineBreak: false });
  doc.restore();
  doc.rect(p.x, p.y, p.width, p.height).lineWidth(0.5).strokeColor('#999999').stroke();
  // Drawn last to first, so the first series (the principal) lies on top where they overlap.
  for (const s of [...series].reverse()) {
    let open = false;
    let drawn = false;
    for (let i = 0; i < Math.min(n, s.values.length); i++) {
      const v = s.values[i];
      if (!Number.isFinite(v)) {
        open = false;
        continue;
      }
      const x = xOf(i);
      const y = yOf(v);
      if (open) doc.lineTo(x, y);
      else {
        doc.moveTo(x, y);
        // A lone value between gaps still shows, as a short tick.
        doc.lineTo(x + 0.4, y);
      }
      open = true;
      drawn = true;
    }
    if (drawn) doc.lineWidth(0.7).strokeColor(s.color).lineJoin('round').stroke();
  }
}

export function drawProfileChart(doc: PDFKit.PDFDocument, spec: ChartSpec): void {
  const n = Math.max(0, ...spec.series.map((s) => s.values.length), spec.diff?.values.length ?? 0);
  const plotX = spec.x + 54;
  const plotW = spec.width - 58;
  const legendH = 12;
  const axisH = 12;
  const gap = spec.diff ? 8 : 0;
  const avail = spec.height - legendH - axisH - gap;
  const topH = spec.diff ? avail * 0.68 : avail;
  const bottomH = spec.diff ? avail - topH : 0;
  // Legend.
  let lx = plotX;
  doc.font(FONT).fontSize(7);
  for (const s of [...spec.series, ...(spec.diff ? [spec.diff] : [])]) {
    doc
      .moveTo(lx, spec.y + 4)
      .lineTo(lx + 14, spec.y + 4)
      .lineWidth(1.5)
      .strokeColor(s.color)
      .stroke();
    doc.fillColor('#333333').text(s.label, lx + 17, spec.y, { lineBreak: false });
    lx += 17 + doc.widthOfString(s.label) + 14;
  }
  const top: Panel = { x: plotX, y: spec.y + legendH, width: plotW, height: topH };
  const [lo, hi] = range(spec.series);
  panel(doc, top, spec.series, niceTicks(lo, hi), n, spec.unit);
  let axisY = top.y + top.height;
  if (spec.diff) {
    const [dlo, dhi] = range([spec.diff]);
    const m = Math.max(Math.abs(dlo), Math.abs(dhi));
    const bottom: Panel = { x: plotX, y: axisY + gap, width: plotW, height: bottomH };
    panel(doc, bottom, [spec.diff], niceTicks(-m, m, 2), n, spec.unit);
    axisY = bottom.y + bottom.height;
  }
  // X axis labels, skipping those that would overlap the previous one.
  doc.font(FONT).fontSize(6.5).fillColor('#555555');
  let lastEnd = Number.NEGATIVE_INFINITY;
  for (const t of spec.ticks) {
    const x = n <= 1 ? plotX + plotW / 2 : plotX + (t.index / (n - 1)) * plotW;
    const w = doc.widthOfString(t.label);
    if (x - w / 2 < lastEnd + 4) continue;
    doc
      .moveTo(x, axisY)
      .lineTo(x, axisY + 2.5)
      .lineWidth(0.4)
      .strokeColor('#777777')
      .stroke();
    doc.text(fit(doc, t.label, 60), x - w / 2, axisY + 3, { lineBreak: false });
    lastEnd = x + w / 2;
  }
  doc.fillColor('#000000');
}
