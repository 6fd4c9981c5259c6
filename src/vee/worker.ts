/**
 * The VEE worker of `fronteira serve`/`start`: every `intervalMs` (and when kicked, e.g. after a collection round) it
 * works the dirty queue the store fills as data arrive (ingest), as analysts edit, and as parameters or the holiday
 * calendar change. Several processes may run it: point-days are claimed with SKIP LOCKED.
 */
import type { Logger } from '../logging.ts';
import type { Store } from '../store/pool.ts';
import { runDirty, type VeeRunReport } from './service.ts';

export interface VeeWorkerOptions {
  /** Pause between queue checks (default 30 s). */
  intervalMs?: number;
  /** Point-days per transaction (default 500). */
  limit?: number;
  logger?: Logger;
  /** Called after each pass that recomputed something. */
  onReport?: (r: VeeRunReport) => void;
}

export interface VeeWorker {
  /** Check the queue now (a pass in progress is followed by another one). */
  kick(): void;
  stop(): Promise<void>;
}

export function startVeeWorker(store: Store, opts: VeeWorkerOptions = {}): VeeWorker {
  const interval = opts.intervalMs ?? 30_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(pass, ms);
    timer.unref();
  };

  function pass(): void {
    timer = null;
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        const r = await runDirty(store, { limit: opts.limit ?? 500, maxRounds: 20, logger: opts.logger });
        if (r.pointDays > 0) opts.onReport?.(r);
      } catch (e) {
        opts.logger?.error({ err: e }, 'VEE pass failed; the point-days stay queued');
      } finally {
        running = null;
        schedule(again ? 0 : interval);
        again = false;
      }
    })();
  }

  schedule(Math.min(interval, 1_000));
  return {
    kick() {
      if (running) again = true;
      else schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
