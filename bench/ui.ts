/**
 * UI benchmark (issue 5): `npm run bench:ui [-- --runs N] [--days N] [--channels N]`.
 *
 * Target: the UI draws a year of 5-min data for one point (4 channels) in ≤ 100 ms in Chromium, measured in the
 * page. The page `#/bench?days=365&channels=4` (web/src/pages/Bench.tsx) makes the year in the browser (no API: the
 * 5-min API answers at most 93 days per request) and draws it with the Ponto page's chart component, one chart per
 * channel; the chart stores the time from "data set" to "last chart drawn" in `window.__fronteiraChartMs`
 * (web/src/components/Chart.tsx). Each run is a fresh page load; the verdict is on the median of the runs.
 * Baseline in the same browser and script: one day of the same 4 channels, so the ratio says what the year costs
 * over the chart's fixed cost. Debian's Chromium (`/usr/bin/chromium`, or CHROMIUM_PATH) through playwright-core;
 * the built UI (web/dist, built first when missing) served by the API server on a throwaway in-memory store.
 * Exit status 0 when the target passes, 1 when it fails, 2 on an error.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import '../scripts/ensure-web.ts';
import { buildApp } from '../src/api/app.ts';
import { openStore } from '../src/store/pool.ts';
import { figure, median, verdict } from './lib/measure.ts';

const TARGET_MS = 100;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: '${v}' is not a positive integer`);
  return n;
}

let loads = 0;

/** Loads the bench page afresh and returns the draw time the page measured. */
async function drawOnce(page: Page, base: string, days: number, channels: number): Promise<number> {
  // A query string before the hash makes it a new document (a hash change alone would keep the old page).
  await page.goto(`${base}/?run=${++loads}#/bench?days=${days}&channels=${channels}`);
  await page.locator('#bench-result').filter({ hasText: /ms/ }).waitFor();
  const ms = await page.evaluate('window.__fronteiraChartMs');
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new Error(`the page reported no draw time (${ms})`);
  const charts = await page.locator('.chart .u-over').count();
  if (charts !== channels) throw new Error(`${charts} charts drawn, expected ${channels}`);
  return ms;
}

async function series(page: Page, base: string, days: number, channels: number, runs: number): Promise<number[]> {
  await drawOnce(page, base, days, channels); // warm-up: JIT and font caches, not counted
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await drawOnce(page, base, days, channels));
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '9' },
      days: { type: 'string', default: '365' },
      channels: { type: 'string', default: '4' },
    },
  });
  const runs = positive('runs', values.runs);
  const days = positive('days', values.days);
  const channels = positive('channels', values.channels);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium`);

  process.stdout.write(
    `# ${new Date().toISOString()}  node ${process.version}  ${cpus().length} x ${cpus()[0]?.model ?? '?'}  ` +
      `${Math.round(totalmem() / 2 ** 30)} GB  load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}\n# npm run bench:ui -- ${process.argv.slice(2).join(' ')}\n`,
  );
  const store = await openStore({ dataDir: 'memory://' });
  const app = await buildApp({ store, logger: false, cookieSecure: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('the API server has no address');
  const base = `http://127.0.0.1:${address.port}`;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: root ? ['--no-sandbox'] : [],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'pt-BR' });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    const version = browser.version();
    figure('ui', 'browser', `Chromium ${version} headless, 1366×900`);

    const baseline = await series(page, base, 1, channels, runs);
    const year = await series(page, base, days, channels, runs);
    const slots = days * 288 * channels;
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
    figure('ui', `baseline: 1 day × ${channels} channels, runs`, fmt(baseline), 'ms');
    figure('ui', 'baseline median', median(baseline).toFixed(1), 'ms');
    figure('ui', `${days} days × ${channels} channels, runs`, fmt(year), 'ms', `${slots.toLocaleString('en')} slots`);
    figure(
      'ui',
      `${days} days median / min / max`,
      `${median(year).toFixed(1)} / ${Math.min(...year).toFixed(1)} / ${Math.max(...year).toFixed(1)}`,
      'ms',
    );
    figure('ui', 'ratio year / one day (medians)', (median(year) / median(baseline)).toFixed(2), '×');
    const ok = median(year) <= TARGET_MS;
    verdict(
      'ui',
      `${days} days of 5-min data, ${channels} channels: median draw ${median(year).toFixed(1)} ms (<= ${TARGET_MS} ms), ${runs} runs`,
      ok,
    );
    return ok ? 0 : 1;
  } finally {
    await browser.close();
    await app.close();
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench:ui failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
  },
);
