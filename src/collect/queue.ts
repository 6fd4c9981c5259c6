/**
 * pg-boss on the store's own connection pool: jobs, schedules and their state live in the same database as the data
 * (schema `pgboss`), so the embedded store needs no second connection — PGlite has only one — and a server store
 * lets several fronteira processes share the work (jobs are claimed with SKIP LOCKED).
 *
 * Queues. Jobs are coarse: a collect job carries a chunk of meters (all the meters of the lines it covers), so 10 000
 * meters are a few dozen jobs, not 10 000.
 *   fronteira-collect        {purpose, meterIds, gapIds?}: plan and read a chunk of meters; completes only after the
 *                            chunk's readings are committed, so a crash leaves it active until it expires and pg-boss
 *                            retries it (ingest is idempotent: reading again is safe).
 *   fronteira-task           {taskId}: one parametrization or on-demand read.
 *   fronteira-schedule-NAME  one queue per cron schedule (pg-boss keys schedules by queue): its job plans the
 *                            daily/intraday chunks, or runs the gap scan, and ends quickly.
 */
import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import { FronteiraError } from '../domain/errors.ts';
import type { Logger } from '../logging.ts';
import type { Store } from '../store/pool.ts';

export const BOSS_SCHEMA = 'pgboss';
export const COLLECT_QUEUE = 'fronteira-collect';
export const TASK_QUEUE = 'fronteira-task';
export const SCHEDULE_QUEUE_PREFIX = 'fronteira-schedule-';

export type SchedulePurpose = 'daily' | 'intraday' | 'gaps';

export interface ScheduleSpec {
  /** Letters, digits, '-' and '_' (it names the schedule's queue). */
  name: string;
  /** Five-field cron, in `tz`. */
  cron: string;
  purpose: SchedulePurpose;
  /** Only meters of points carrying one of these tags (a point group); all meters when absent. */
  tags?: string[];
}

export interface CollectJobData {
  purpose: 'daily' | 'intraday' | 'gap';
  meterIds: number[];
  gapIds?: number[];
  schedule?: string;
}

export interface TaskJobData {
  taskId: number;
}

export interface ScheduleJobData {
  purpose: SchedulePurpose;
  tags?: string[];
  schedule: string;
}

export interface JobSettings {
  /** Longer than the slowest chunk: a job still active after this is taken as crashed and retried. */
  expireInSeconds: number;
  retryLimit: number;
  retryDelay: number;
  retryBackoff: boolean;
}

export const DEFAULT_COLLECT_JOB: Readonly<JobSettings> = Object.freeze({
  expireInSeconds: 15 * 60,
  retryLimit: 3,
  retryDelay: 30,
  retryBackoff: true,
});

export const DEFAULT_TASK_JOB: Readonly<JobSettings> = Object.freeze({
  expireInSeconds: 10 * 60,
  retryLimit: 2,
  retryDelay: 30,
  retryBackoff: true,
});

const SCHEDULE_JOB: Readonly<JobSettings> = Object.freeze({
  expireInSeconds: 30 * 60,
  retryLimit: 1,
  retryDelay: 10,
  retryBackoff: false,
});

const NAME_RE = /^[A-Za-z0-9_-]{1,40}$/;

export function scheduleQueue(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `schedule name '${name}' must be 1–40 letters, digits, '-' or '_'`,
      { field: 'name' },
    );
  }
  return SCHEDULE_QUEUE_PREFIX + name;
}

/** pg-boss's `db` adapter over the store pool (one statement or one multi-statement string per call). */
export function bossDb(store: Store): PgBoss.Db {
  return {
    executeSql: async (text: string, values: unknown[]) => {
      const r = await store.pool.query(text, values as unknown[] | undefined);
      return { rows: r.rows };
    },
  };
}

