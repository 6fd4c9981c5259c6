/**
 * `#/bench?days=365&channels=4`: draws synthetic 5-min data (no login, no API) with the page's chart so the UI
 * benchmark can read `window.__fronteiraChartMs` — the target is a year of 4 channels in ≤ 100 ms.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Chart } from '../components/Chart.tsx';
import { fmtNum } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';
import type { Route } from '../router.ts';

const STEP = 300;

function synthetic(days: number, channels: number) {
  const n = days * 288;
  const start = Date.parse('2025-01-01T00:00:00-03:00') / 1000;
  const x = new Float64Array(n);
  for (let k = 0; k < n; k++) x[k] = start + (k + 1) * STEP;
  const series = [];
  for (let c = 0; c < channels; c++) {
    const y = new Float64Array(n);
    const quality = new Uint8Array(n).fill(1);
    for (let k = 0; k < n; k++) {
      const h = ((k % 288) / 288) * 2 * Math.PI;
      y[k] = 100 + 40 * Math.sin(h - 1.5 + c) + 10 * Math.sin(k / 7 + c) + ((k * 2654435761) % 1000) / 100;
    }
    // a few gaps and estimated runs, as real data has
    for (let g = 0; g < days; g += 30) {
      for (let k = g * 288 + 100; k < g * 288 + 112 && k < n; k++) {
        y[k] = Number.NaN;
        quality[k] = 0;
      }
      for (let k = g * 288 + 200; k < g * 288 + 210 && k < n; k++) quality[k] = 3;
    }
    // one array per chart, made once: a new array would make the chart build itself again
    series.push([
      { label: t.chart.channel(c + 1), color: ['#1d4ed8', '#047857', '#b45309', '#7c3aed'][c % 4], y, quality },
    ]);
  }
  return { x, series };
}

export function Bench({ route }: { route: Route }) {
  const days = Number(route.query.get('days') ?? 365) || 365;
  const channels = Number(route.query.get('channels') ?? 4) || 4;
  const data = useMemo(() => synthetic(days, channels), [days, channels]);
  const [ms, setMs] = useState<number | null>(null);
  useEffect(() => {
    const id = setTimeout(() => setMs(window.__fronteiraChartMs ?? null), 200);
    return () => clearTimeout(id);
  }, [data]);
  return (
    <div class="page">
      <h1>{t.bench.title}</h1>
      <p id="bench-result">{ms === null ? t.common.loading : t.bench.drawn(fmtNum(ms, 1), data.x.length * channels)}</p>
      {data.series.map((s) => (
        <Chart key={s[0].label} x={data.x} series={s} intervalS={STEP} group="bench" title={s[0].label} height={200} />
      ))}
    </div>
  );
}
