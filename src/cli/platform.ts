/**
 * The running platform shared by `fronteira serve` (real meters) and `fronteira start` (the same, plus a simulated
 * fleet registered on first run): store, collection engine with its schedules, a catch-up round at start, a status
 * summary in the log after each round, and a clean stop on SIGINT/SIGTERM.
 */
import { type ApiServer, startApiServer } from '../api/server.ts';
import { type Engine, schedulesFrom, startEngine } from '../collect/engine.ts';
import type { ScheduleSpec } from '../collect/queue.ts';
import { type DailyExport, DEFAULT_EXPORT_HOUR, startDailyExport } from '../exports/schedule.ts';
import { createLogger, type Logger } from '../logging.ts';
import { DEFAULT_PROFILE_MONTHS, type ProfileWarmer, startProfileWarmer } from '../profiles/warmer.ts';
import { openStore, type Store } from '../store/pool.ts';
import { startVeeWorker, type VeeWorker } from '../vee/worker.ts';
import { statusReport } from './status-report.ts';
import type { StoreFlags } from './store.ts';

export interface PlatformFlags extends StoreFlags {
  dailyAt: string;
  intradayMinutes: number;
  gapMinutes: number;
  concurrency: number;
  catchUp: boolean;
  driftThreshold: number;
  schedule: ScheduleSpec[];
  /** Seconds between VEE passes over the dirty point-days (0: no VEE worker in this process). */
  veeSeconds?: number;
  /** Local hour from which yesterday's files are exported each day (null: no daily export in this process). */
  exportAt?: number | null;
  /** Layouts of the daily export (default ccee-5min). */
  exportLayouts?: string[];
  /** Delivery folder of the daily export (default $FRONTEIRA_EXPORT_DIR or ./data/exports). */
  exportDir?: string;
  /** Calendar months whose stored month profiles are kept up to date (0: no profile warmer in this process). */
  profileMonths?: number;
  /** Minutes between profile sweeps. */
  profileMinutes?: number;
  /** Serve the REST API on this port (none when absent). */
  httpPort?: number;
  httpHost?: string;
  /** Memory for month bodies in the API process, MB. */
  profileMemoryMb?: number;
}

export interface Platform {
  store: Store;
  engine: Engine;
  vee: VeeWorker | null;
  exports: DailyExport | null;
  profiles: ProfileWarmer | null;
  api: ApiServer | null;
  logger: Logger;
  stop(): Promise<void>;
}

export async function openPlatformStore(flags: StoreFlags): Promise<Store> {
  return openStore(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : { dataDir: flags.dataDir });
}

export async function startPlatform(store: Store, flags: PlatformFlags, logger: Logger): Promise<Platform> {
  const engine = await startEngine(store, {
    logger,
    schedules: schedulesFrom({
      dailyAt: flags.dailyAt === 'off' ? null : flags.dailyAt,
      intradayMinutes: flags.intradayMinutes,
      gapMinutes: flags.gapMinutes,
      extra: flags.schedule,
    }),
    runner: { concurrency: flags.concurrency },
    clockSync: { thresholdS: flags.driftThreshold },
  });
  const veeSeconds = flags.veeSeconds ?? 30;
  const vee =
    veeSeconds > 0
      ? startVeeWorker(store, {
          intervalMs: veeSeconds * 1000,
          logger,
          onReport: (r) =>
            logger.info(
              { pointDays: r.pointDays, changed: r.changed, qualities: r.qualities },
              `VEE: ${r.pointDays} point-days validated and estimated, ${r.changed} final series updated ` +
                `(A ${r.qualities.A}, S ${r.qualities.S}, E ${r.qualities.E}, M ${r.qualities.M}, N ${r.qualities.N} slots)`,
            ),
        })
      : null;
  const exportAt = flags.exportAt === undefined ? DEFAULT_EXPORT_HOUR : flags.exportAt;
  const exports =
    exportAt === null
      ? null
      : startDailyExport(store, {
          hour: exportAt,
          layouts: flags.exportLayouts,
          deliveryDir: flags.exportDir,
          logger,
        });
  const profileMonths = flags.profileMonths ?? DEFAULT_PROFILE_MONTHS;
  const profiles =
    profileMonths > 0
      ? startProfileWarmer(store, { months: profileMonths, everyMinutes: flags.profileMinutes, logger })
      : null;
  let api: ApiServer | null = null;
  if (flags.httpPort !== undefined) {
    api = await startApiServer(store, {
      port: flags.httpPort,
      host: flags.httpHost,
      engine,
      logger,
      profileMemoryMb: flags.profileMemoryMb,
    });
    const users = await store.db
      .selectFrom('app_user')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    logger.info({ url: api.url }, `REST API on ${api.url} (OpenAPI: ${api.url}/docs)`);
    if (Number(users?.n ?? 0) === 0) {
      logger.warn('no users yet: create the first admin with `fronteira user add NAME --role admin`');
    }
  }
  let summaryTimer: NodeJS.Timeout | null = null;
  const summarize = async () => {
    try {
      const r = await statusReport(store, { days: 2 });
      for (const d of r.days) {
        logger.info(
          {
            day: d.day,
            meters: d.meters,
            completeChannelDays: `${d.completeChannels}/${d.channels}`,
            completeness: d.expected ? Number(((100 * d.filled) / d.expected).toFixed(2)) : null,
          },
          `completeness ${d.day}: ${d.expected ? ((100 * d.filled) / d.expected).toFixed(2) : '—'}% (${d.filled}/${d.expected} intervals)`,
        );
      }
      const g = r.collection.gaps;
      logger.info(
        { pending: g.pending.gaps, retrying: g.retrying.gaps, recovered: g.recovered.gaps, lost: g.lost.gaps },
        `gaps: ${g.pending.gaps} pending, ${g.retrying.gaps} retrying, ${g.recovered.gaps} recovered, ${g.lost.gaps} lost`,
      );
    } catch (e) {
      logger.warn({ err: e }, 'status summary failed');
    }
  };
  if (flags.catchUp) {
    // A fresh start collects right away instead of waiting for the first schedule.
    void engine
      .runOnce('daily', { runTasks: true })
      .then(async (rep) => {
        logger.info(rep, `catch-up round: ${rep.ok}/${rep.reads} reads ok, ${rep.filledSlots} slots filled`);
        vee?.kick();
        await summarize();
      })
      .catch((e) => logger.error({ err: e }, 'catch-up round failed'));
  }
  summaryTimer = setInterval(summarize, Math.max(1, flags.gapMinutes || 5) * 60_000);
  summaryTimer.unref();
  return {
    store,
    engine,
    vee,
    exports,
    profiles,
    api,
    logger,
    stop: async () => {
      if (summaryTimer) clearInterval(summaryTimer);
      await api?.close();
      await exports?.stop();
      await profiles?.stop();
      await vee?.stop();
      await engine.stop();
      await store.close();
    },
  };
}

export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

export function platformLogger(): Logger {
  return createLogger('fronteira');
}
