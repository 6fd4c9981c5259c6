/**
 * The collection engine: what `fronteira serve` starts. It keeps every meter's mass memory collected:
 *   - a daily full read (default 00:20 Brasília: the previous day plus anything missing since the last good
 *     interval), intraday reads (default every 15 min), and any number of extra schedules aimed at a point group (tag);
 *   - a gap task (default every 5 min): finds every missing run within each meter's memory and re-reads exactly
 *     that period until it is recovered or falls out of the memory;
 *   - a clock check on every read, with automatic clock-sync tasks above the drift threshold;
 *   - a task worker for remote parametrization and on-demand reads.
 * Schedules, jobs and tasks are rows in the database (pg-boss and the task table), so they survive restarts; an
 * interrupted job is retried. `runOnce` runs a round directly, without the queue (tests, benchmarks, tools).
 */
import type PgBoss from 'pg-boss';
import { FronteiraError } from '../domain/errors.ts';
import { createLogger, type Logger } from '../logging.ts';
import { meterStates, metersWithData, noteSessions, type SessionNote } from '../store/collect-state.ts';
import { type GapRow, gapCounts, listGaps, markGapsScheduled, openGaps } from '../store/gaps.ts';
import { clearLeases, type LeaseRow, listLeases } from '../store/leases.ts';
import type { Store } from '../store/pool.ts';
import { type ActiveMeter, listActiveMeters } from '../store/registry.ts';
import type { GapState } from '../store/schema.ts';
import { pendingTasks, type TaskRow } from '../store/tasks.ts';
import { type ClockSyncOptions, DEFAULT_CLOCK_SYNC_OPTIONS, driftFindings, requestClockSyncs } from './clock-sync.ts';
import { lastGoodInterval, missingRanges } from './completeness.ts';
import {
  afterGapReads,
  DEFAULT_GAP_OPTIONS,
  dueGapRows,
  type GapDeps,
  type GapOptions,
  type GapScanReport,
  openGapRows,
  planGapReads,
  scanGaps,
} from './gaps.ts';
import { ingestReadings } from './ingest.ts';
import { type LeaseClient, LineLeases, localLeases } from './line-lease.ts';
import {
  type CollectPlanInput,
  collectRange,
  DEFAULT_PLANNER_OPTIONS,
  type MissingSpan,
  needsLastGood,
  type PlanDecision,
  type PlannedRead,
  type PlannerOptions,
  planCollect,
} from './planner.ts';
import {
  COLLECT_QUEUE,
  type CollectJobData,
  DEFAULT_COLLECT_JOB,
  DEFAULT_TASK_JOB,
  ensureQueues,
  failOrphanedJobs,
  type JobSettings,
  jobId,
  type QueueCounts,
  queueCounts,
  type ScheduleJobData,
  type ScheduleSpec,
  scheduleQueue,
  startBoss,
  syncSchedules,
  TASK_QUEUE,
  type TaskJobData,
} from './queue.ts';
import { type ReadFn, type ReadOutcome, Runner, type RunnerOptions } from './runner.ts';
import { createTask, executeTask, type TaskDeps, type TaskRequest } from './tasks.ts';

export type RoundPurpose = 'daily' | 'intraday' | 'gaps';

export const DEFAULT_SCHEDULES: readonly ScheduleSpec[] = Object.freeze([
  { name: 'daily', cron: '20 0 * * *', purpose: 'daily' },
  { name: 'intraday', cron: '*/15 * * * *', purpose: 'intraday' },
  { name: 'gaps', cron: '*/5 * * * *', purpose: 'gaps' },
] satisfies ScheduleSpec[]);

export interface ScheduleSettings {
  /** Daily full read at this Brasília time, 'HH:mm' (default '00:20'); null: none. */
  dailyAt?: string | null;
  /** Intraday reads every n minutes (default 15; 0: none). */
  intradayMinutes?: number;
  /** Gap rounds every n minutes (default 5; 0: none). */
  gapMinutes?: number;
  /** Extra schedules, e.g. a point group read hourly: { name: 'ufv', cron: '0 * * * *', purpose: 'intraday', tags: ['solar'] }. */
  extra?: ScheduleSpec[];
}