/** A deterministic job id, so a retried planning job re-inserts the same jobs (pg-boss ignores duplicate ids). */
export function jobId(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface BossOptions {
  logger?: Logger;
  /** Run the cron clock in this process (default true). */
  schedule?: boolean;
}

export async function startBoss(store: Store, opts: BossOptions = {}): Promise<PgBoss> {
  const boss = new PgBoss({
    db: bossDb(store),
    schema: BOSS_SCHEMA,
    migrate: true,
    supervise: true,
    schedule: opts.schedule ?? true,
    // Keep job history a week; the read_session table is the lasting record.
    deleteAfterDays: 7,
  });
  boss.on('error', (e) => opts.logger?.warn({ err: e }, 'pg-boss error'));
  await boss.start();
  return boss;
}

export async function ensureQueue(
  boss: PgBoss,
  name: string,
  s: JobSettings,
  policy: PgBoss.QueuePolicy = 'standard',
): Promise<void> {
  const options = { name, policy, ...s };
  await boss.createQueue(name, options);
  // createQueue keeps an existing queue as it was; settings changed in configuration apply from the next start.
  await boss.updateQueue(name, options);
}

export async function ensureQueues(boss: PgBoss, s: { collect: JobSettings; task: JobSettings }): Promise<void> {
  await ensureQueue(boss, COLLECT_QUEUE, s.collect);
  await ensureQueue(boss, TASK_QUEUE, s.task);
}

/**
 * Makes the stored schedules match `specs`: a queue and a cron per spec (stately: a run not yet started is not
 * queued twice), and our schedules no longer configured removed. Stored in the database, so they survive restarts.
 */
export async function syncSchedules(boss: PgBoss, specs: ScheduleSpec[], tz: string): Promise<void> {
  const wanted = new Map(specs.map((s) => [scheduleQueue(s.name), s]));
  for (const [queue, s] of wanted) {
    await ensureQueue(boss, queue, SCHEDULE_JOB, 'stately');
    const data: ScheduleJobData = { purpose: s.purpose, schedule: s.name, ...(s.tags ? { tags: s.tags } : {}) };
    try {
      await boss.schedule(queue, s.cron, data, { tz });
    } catch (e) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `schedule '${s.name}': ${(e as Error).message}`, {
        field: 'cron',
      });
    }
  }
  for (const existing of await boss.getSchedules()) {
    if (existing.name.startsWith(SCHEDULE_QUEUE_PREFIX) && !wanted.has(existing.name)) {
      await boss.unschedule(existing.name);
    }
  }
}

/**
 * Jobs of our queues left active by a process that died. Only meaningful where one process can own the database
 * (PGlite): there, an active job at start cannot be running anywhere, so it is failed at once and retried by
 * pg-boss instead of waiting for its expiry.
 */
export async function failOrphanedJobs(store: Store, boss: PgBoss): Promise<number> {
  const r = await store.pool.query<{ id: string; name: string }>(
    `SELECT id, name FROM ${BOSS_SCHEMA}.job WHERE state = 'active' AND name LIKE 'fronteira-%'`,
  );
  const byQueue = new Map<string, string[]>();
  for (const row of r.rows) byQueue.set(row.name, [...(byQueue.get(row.name) ?? []), row.id]);
  for (const [name, ids] of byQueue) {
    await boss.fail(name, ids);
    // fail() schedules the retry after the queue's backoff; an orphan has waited enough already.
    await store.pool.query(
      `UPDATE ${BOSS_SCHEMA}.job SET start_after = now() WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'retry'`,
      [name, ids],
    );
  }
  return r.rows.length;
}

export interface QueueCounts {
  queue: string;
  state: string;
  jobs: number;
}

/** Job counts per queue and state (empty when pg-boss was never started on this database). */
export async function queueCounts(store: Store): Promise<QueueCounts[]> {
  const exists = await store.pool.query(`SELECT to_regclass('${BOSS_SCHEMA}.job') IS NOT NULL AS ok`);
  if (!exists.rows[0]?.ok) return [];
  const r = await store.pool.query<{ name: string; state: string; n: number }>(
    `SELECT name, state::text AS state, count(*)::int AS n FROM ${BOSS_SCHEMA}.job
      WHERE name LIKE 'fronteira-%' GROUP BY name, state ORDER BY name, state`,
  );
  return r.rows.map((x) => ({ queue: x.name, state: x.state, jobs: Number(x.n) }));
}
