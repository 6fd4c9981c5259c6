/**
 * Keeps the stored month profiles of recent months up to date ahead of the readers: every few minutes, the months
 * of the last `months` calendar months (Brasília) whose data changed are rebuilt, and stored months older than
 * that window are dropped (a read of an older month is answered from the data and stored until the next sweep).
 * One sweep at a time per database (a lease), as several platform processes may share one. Wiring:
 * src/cli/platform.ts (`--profile-months`, `--profile-minutes`).
 */
import { randomUUID } from 'node:crypto';
import { FronteiraError } from '../domain/errors.ts';
import { operatingDayOfIntervalEnd } from '../domain/time.ts';
import type { Logger } from '../logging.ts';
import { withLease } from '../store/leases.ts';
import type { Store } from '../store/pool.ts';
import { monthStart, pruneMonthProfiles, type RefreshReport, refreshProfiles } from './month-cache.ts';

export interface ProfileWarmerOptions {
  /** Calendar months kept warm, this one included (default 2: this month and the last). */
  months?: number;
  /** Minutes between sweeps (default 10). */
  everyMinutes?: number;
  logger?: Logger;
  onSweep?: (r: RefreshReport[]) => void;
}

export const DEFAULT_PROFILE_MONTHS = 2;
export const DEFAULT_PROFILE_MINUTES = 10;

const LEASE_KEY = 'profiles:warm';
const LEASE_MS = 5 * 60_000;

export interface ProfileWarmer {
  /** Starts a sweep now unless one is running. */
  kick(): void;
  stop(): Promise<void>;
}

/** The months a sweep at instant `now` keeps warm, newest first ('YYYY-MM-01'). */
export function warmMonths(now: number, months: number): string[] {
  const today = operatingDayOfIntervalEnd(now + 1);
  return Array.from({ length: months }, (_, i) => monthStart(today, -i));
}

export function startProfileWarmer(
  store: Store,
  o: ProfileWarmerOptions = {},
  clock: () => number = Date.now,
): ProfileWarmer {
  const months = o.months ?? DEFAULT_PROFILE_MONTHS;
  if (!Number.isInteger(months) || months < 1 || months > 24) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `profile months ${months} is not 1..24`, { field: 'months' });
  }
  const everyMs = (o.everyMinutes ?? DEFAULT_PROFILE_MINUTES) * 60_000;
  const holder = `profiles:${randomUUID()}`;
  let running: Promise<void> | null = null;
  let stopped = false;
  const sweep = () => {
    if (running || stopped) return;
    running = (async () => {
      await withLease(store.db, LEASE_KEY, holder, LEASE_MS, async () => {
        const window = warmMonths(clock(), months);
        const reports = await refreshProfiles(store.db, { months: window, logger: o.logger, stopped: () => stopped });
        const pruned = await pruneMonthProfiles(store.db, window[window.length - 1]);
        if (pruned > 0) o.logger?.info({ pruned }, `profiles: ${pruned} stored months outside the warm window dropped`);
        o.onSweep?.(reports);
      });
    })()
      .catch((e) => o.logger?.error({ err: e }, `profile sweep failed: ${(e as Error).message}`))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  sweep();
  return {
    kick: sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
