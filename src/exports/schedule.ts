/**
 * The daily export: once a day, after collection (SCDE's window closes at 10:00) and VEE have had their turn, export
 * YESTERDAY's operating day for every active point in each configured layout, as scope 'schedule'.
 *
 * Whether a day was done is read from export_file (a 'schedule' record of that layout and day), not kept in memory,
 * so a restarted platform neither repeats a day nor misses it. `dueExportDay` is the pure decision; the scheduler
 * only asks it once a minute. Wiring (src/cli/platform.ts): `startDailyExport(store, { logger, … })` at start and
 * `stop()` on shutdown.
 */

import { randomUUID } from 'node:crypto';
import { FronteiraError } from '../domain/errors.ts';
import { addDays, instantToWall, operatingDayOfIntervalEnd } from '../domain/time.ts';
import type { Logger } from '../logging.ts';
import { withLease } from '../store/leases.ts';
import type { Store } from '../store/pool.ts';
import { veeQuery } from '../store/vee-final.ts';
import { getLayout } from './layouts/registry.ts';
import { defaultDeliveryDir, type ExportResult, generateExports } from './service.ts';

export interface DailyExportOptions {
  /** Local (Brasília) hour from which yesterday is exported (default 11: collection closes at 10:00). */
  hour?: number;
  /** Layouts produced every day (default ['ccee-5min']). */
  layouts?: readonly string[];
  /** Delivery folder (default $FRONTEIRA_EXPORT_DIR or ./data/exports). */
  deliveryDir?: string;
  logger?: Logger;
  /** How often to check, ms (default 60 s). */
  checkEveryMs?: number;
}

export const DEFAULT_EXPORT_HOUR = 11;

/** How long a process holds the day's export before another may take it over (renewed while it runs). */
const LEASE_MS = 5 * 60_000;

function checkHour(hour: number): number {
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `export hour ${hour} is not 0..23`, { field: 'hour' });
  }
  return hour;
}

/** Yesterday's operating day (Brasília) at instant `now`. */
export function yesterdayAt(now: number): string {
  return addDays(operatingDayOfIntervalEnd(now + 1), -1);
}

/**
 * The day to export now, or null: yesterday once the local clock has reached `hour`, unless already done.
 * Pure: `now` in ms, `done` = has yesterday already been exported (read from the store by the caller).
 */
export function dueExportDay(now: number, hour: number, done: (day: string) => boolean): string | null {
  checkHour(hour);
  const wall = new Date(instantToWall(now));
  if (wall.getUTCHours() < hour) return null;
  const day = yesterdayAt(now);
  return done(day) ? null : day;
}

/** Layouts that already have a scheduled export of `day`. */
export async function scheduledLayoutsDone(store: Store, day: string): Promise<Set<string>> {
  const rows = await veeQuery<{ layout: string }>(
    store.db,
    `SELECT DISTINCT layout FROM export_file WHERE scope = 'schedule' AND day_from = $1::date`,
    [day],
  );
  return new Set(rows.map((r) => r.layout));
}

/** Exports `day` for every active point in each layout not yet done for it. */
export async function runDailyExport(
  store: Store,
  day: string,
  o: Pick<DailyExportOptions, 'layouts' | 'deliveryDir' | 'logger'> = {},
): Promise<ExportResult[]> {
  const layouts = o.layouts ?? ['ccee-5min'];
  for (const l of layouts) getLayout(l);
  const done = await scheduledLayoutsDone(store, day);
  const out: ExportResult[] = [];
  for (const layout of layouts) {
    if (done.has(layout)) continue;
    const r = await generateExports(store, {
      layout,
      from: day,
      to: day,
      all: true,
      deliveryDir: o.deliveryDir ?? defaultDeliveryDir(),
      actor: 'system',
      scope: 'schedule',
    });
    o.logger?.info(
      { layout, day, produced: r.produced.length, failed: r.failed.length, skipped: r.skipped.length, bytes: r.bytes },
      `export ${layout} ${day}: ${r.produced.length} files, ${r.failed.length} failed, ${r.skipped.length} point-days without final data`,
    );
    for (const f of r.failed.slice(0, 20)) o.logger?.warn({ id: f.id, point: f.pointCode }, f.message);
    out.push(r);
  }
  return out;
}

export interface DailyExport {
  /** Resolves when the check in progress (if any) finishes. */
  stop(): Promise<void>;
}

/** Checks once a minute and runs the day's export when due; one run at a time. */
export function startDailyExport(
  store: Store,
  o: DailyExportOptions = {},
  clock: () => number = Date.now,
): DailyExport {
  const hour = checkHour(o.hour ?? DEFAULT_EXPORT_HOUR);
  const layouts = o.layouts ?? ['ccee-5min'];
  for (const l of layouts) getLayout(l);
  let running: Promise<void> | null = null;
  let stopped = false;
  const holder = `export:${randomUUID()}`;
  const tick = () => {
    if (running || stopped) return;
    running = (async () => {
      const now = clock();
      const day = yesterdayAt(now);
      const done = await scheduledLayoutsDone(store, day);
      if (dueExportDay(now, hour, () => layouts.every((l) => done.has(l))) === null) return;
      // Several platform processes may share one database: the one holding the day's lease exports it; the
      // others find it done on a later check. The lease is renewed while the export runs.
      await withLease(store.db, `export:daily:${day}`, holder, LEASE_MS, () =>
        runDailyExport(store, day, { layouts, deliveryDir: o.deliveryDir, logger: o.logger }),
      );
    })()
      .catch((e) => o.logger?.error({ err: e }, `daily export failed: ${(e as Error).message}`))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, o.checkEveryMs ?? 60_000);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
