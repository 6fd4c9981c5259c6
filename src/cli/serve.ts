/**
 * `fronteira serve`: the platform for real meters — the store (embedded, or PostgreSQL via DATABASE_URL), the
 * collection engine with its schedules (daily full read, intraday reads, gap task), clock sync and parametrization
 * tasks. Several `serve` processes may share one PostgreSQL server (jobs and lines are shared safely).
 */
import type { Command } from 'commander';
import { addHttpOptions } from '../api/server.ts';
import type { ScheduleSpec } from '../collect/queue.ts';
import { FronteiraError } from '../domain/errors.ts';
import { DEFAULT_EXPORT_HOUR } from '../exports/schedule.ts';
import { DEFAULT_PROFILE_MINUTES, DEFAULT_PROFILE_MONTHS } from '../profiles/warmer.ts';
import { openPlatformStore, type PlatformFlags, platformLogger, startPlatform, waitForSignal } from './platform.ts';
import { parseIntOption } from './read.ts';
import { addStoreOptions } from './store.ts';

export function addPlatformOptions(cmd: Command, defaults: { intraday: number; gaps: number }): Command {
  return addHttpOptions(addStoreOptions(cmd))
    .option('--daily-at <HH:mm>', "daily full read, Brasília time ('off' for none)", '00:20')
    .option(
      '--intraday-minutes <n>',
      'intraday reads every n minutes (0 = none)',
      parseIntOption('--intraday-minutes', 0, 59),
      defaults.intraday,
    )
    .option(
      '--gap-minutes <n>',
      'gap task every n minutes (0 = none)',
      parseIntOption('--gap-minutes', 0, 59),
      defaults.gaps,
    )
    .option(
      '--concurrency <n>',
      'meter sessions at once in this process',
      parseIntOption('--concurrency', 1, 5000),
      128,
    )
    .option(
      '--drift-threshold <s>',
      'clock drift (seconds) above which the clock is synced',
      parseIntOption('--drift-threshold', 1, 86_400),
      30,
    )
    .option(
      '--vee-seconds <n>',
      'VEE (validation, estimation, final series) of newly collected or changed days every n seconds (0 = none)',
      parseIntOption('--vee-seconds', 0, 86_400),
      30,
    )
    .option(
      '--export-at <hour>',
      "daily CCEE files of yesterday from this Brasília hour, 0–23 ('off' for none)",
      exportHour,
      DEFAULT_EXPORT_HOUR,
    )
    .option(
      '--export-layouts <list>',
      'layouts of the daily export, comma-separated (fronteira export layouts)',
      (v: string) =>
        v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      ['ccee-5min'],
    )
    .option(
      '--export-dir <dir>',
      'delivery folder of the daily export (default $FRONTEIRA_EXPORT_DIR or ./data/exports)',
    )
    .option(
      '--profile-months <n>',
      'keep the stored 5-min month profiles of the last n calendar months up to date (0 = none)',
      parseIntOption('--profile-months', 0, 24),
      DEFAULT_PROFILE_MONTHS,
    )
    .option(
      '--profile-minutes <n>',
      'minutes between sweeps of the stored month profiles',
      parseIntOption('--profile-minutes', 1, 1440),
      DEFAULT_PROFILE_MINUTES,
    )
    .option('--no-catch-up', 'do not run a collection round right at start')
    .option(
      '--schedule <spec>',
      "extra schedule for a point group, NAME:PURPOSE:TAGS:CRON, e.g. 'ufv:intraday:solar,hydro:0 * * * *' (repeatable)",
      collectSchedule,
      [],
    );
}

/** An hour 0–23, or 'off' (null). */
export function exportHour(value: string): number | null {
  if (value.trim().toLowerCase() === 'off') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 23) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `--export-at: '${value}' is not an hour 0–23 or 'off'`, {
      flag: '--export-at',
    });
  }
  return n;
}

/** Parses NAME:PURPOSE:TAGS:CRON (cron last: it contains spaces). */
export function collectSchedule(value: string, previous: ScheduleSpec[]): ScheduleSpec[] {
  const m = /^([A-Za-z0-9_-]+):(daily|intraday|gaps):([^:]*):(.+)$/.exec(value.trim());
  const cron = m?.[4].trim() ?? '';
  if (!m || cron.split(/\s+/).length !== 5) {
    throw new FronteiraError(
      'FRONTEIRA_E_CLI_ARGUMENT',
      `--schedule: '${value}' is not NAME:PURPOSE:TAGS:CRON (purpose daily, intraday or gaps; five-field cron)`,
    );
  }
  const tags = m[3]
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return [
    ...previous,
    { name: m[1], purpose: m[2] as ScheduleSpec['purpose'], cron, ...(tags.length ? { tags } : {}) },
  ];
}

export function registerServe(program: Command): void {
  addPlatformOptions(
    program
      .command('serve')
      .description('Run the platform: collection on schedule, gap filling, clock sync, tasks, VEE'),
    { intraday: 15, gaps: 5 },
  ).action(async (flags: PlatformFlags) => {
    const logger = platformLogger();
    const store = await openPlatformStore(flags);
    const platform = await startPlatform(store, flags, logger);
    const signal = await waitForSignal();
    logger.info({ signal }, 'stopping');
    await platform.stop();
    logger.info('stopped');
  });
}
