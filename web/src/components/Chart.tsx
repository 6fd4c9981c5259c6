/**
 * A uPlot time chart over typed arrays (x in epoch seconds, one Float64Array per series, NaN = no value), with
 * drag-to-zoom (double click resets), x-zoom shared by the charts of one `group`, slots of a quality other than
 * actual shaded behind the lines, and the draw time of the last render in `window.__fronteiraChartMs` (the UI
 * benchmark reads it: a year of 5-min data for 4 channels must draw in ≤ 100 ms).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtNum, wallDate } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';
import { plotWindow, QUALITY_CODES, QUALITY_COLORS, runsOf } from '../plot-data.ts';

declare global {
  interface Window {
    __fronteiraChartMs?: number;
  }
}

export interface ChartSeries {
  label: string;
  color: string;
  y: Float64Array;
  /** Quality code per slot (QUALITY_CODES); shaded where not actual. */
  quality?: Uint8Array;
  dash?: number[];
}

/** Draw-time bookkeeping shared by the charts of a page: the batch starts when data is set or a zoom begins. */
const clock = { start: 0, open: false };
export function startDrawClock(): void {
  // Charts created or zoomed in the same task (one render, one synced zoom) count as one batch from the first.
  if (clock.open) return;
  clock.open = true;
  clock.start = performance.now();
  setTimeout(() => {
    clock.open = false;
  }, 0);
}

const DAY_S = 86_400;
const AXIS_VALUES: (string | number | null)[][] = [
  [DAY_S * 365, '{YYYY}', null, null, null, null, null, null, 1],
  [DAY_S * 28, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
  [DAY_S, '{DD}/{MM}', '\n{YYYY}', null, null, null, null, null, 1],
  [3600, '{HH}h', '\n{DD}/{MM}/{YY}', null, '\n{DD}/{MM}', null, null, null, 1],
  [60, '{HH}:{mm}', '\n{DD}/{MM}/{YY}', null, '\n{DD}/{MM}', null, null, null, 1],
  [1, ':{ss}', '\n{DD}/{MM}/{YY} {HH}:{mm}', null, '\n{DD}/{MM} {HH}:{mm}', null, '\n{HH}:{mm}', null, 1],
];
const NAMES = {
  MMMM: t.chart.months,
  MMM: t.chart.monthsShort,
  WWWW: t.chart.weekdays,
  WWW: t.chart.weekdaysShort,
};

interface Member {
  u: uPlot;
  zoomTo: (min: number, max: number) => void;
}
type Group = Set<Member>;
const groups = new Map<string, Group>();

export interface ChartProps {
  x: Float64Array;
  series: ChartSeries[];
  /** Slot length in seconds (a slot labelled by its end covers end − intervalS … end). */
  intervalS: number;
  height?: number;
  unit?: string;
  /** Charts with the same group zoom together. */
  group?: string;
  /** Called with the x range (epoch seconds) after a zoom, or null when reset. */
  onZoom?: (range: { min: number; max: number } | null) => void;
  title?: string;
}

export function Chart({ x, series, intervalS, height = 260, unit = '', group, onZoom, title }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    startDrawClock();
    const runs = series.map((s) => (s.quality ? runsOf(s.quality) : []));
    const ys = series.map((s) => s.y);
    const full = { min: x[0], max: x[x.length - 1] };
    const view = { ...full };
    const columns = (width: number) => Math.max(100, Math.round(width));
    const opts: uPlot.Options = {
      title,
      width: Math.max(200, el.clientWidth),
      height,
      tzDate: (ts) => wallDate(ts * 1e3),
      fmtDate: (tpl) => uPlot.fmtDate(tpl, NAMES),
      // The zoom is ours (zoomTo): the data for the new window is cut before uPlot redraws.
      cursor: { drag: { x: true, y: false, setScale: false }, bind: { dblclick: () => null } },
      scales: { x: { time: true } },
      legend: { live: true },
      axes: [
        { values: AXIS_VALUES as uPlot.Axis['values'] },
        { values: (_u, splits) => splits.map((v) => fmtNum(v, 3)), size: 64, label: unit || undefined },
      ],
      series: [
        { label: t.chart.time, value: '{DD}/{MM}/{YYYY} {HH}:{mm}' },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1,
          dash: s.dash,
          spanGaps: false,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmtNum(v, 4)),
        })),
      ],
      hooks: {
        drawClear: [
          (u) => {
            // Quality shading under the lines: one rectangle per run of non-actual slots.
            const ctx = u.ctx;
            const { left, top, width, height: h } = u.bbox;
            ctx.save();
            ctx.beginPath();
            ctx.rect(left, top, width, h);
            ctx.clip();
            for (const list of runs) {
              for (const r of list) {
                const a = x[r.from] - intervalS;
                const b = x[r.to];
                if (b < view.min || a > view.max) continue;
                const px0 = u.valToPos(a, 'x', true);
                const px1 = u.valToPos(b, 'x', true);
                ctx.fillStyle = QUALITY_COLORS[QUALITY_CODES[r.q]] ?? 'rgba(0,0,0,0.1)';
                ctx.fillRect(px0, top, Math.max(1, px1 - px0), h);
              }
            }
            ctx.restore();
          },
        ],
        draw: [
          () => {
            if (clock.open) window.__fronteiraChartMs = performance.now() - clock.start;
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width <= 0) return;
            const min = u.posToVal(u.select.left, 'x');
            const max = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoomAll(min, max);
          },
        ],
      },
    };
    const u = new uPlot(
      opts,
      plotWindow(x, ys, full.min, full.max, columns(opts.width)) as unknown as uPlot.AlignedData,
      el,
    );
    const zoomTo = (min: number, max: number) => {
      view.min = Math.max(full.min - intervalS, min);
      view.max = Math.min(full.max, max);
      const data = plotWindow(x, ys, view.min, view.max, columns(u.bbox.width / devicePixelRatio));
      u.batch(() => {
        u.setData(data as unknown as uPlot.AlignedData, false);
        u.setScale('x', { min: view.min, max: view.max });
      });
    };
    const member: Member = { u, zoomTo };
    const zoomAll = (min: number, max: number) => {
      startDrawClock();
      const zoomed = min > full.min + 1 || max < full.max - 1;
      zoomRef.current?.(zoomed ? { min, max } : null);
      for (const m of group ? (groups.get(group) ?? [member]) : [member]) m.zoomTo(min, max);
    };
    const dbl = () => zoomAll(full.min, full.max);
    u.over.addEventListener('dblclick', dbl);
    let g: Group | undefined;
    if (group) {
      g = groups.get(group) ?? new Set();
      groups.set(group, g);
      g.add(member);
    }
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w === u.width) return;
      startDrawClock();
      u.setSize({ width: w, height });
      zoomTo(view.min, view.max);
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.over.removeEventListener('dblclick', dbl);
      g?.delete(member);
      if (g && g.size === 0 && group) groups.delete(group);
      u.destroy();
    };
  }, [x, series, intervalS, height, unit, group, title]);

  return <div class="chart" ref={box} />;
}

export function QualityLegend({ labels }: { labels: Record<string, string> }) {
  return (
    <ul class="quality-legend">
      <li>
        <span class="swatch line" /> {labels.A}
      </li>
      {(['S', 'E', 'M', 'N'] as const).map((q) => (
        <li key={q}>
          <span class="swatch" style={{ background: QUALITY_COLORS[q] }} /> {labels[q]}
        </li>
      ))}
    </ul>
  );
}