/** Schedules from simple settings (what a CLI exposes as flags). */
export function schedulesFrom(s: ScheduleSettings = {}): ScheduleSpec[] {
  const out: ScheduleSpec[] = [];
  const daily = s.dailyAt === undefined ? '00:20' : s.dailyAt;
  if (daily !== null) {
    const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(daily);
    if (!m)
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `dailyAt '${daily}' is not a HH:mm time`, {
        field: 'dailyAt',
      });
    out.push({ name: 'daily', cron: `${Number(m[2])} ${Number(m[1])} * * *`, purpose: 'daily' });
  }
  const every = (field: string, n: number | undefined, dflt: number): number => {
    const v = n ?? dflt;
    if (!Number.isInteger(v) || v < 0 || v > 59) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${field} must be 0–59 minutes, got ${v}`, { field });
    }
    return v;
  };
  const intraday = every('intradayMinutes', s.intradayMinutes, 15);
  if (intraday > 0) out.push({ name: 'intraday', cron: `*/${intraday} * * * *`, purpose: 'intraday' });
  const gaps = every('gapMinutes', s.gapMinutes, 5);
  if (gaps > 0) out.push({ name: 'gaps', cron: `*/${gaps} * * * *`, purpose: 'gaps' });
  return [...out, ...(s.extra ?? [])];
}

export interface EngineOptions {
  logger?: Logger;
  /** Time zone of the cron schedules (default America/Sao_Paulo). */
  timezone?: string;
  schedules?: readonly ScheduleSpec[];
  /** Start pg-boss: workers, schedules, task queue (default true). False: runOnce/runTask only. */
  queue?: boolean;
  /** Run the cron clock in this process (default true; several processes may all run it). */
  scheduleClock?: boolean;
  /**
   * Store `schedules` (removing our schedules not in it) and work their jobs (default true). False for a process
   * that only queues tasks or works jobs and must leave the schedules of `fronteira serve` as they are.
   */
  manageSchedules?: boolean;
  /** Meters per collect job (default 250; the meters of one line always stay together). */
  chunkSize?: number;
  /** Collect jobs worked at once by this process (default 4). */
  jobConcurrency?: number;
  taskConcurrency?: number;
  pollingIntervalSeconds?: number;
  collectJob?: Partial<JobSettings>;
  taskJob?: Partial<JobSettings>;
  runner?: Partial<RunnerOptions>;
  planner?: Partial<PlannerOptions>;
  gaps?: Partial<GapOptions>;
  clockSync?: Partial<ClockSyncOptions>;
  /** Line leases in the store (default; several processes) or in this process only. */
  leases?: 'store' | 'local';
  leaseTtlMs?: number;
  /** How long the list of meters in service is reused (default 30 s). */
  registryCacheMs?: number;
  /** Grace for sessions in progress at stop() before they are aborted (default 10 s). */
  stopGraceMs?: number;
  /** Session function (tests). */
  read?: ReadFn;
  /** Clock for planning and gap bookkeeping (tests). */
  now?: () => number;
}

export interface RunOnceOptions {
  /** Only meters of points with one of these tags. */
  tags?: string[];
  meterIds?: number[];
  /** Also run the clock-sync tasks the round asked for (default false: they wait for the task worker). */
  runTasks?: boolean;
}

export interface RunReport {
  purpose: RoundPurpose | 'gap';
  meters: number;
  reads: number;
  skipped: number;
  sessions: number;
  ok: number;
  failed: number;
  intervals: number;
  filledSlots: number;
  conflicts: number;
  clockSyncs: number;
  gaps?: GapScanReport & { due: number };
  ms: number;
}

export interface CollectionStatus {
  gaps: Record<GapState, { gaps: number; intervals: number }>;
  openGaps: GapRow[];
  tasks: { status: string; tasks: number }[];
  failingMeters: {
    meterId: number;
    serial: string;
    failures: number;
    lastError: string | null;
    lastOkAt: Date | null;
  }[];
  queues: QueueCounts[];
  leases: LeaseRow[];
}

export interface EngineStatus extends CollectionStatus {
  sessions: { running: number; waiting: number };
  schedules: { name: string; cron: string }[];
}

export interface Engine {
  readonly store: Store;
  readonly runner: Runner;
  readonly boss: PgBoss | null;
  readonly logger: Logger;
  runOnce(purpose: RoundPurpose, opts?: RunOnceOptions): Promise<RunReport>;
  /** Stores, audits and queues a task (with the queue off it waits for runTask or runOnce({ runTasks: true })). */
  requestTask(req: TaskRequest): Promise<TaskRow>;
  runTask(taskId: number): Promise<TaskRow>;
  status(): Promise<EngineStatus>;
  stop(): Promise<void>;
}

function emptyReport(purpose: RunReport['purpose']): RunReport {
  return {
    purpose,
    meters: 0,
    reads: 0,
    skipped: 0,
    sessions: 0,
    ok: 0,
    failed: 0,
    intervals: 0,
    filledSlots: 0,
    conflicts: 0,
    clockSyncs: 0,
    ms: 0,
  };
}

function addReport(into: RunReport, r: RunReport): void {
  into.meters += r.meters;
  into.reads += r.reads;
  into.skipped += r.skipped;
  into.sessions += r.sessions;
  into.ok += r.ok;
  into.failed += r.failed;
  into.intervals += r.intervals;
  into.filledSlots += r.filledSlots;
  into.conflicts += r.conflicts;
  into.clockSyncs += r.clockSyncs;
}

/** Chunks of about `size` meters, never splitting the meters of one line (their first channel's group). */
export function chunkByLine(meters: ActiveMeter[], size: number): ActiveMeter[][] {
  const byLine = new Map<string, ActiveMeter[]>();
  for (const m of meters) {
    const line = m.channels[0]?.concurrency_group ?? `(none):${m.meter.id}`;
    const l = byLine.get(line);
    if (l) l.push(m);
    else byLine.set(line, [m]);
  }
  const chunks: ActiveMeter[][] = [];
  let current: ActiveMeter[] = [];
  for (const group of byLine.values()) {
    if (current.length > 0 && current.length + group.length > size) {
      chunks.push(current);
      current = [];
    }
    current.push(...group);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length && failure === null) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (e) {
        failure ??= e;
      }
    }
  });
  await Promise.all(workers);
  if (failure !== null) throw failure;
}

function byTags(meters: ActiveMeter[], tags: string[] | undefined): ActiveMeter[] {
  if (!tags || tags.length === 0) return meters;
  return meters.filter((m) => m.point.tags.some((t) => tags.includes(t)));
}

/** What `fronteira status` shows without a running engine: gaps, tasks, failing meters, queues, leases. */
export async function collectionStatus(store: Store, opts: { openGapLimit?: number } = {}): Promise<CollectionStatus> {
  const db = store.db;
  const tasks = await db
    .selectFrom('task')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .orderBy('status')
    .execute();
  const failing = await db
    .selectFrom('meter_collect_state as s')
    .innerJoin('meter as m', 'm.id', 's.meter_id')
    .select(['s.meter_id', 'm.serial', 's.failures', 's.last_error', 's.last_ok_at'])
    .where('s.failures', '>', 0)
    .orderBy('s.failures', 'desc')
    .orderBy('s.meter_id')
    .limit(100)
    .execute();
  return {
    gaps: await gapCounts(db),
    openGaps: await listGaps(db, { states: ['pending', 'retrying'], limit: opts.openGapLimit ?? 100 }),
    tasks: tasks.map((t) => ({ status: t.status, tasks: Number(t.n) })),
    failingMeters: failing.map((f) => ({
      meterId: f.meter_id,
      serial: f.serial,
      failures: f.failures,
      lastError: f.last_error,
      lastOkAt: f.last_ok_at,
    })),
    queues: await queueCounts(store),
    leases: await listLeases(db),
  };
}

class CollectionEngine implements Engine {
  readonly logger: Logger;
  readonly runner: Runner;
  boss: PgBoss | null = null;
  private readonly leases: LeaseClient;
  private readonly planner: PlannerOptions;
  private readonly gapOpts: GapOptions;
  private readonly clockOpts: ClockSyncOptions;
  private readonly collectJob: JobSettings;
  private readonly taskJob: JobSettings;
  private readonly now: () => number;
  private readonly taskDeps: TaskDeps;
  private readonly gapDeps: GapDeps;
  private cache: { at: number; list: ActiveMeter[]; byId: Map<number, ActiveMeter> } | null = null;
  private stopped = false;

  constructor(
    readonly store: Store,
    private readonly opts: EngineOptions,
  ) {
    this.logger = opts.logger ?? createLogger('collect');
    this.now = opts.now ?? Date.now;
    this.planner = { ...DEFAULT_PLANNER_OPTIONS, ...opts.planner };
    this.gapOpts = { ...DEFAULT_GAP_OPTIONS, ...opts.gaps };
    this.clockOpts = { ...DEFAULT_CLOCK_SYNC_OPTIONS, ...opts.clockSync };
    this.collectJob = { ...DEFAULT_COLLECT_JOB, ...opts.collectJob };
    this.taskJob = { ...DEFAULT_TASK_JOB, ...opts.taskJob };
    this.leases =
      opts.leases === 'local' ? localLeases : new LineLeases(store.db, { ttlMs: opts.leaseTtlMs, logger: this.logger });
    this.runner = new Runner(
      {
        ingest: (inputs) => ingestReadings(store, inputs, { driftThresholdS: this.clockOpts.thresholdS }),
        read: opts.read,
        leases: this.leases,
        logger: this.logger,
      },
      opts.runner,
    );
    this.taskDeps = {
      store,
      runner: this.runner,
      meters: (ids) => this.metersById(ids),
      lastGood: lastGoodInterval,
      enqueue: (task) => this.enqueueTasks([task]),
      afterRun: async (outcomes) => {
        await this.noteMeters(outcomes);
      },
      logger: this.logger,
      now: this.now,
    };
    this.gapDeps = { store, missingRanges, logger: this.logger };
  }

  async start(): Promise<void> {
    // The embedded store belongs to this process alone: leases left by a previous run that died are stale.
    if (this.store.kind === 'pglite') await clearLeases(this.store.db);
    if (this.opts.queue === false) return;
    const boss = await startBoss(this.store, { logger: this.logger, schedule: this.opts.scheduleClock });
    this.boss = boss;
    await ensureQueues(boss, { collect: this.collectJob, task: this.taskJob });
    const schedules = this.opts.manageSchedules === false ? [] : (this.opts.schedules ?? DEFAULT_SCHEDULES);
    if (this.opts.manageSchedules !== false) {
      await syncSchedules(boss, [...schedules], this.opts.timezone ?? 'America/Sao_Paulo');
    }
    if (this.store.kind === 'pglite') {
      const n = await failOrphanedJobs(this.store, boss);
      if (n > 0) this.logger.info({ jobs: n }, 'jobs interrupted by the last stop will be retried');
    }
    const work = { batchSize: 1, pollingIntervalSeconds: this.opts.pollingIntervalSeconds ?? 2 };
    for (let i = 0; i < (this.opts.jobConcurrency ?? 4); i++) {
      await boss.work<CollectJobData>(COLLECT_QUEUE, work, async ([job]) => this.onCollectJob(job));
    }
    for (let i = 0; i < (this.opts.taskConcurrency ?? 2); i++) {
      await boss.work<TaskJobData>(TASK_QUEUE, work, async ([job]) => {
        const t = await executeTask(this.taskDeps, job.data.taskId, { jobId: job.id });
        return { task: t.id, status: t.status };
      });
    }
    for (const s of schedules) {
      await boss.work<ScheduleJobData>(scheduleQueue(s.name), work, async ([job]) => this.onSchedule(job));
    }
    await this.enqueueTasks(await pendingTasks(this.store.db, 10_000));
    this.logger.info(
      {
        store: this.store.location,
        schedules: schedules.map((s) => `${s.name} ${s.cron}${s.tags ? ` [${s.tags.join(',')}]` : ''}`),
        concurrency: this.runner.opts.concurrency,
      },
      'collection engine started',
    );
  }

  private async enqueueTasks(tasks: TaskRow[]): Promise<void> {
    if (!this.boss || tasks.length === 0) return;
    await this.boss.insert(
      tasks.map((t) => ({ id: jobId(`task:${t.id}`), name: TASK_QUEUE, data: { taskId: t.id } satisfies TaskJobData })),
    );
  }

  private async activeMeters(force = false): Promise<ActiveMeter[]> {
    const now = Date.now();
    if (!force && this.cache && now - this.cache.at < (this.opts.registryCacheMs ?? 30_000)) return this.cache.list;
    const list = await listActiveMeters(this.store.db, new Date(this.now()));
    this.cache = { at: now, list, byId: new Map(list.map((m) => [m.meter.id, m])) };
    return list;
  }

  private async metersById(ids: number[]): Promise<Map<number, ActiveMeter>> {
    await this.activeMeters();
    if (ids.some((id) => !this.cache!.byId.has(id))) await this.activeMeters(true);
    const out = new Map<number, ActiveMeter>();
    for (const id of ids) {
      const m = this.cache!.byId.get(id);
      if (m) out.set(id, m);
    }
    return out;
  }

  private async planCollectChunk(
    purpose: 'daily' | 'intraday',
    meters: ActiveMeter[],
    now: number,
  ): Promise<PlanDecision[]> {
    const db = this.store.db;
    const ids = meters.map((m) => m.meter.id);
    const states = await meterStates(db, ids);
    const byZone = new Map<string, ActiveMeter[]>();
    for (const m of meters) byZone.set(m.point.timezone, [...(byZone.get(m.point.timezone) ?? []), m]);
    const decisions: PlanDecision[] = [];
    for (const [zone, list] of byZone) {
      const range = collectRange(purpose, now, zone, this.planner);
      const missing = await missingRanges(db, {
        fromDay: range.fromDay,
        toDay: range.toDay,
        until: new Date(now),
        meterIds: list.map((m) => m.meter.id),
      });
      const byMeter = new Map<number, MissingSpan[]>();
      for (const r of missing) byMeter.set(r.meterId, [...(byMeter.get(r.meterId) ?? []), r]);
      const inputs = new Map<number, CollectPlanInput>();
      const lookups: number[] = [];
      for (const m of list) {
        const input: CollectPlanInput = {
          now,
          missing: byMeter.get(m.meter.id) ?? [],
          rangeStart: range.rangeStart,
          state: states.get(m.meter.id) ?? null,
        };
        inputs.set(m.meter.id, input);
        if (needsLastGood(m.meter, input)) lookups.push(m.meter.id);
      }
      // Only meters with some stored data can have a last good interval before the range.
      const withData = await metersWithData(db, lookups);
      for (const id of lookups) {
        inputs.get(id)!.lastGood = withData.has(id) ? await lastGoodInterval(db, id) : null;
      }
      for (const m of list) decisions.push(planCollect(m, purpose, inputs.get(m.meter.id)!, this.planner));
    }
    return decisions;
  }

  /** Plans, reads and records one chunk of meters; the unit of work of a collect job. */
  async collectChunk(
    purpose: 'daily' | 'intraday' | 'gap',
    meters: ActiveMeter[],
    ctx: { jobId?: string | null; gapIds?: number[] } = {},
  ): Promise<RunReport> {
    const t0 = Date.now();
    const now = this.now();
    const report = emptyReport(purpose);
    report.meters = meters.length;
    let decisions: PlanDecision[];
    if (purpose === 'gap') {
      const gaps = ctx.gapIds
        ? await openGapRows(this.store.db, ctx.gapIds)
        : await openGaps(
            this.store.db,
            meters.map((m) => m.meter.id),
          );
      decisions = await planGapReads(
        this.store.db,
        gaps,
        new Map(meters.map((m) => [m.meter.id, m])),
        now,
        this.planner,
      );
    } else {
      decisions = await this.planCollectChunk(purpose, meters, now);
    }
    const reads: PlannedRead[] = [];
    for (const d of decisions) {
      if (d.kind === 'read') reads.push(d.read);
      else report.skipped++;
    }
    report.reads = reads.length;
    const outcomes = reads.length > 0 ? await this.runner.run(reads, { jobId: ctx.jobId ?? null }) : [];
    for (const o of outcomes) {
      if (o.skipped) report.skipped++;
      else if (o.ok) report.ok++;
      else report.failed++;
      report.sessions += o.results.length;
      for (const r of o.results) {
        report.intervals += r.intervals;
        report.filledSlots += r.filledSlots;
        report.conflicts += r.conflicts;
      }
    }
    report.clockSyncs = await this.afterSessions(outcomes);
    if (purpose === 'gap') await afterGapReads(this.gapDeps, outcomes, meters, this.now(), this.gapOpts);
    report.ms = Date.now() - t0;
    this.logger.info(
      {
        purpose,
        meters: report.meters,
        reads: report.reads,
        ok: report.ok,
        failed: report.failed,
        skipped: report.skipped,
        filled: report.filledSlots,
        conflicts: report.conflicts || undefined,
        clockSyncs: report.clockSyncs || undefined,
        ms: report.ms,
        job: ctx.jobId ?? undefined,
      },
      'chunk collected',
    );
    for (const o of outcomes) {
      if (!o.ok && !o.skipped) {
        this.logger.warn(
          { meter: o.read.meter.serial, point: o.read.point.code, attempts: o.attempts, failure: o.failure },
          `${o.read.purpose} read failed`,
        );
      }
    }
    if (outcomes.some((o) => o.skipped === 'engine stopping')) {
      throw new FronteiraError('FRONTEIRA_E_SESSION_ABORTED', `${purpose} chunk interrupted by shutdown`);
    }
    return report;
  }

  /** Meter state from the sessions, and clock syncs for meters that drift. Returns the syncs asked for. */
  private async afterSessions(outcomes: ReadOutcome[]): Promise<number> {
    await this.noteMeters(outcomes);
    const created = await requestClockSyncs(
      this.taskDeps,
      driftFindings(outcomes, this.clockOpts.thresholdS),
      this.clockOpts,
    );
    return created.length;
  }

  private async noteMeters(outcomes: ReadOutcome[]): Promise<void> {
    const notes: SessionNote[] = [];
    for (const o of outcomes) {
      const s = o.summary;
      if (!s) continue;
      notes.push({
        meterId: o.read.meter.id,
        at: new Date(s.endedAt),
        ok: s.ok,
        error: s.failure ? `[${s.failure.code}] ${s.failure.message}` : null,
        driftS: s.clock?.driftSeconds ?? null,
        lastReset: s.lastReset === null ? null : new Date(s.lastReset),
        penultimateReset: s.penultimateReset === null ? null : new Date(s.penultimateReset),
      });
    }
    await noteSessions(this.store.db, notes);
  }

  private async onCollectJob(job: PgBoss.Job<CollectJobData>): Promise<object> {
    const d = job.data;
    const meters = [...(await this.metersById(d.meterIds)).values()];
    const report = await this.collectChunk(d.purpose, meters, { jobId: job.id, gapIds: d.gapIds });
    return { ...report };
  }

  private async onSchedule(job: PgBoss.Job<ScheduleJobData>): Promise<object> {
    const d = job.data;
    if (d.purpose === 'gaps') return this.gapRound({ scheduleJobId: job.id, tags: d.tags });
    const purpose = d.purpose;
    const meters = byTags(await this.activeMeters(true), d.tags);
    const chunks = chunkByLine(meters, this.opts.chunkSize ?? 250);
    await this.boss!.insert(
      chunks.map((c, i) => ({
        id: jobId(`${job.id}:${i}`),
        name: COLLECT_QUEUE,
        data: {
          purpose,
          meterIds: c.map((m) => m.meter.id),
          schedule: d.schedule,
        } satisfies CollectJobData,
      })),
    );
    this.logger.info(
      { schedule: d.schedule, purpose, meters: meters.length, jobs: chunks.length },
      'collection round queued',
    );
    return { meters: meters.length, jobs: chunks.length };
  }

  /**
   * Gap round: scan every meter in service, then re-read the due gaps — queued as collect jobs (from a schedule)
   * or run here (runOnce).
   */
  private async gapRound(ctx: { scheduleJobId?: string; tags?: string[]; meterIds?: number[] }): Promise<RunReport> {
    const t0 = Date.now();
    const now = this.now();
    let meters = byTags(await this.activeMeters(true), ctx.tags);
    if (ctx.meterIds) meters = meters.filter((m) => ctx.meterIds!.includes(m.meter.id));
    const scan = await scanGaps(this.gapDeps, meters, now, this.gapOpts);
    // A meter without an enabled channel keeps its gaps open (until lost) without an attempt per round.
    const inScope = new Set(meters.filter((m) => m.channels.length > 0).map((m) => m.meter.id));
    const due = (await dueGapRows(this.store.db, now, this.gapOpts)).filter((g) => inScope.has(g.meter_id));
    const gapIdsOf = new Map<number, number[]>();
    for (const g of due) gapIdsOf.set(g.meter_id, [...(gapIdsOf.get(g.meter_id) ?? []), g.id]);
    const chunks = chunkByLine(
      meters.filter((m) => gapIdsOf.has(m.meter.id)),
      this.opts.chunkSize ?? 250,
    );
    const report = emptyReport('gaps');
    report.gaps = { ...scan, due: due.length };
    if (this.boss && ctx.scheduleJobId) {
      const holdUntil = new Date(now + 2 * this.collectJob.expireInSeconds * 1000);
      for (const [i, c] of chunks.entries()) {
        const id = jobId(`${ctx.scheduleJobId}:gap:${i}`);
        const gapIds = c.flatMap((m) => gapIdsOf.get(m.meter.id) ?? []);
        await this.boss.insert([
          {
            id,
            name: COLLECT_QUEUE,
            data: { purpose: 'gap', meterIds: c.map((m) => m.meter.id), gapIds } satisfies CollectJobData,
          },
        ]);
        await markGapsScheduled(this.store.db, gapIds, new Date(now), holdUntil, id);
      }
    } else {
      await eachLimited(chunks, this.opts.jobConcurrency ?? 4, async (c) => {
        const gapIds = c.flatMap((m) => gapIdsOf.get(m.meter.id) ?? []);
        await markGapsScheduled(this.store.db, gapIds, new Date(now), new Date(now + 60_000), null);
        addReport(report, await this.collectChunk('gap', c, { gapIds }));
      });
    }
    report.ms = Date.now() - t0;
    if (due.length > 0 || scan.found + scan.recovered + scan.lost > 0) {
      this.logger.info({ ...report.gaps, reReads: chunks.reduce((s, c) => s + c.length, 0) }, 'gap round');
    }
    return report;
  }

  async runOnce(purpose: RoundPurpose, opts: RunOnceOptions = {}): Promise<RunReport> {
    const t0 = Date.now();
    let report: RunReport;
    if (purpose === 'gaps') {
      report = await this.gapRound({ tags: opts.tags, meterIds: opts.meterIds });
    } else {
      let meters = byTags(await this.activeMeters(true), opts.tags);
      if (opts.meterIds) meters = meters.filter((m) => opts.meterIds!.includes(m.meter.id));
      report = emptyReport(purpose);
      const chunks = chunkByLine(meters, this.opts.chunkSize ?? 250);
      await eachLimited(chunks, this.opts.jobConcurrency ?? 4, async (c) => {
        addReport(report, await this.collectChunk(purpose, c));
      });
    }
    if (opts.runTasks) {
      for (const t of await pendingTasks(this.store.db, 10_000)) await executeTask(this.taskDeps, t.id);
    }
    report.ms = Date.now() - t0;
    this.logger.info({ ...report, gaps: undefined }, `${purpose} round done`);
    return report;
  }

  requestTask(req: TaskRequest): Promise<TaskRow> {
    return createTask(this.taskDeps, req);
  }

  runTask(taskId: number): Promise<TaskRow> {
    return executeTask(this.taskDeps, taskId);
  }

  async status(): Promise<EngineStatus> {
    const base = await collectionStatus(this.store);
    const schedules = this.boss ? (await this.boss.getSchedules()).map((s) => ({ name: s.name, cron: s.cron })) : [];
    return { ...base, sessions: { running: this.runner.running, waiting: this.runner.waiting }, schedules };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const grace = this.opts.stopGraceMs ?? 10_000;
    const runnerClosed = this.runner.close(grace);
    if (this.boss) await this.boss.stop({ graceful: true, wait: true, timeout: grace + 5000 });
    await runnerClosed;
    await this.leases.close();
    this.logger.info('collection engine stopped');
  }
}

/** Starts the engine on an open store (the caller closes the store after stop()). */
export async function startEngine(store: Store, options: EngineOptions = {}): Promise<Engine> {
  const engine = new CollectionEngine(store, options);
  try {
    await engine.start();
  } catch (e) {
    await engine.stop().catch(() => {});
    throw e;
  }
  return engine;
}
