/**
 * Remote parametrization and on-demand reads as tasks: a row in `task` (who asked, what, for which meter), a job on
 * the task queue, one session through the runner (so the line and meter rules hold), the result on the row, and an
 * audit entry for the request and for the outcome. Writes also leave a 'parametrization' meter event.
 *
 * Kinds: read_now (a mass-memory window since the last good interval), clock_sync ('relogio': 0x29/0x30),
 * demand_interval ('intervalo-demanda': 0x31), holidays ('feriados': 0x32), demand_reset ('fatura': 0x20).
 * A demand reset is never repeated on its own: its task runs one attempt, and a reset interrupted by a crash ends
 * failed instead of being retried, because a second reset would close a billing period.
 */
import { FronteiraError } from '../domain/errors.ts';
import type { Logger } from '../logging.ts';
import { audit } from '../store/audit.ts';
import { meterStates } from '../store/collect-state.ts';
import type { Store } from '../store/pool.ts';
import type { ActiveMeter, Db } from '../store/registry.ts';
import type { SessionPurpose, TaskKind } from '../store/schema.ts';
import {
  claimTask,
  finishTask,
  insertTask,
  insertTaskEvent,
  reclaimTask,
  type TaskRow,
  taskById,
  unclaimTask,
} from '../store/tasks.ts';
import {
  groupsOf,
  MAX_WINDOW_AMOUNT,
  type MassMemoryWindow,
  memoryStartEnd,
  type PlannedRead,
  windowReaching,
} from './planner.ts';
import type { ReadOutcome, Runner } from './runner.ts';

export const TASK_KINDS: readonly TaskKind[] = [
  'read_now',
  'clock_sync',
  'demand_interval',
  'holidays',
  'demand_reset',
];
const WRITES: ReadonlySet<TaskKind> = new Set(['clock_sync', 'demand_interval', 'holidays', 'demand_reset']);
const DAY = 86_400_000;

export interface TaskRequest {
  kind: TaskKind;
  meterId: number;
  params?: Record<string, unknown>;
  /** `cli:<user>`, `api:<user>`, `engine`… */
  requestedBy: string;
  comment?: string;
}

export interface TaskDeps {
  store: Store;
  runner: Runner;
  /** Meters in service by id (the engine's cached registry view). */
  meters: (ids: number[]) => Promise<Map<number, ActiveMeter>>;
  lastGood: (db: Db, meterId: number) => Promise<Date | null>;
  /** Called with the task's session outcome before the task is finished (the engine notes the meter's state). */
  afterRun?: (outcomes: ReadOutcome[]) => Promise<void>;
  /** Sends the task's job; without it the caller runs the task itself (executeTask). */
  enqueue?: (task: TaskRow) => Promise<void>;
  logger?: Logger;
  now?: () => number;
}

function invalid(kind: string, field: string, what: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_VALIDATION', `task ${kind}: ${field}: ${what}`, { field });
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Checks and normalises a task's parameters against the meter it targets. */
export function validateTaskParams(
  kind: TaskKind,
  params: Record<string, unknown>,
  meter: { mm_interval_s: number },
): Record<string, unknown> {
  switch (kind) {
    case 'read_now': {
      const w = params.window as Partial<MassMemoryWindow> | undefined;
      if (w === undefined) return {};
      if (typeof w !== 'object' || w === null) throw invalid(kind, 'window', 'must be { amount, unit }');
      if (!Number.isInteger(w.amount) || (w.amount as number) < 1 || (w.amount as number) > MAX_WINDOW_AMOUNT) {
        throw invalid(kind, 'window.amount', `${String(w.amount)} is not an integer in 1–${MAX_WINDOW_AMOUNT}`);
      }
      if (w.unit !== 'hours' && w.unit !== 'days') throw invalid(kind, 'window.unit', "must be 'hours' or 'days'");
      return { window: { amount: w.amount, unit: w.unit } };
    }
    case 'clock_sync': {
      const out: Record<string, unknown> = {};
      if (typeof params.driftS === 'number') out.driftS = params.driftS;
      if (typeof params.reason === 'string') out.reason = params.reason;
      return out;
    }
    case 'demand_interval': {
      const minutes = params.minutes;
      const mm = meter.mm_interval_s;
      if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 60 || 60 % minutes) {
        throw invalid(kind, 'minutes', `${String(minutes)} must be a whole number of minutes that divides 60`);
      }
      if ((minutes * 60) % mm !== 0) {
        throw invalid(
          kind,
          'minutes',
          `${minutes} is not a multiple of the meter's ${mm / 60}-min mass-memory interval`,
        );
      }
      return { minutes };
    }
    case 'holidays': {
      const dates = params.dates;
      if (!Array.isArray(dates)) throw invalid(kind, 'dates', "must be a list of 'YYYY-MM-DD' dates");
      if (dates.length > 15) throw invalid(kind, 'dates', `a meter holds at most 15 holidays, got ${dates.length}`);
      const out = new Set<string>();
      dates.forEach((d, i) => {
        const m = typeof d === 'string' ? DAY_RE.exec(d) : null;
        const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
        if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== d) {
          throw invalid(kind, `dates[${i}]`, `${JSON.stringify(d)} is not a YYYY-MM-DD date`);
        }
        const y = Number(m[1]);
        if (y < 2000 || y > 2099) throw invalid(kind, `dates[${i}]`, `${d}: the meter keeps years 2000–2099 only`);
        out.add(d);
      });
      return { dates: [...out].sort() };
    }
    case 'demand_reset':
      return {};
    default:
      throw invalid(String(kind), 'kind', `unknown task kind; known: ${TASK_KINDS.join(', ')}`);
  }
}

/** Validates, stores and audits a task, then hands it to the queue. */
export async function createTask(deps: TaskDeps, req: TaskRequest): Promise<TaskRow> {
  if (!TASK_KINDS.includes(req.kind)) {
    throw invalid(String(req.kind), 'kind', `unknown task kind; known: ${TASK_KINDS.join(', ')}`);
  }
  const meter = await deps.store.db.selectFrom('meter').selectAll().where('id', '=', req.meterId).executeTakeFirst();
  if (!meter) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `task ${req.kind}: no meter with id ${req.meterId}`);
  const params = validateTaskParams(req.kind, req.params ?? {}, meter);
  const task = await deps.store.db.transaction().execute(async (trx) => {
    const t = await insertTask(trx, { kind: req.kind, meterId: meter.id, params, requestedBy: req.requestedBy });
    await audit(trx, {
      actor: req.requestedBy,
      action: 'task.request',
      entity: 'task',
      entityId: t.id,
      after: { kind: t.kind, meterId: meter.id, serial: meter.serial, params },
      comment: req.comment ?? null,
    });
    return t;
  });
  deps.logger?.info({ task: task.id, kind: task.kind, meter: meter.serial, by: req.requestedBy }, 'task requested');
  if (deps.enqueue) await deps.enqueue(task);
  return task;
}

const PURPOSE: Record<TaskKind, SessionPurpose> = {
  read_now: 'manual',
  clock_sync: 'clock_sync',
  demand_interval: 'parametrization',
  holidays: 'parametrization',
  demand_reset: 'parametrization',
};

/** The session a task needs. */
export function planTask(
  task: TaskRow,
  m: ActiveMeter,
  now: number,
  info: { lastGood: Date | null; driftS: number | null },
): PlannedRead {
  const params = (task.params ?? {}) as Record<string, unknown>;
  const base = {
    meter: m.meter,
    point: m.point,
    channels: m.channels,
    purpose: PURPOSE[task.kind],
    taskId: task.id,
    reason: `task #${task.id} ${task.kind}`,
  };
  switch (task.kind) {
    case 'read_now': {
      let window = params.window as MassMemoryWindow | undefined;
      if (!window) {
        const step = m.meter.mm_interval_s * 1000;
        const from = Math.max(info.lastGood ? info.lastGood.getTime() + step : now - DAY, memoryStartEnd(m.meter, now));
        window = windowReaching(from, now, { intervalMs: step, driftS: info.driftS }).window;
      }
      return { ...base, sequence: 'memoria', window, groups: groupsOf(m.meter.channel_map) };
    }
    case 'clock_sync':
      return { ...base, sequence: 'relogio' };
    case 'demand_interval':
      return { ...base, sequence: 'intervalo-demanda', write: { demandIntervalMinutes: params.minutes as number } };
    case 'holidays':
      return {
        ...base,
        sequence: 'feriados',
        write: { holidays: ((params.dates as string[]) ?? []).map((d) => Date.parse(`${d}T00:00:00Z`)) },
      };
    case 'demand_reset':
      return { ...base, sequence: 'fatura', maxAttempts: 1, groups: groupsOf(m.meter.channel_map) };
  }
}

interface TaskEffect {
  before: unknown;
  after: unknown;
  setting: string | null;
}

function effectOf(kind: TaskKind, o: ReadOutcome): TaskEffect {
  const s = o.summary;
  switch (kind) {
    case 'clock_sync': {
      const before = s?.clockSet?.before.driftSeconds ?? s?.clock?.driftSeconds ?? null;
      const after = s?.clockSet ? (s.clockSet.after?.driftSeconds ?? null) : null;
      return { setting: 'clock', before: { driftS: before }, after: { driftS: after } };
    }
    case 'demand_interval':
    case 'holidays': {
      const p = s?.parametrization;
      return { setting: p?.setting ?? kind, before: p?.before ?? null, after: p?.after ?? null };
    }
    case 'demand_reset':
      return {
        setting: 'demand reset',
        before: null,
        after: s
          ? { resetCount: s.resetCount, lastReset: s.lastReset ? new Date(s.lastReset).toISOString() : null }
          : null,
      };
    default:
      return { setting: null, before: null, after: { intervals: s?.intervals ?? 0 } };
  }
}

/**
 * Runs a task (the task job's handler). Safe to call again for the same task: a finished task is left alone, and a
 * task found running (its process died) is run again — except a demand reset, which ends failed for a person to check.
 */
export async function executeTask(
  deps: TaskDeps,
  taskId: number,
  ctx: { jobId?: string | null } = {},
): Promise<TaskRow> {
  const db = deps.store.db;
  const now = deps.now ?? Date.now;
  let task = await claimTask(db, taskId);
  if (!task) {
    const current = await taskById(db, taskId);
    if (!current) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `no task with id ${taskId}`);
    if (current.status !== 'running') return current;
    if (current.kind === 'demand_reset') {
      return finish(deps, current, null, 'failed', {
        error:
          'interrupted while running: the demand reset may or may not have happened; check the meter before asking again',
      });
    }
    task = (await reclaimTask(db, taskId)) ?? current;
  }
  const m = (await deps.meters([task.meter_id])).get(task.meter_id);
  if (!m)
    return finish(deps, task, null, 'failed', { error: 'the meter is not in service (retired or out of validity)' });
  if (m.channels.length === 0) return finish(deps, task, null, 'failed', { error: 'the meter has no enabled channel' });
  const state = (await meterStates(db, [m.meter.id])).get(m.meter.id);
  const lastGood = task.kind === 'read_now' ? await deps.lastGood(db, m.meter.id) : null;
  const read = planTask(task, m, now(), { lastGood, driftS: state?.driftS ?? null });
  deps.logger?.info({ task: task.id, kind: task.kind, meter: m.meter.serial }, 'task running');
  const [outcome] = await deps.runner.run([read], { jobId: ctx.jobId ?? null });
  await deps.afterRun?.([outcome]);
  if (outcome.attempts === 0 && outcome.skipped) {
    // Nothing reached the meter: the task waits for the next run instead of failing.
    await unclaimTask(db, task.id);
    throw new FronteiraError('FRONTEIRA_E_SESSION_ABORTED', `task #${task.id} not run: ${outcome.skipped}`);
  }
  return finish(deps, task, outcome, outcome.ok ? 'done' : 'failed', {});
}

async function finish(
  deps: TaskDeps,
  task: TaskRow,
  outcome: ReadOutcome | null,
  status: 'done' | 'failed',
  extra: Record<string, unknown>,
): Promise<TaskRow> {
  const effect = outcome ? effectOf(task.kind, outcome) : { setting: null, before: null, after: null };
  const sessionId = outcome?.sessionIds[outcome.sessionIds.length - 1] ?? null;
  const failure = outcome?.failure ?? null;
  const result: Record<string, unknown> = {
    ...extra,
    ok: status === 'done',
    attempts: outcome?.attempts ?? 0,
    sessionIds: outcome?.sessionIds ?? [],
    before: effect.before,
    after: effect.after,
  };
  if (failure) result.failure = failure;
  if (outcome?.skipped) result.skipped = outcome.skipped;
  if (outcome?.summary?.intervals) result.intervals = outcome.summary.intervals;
  const row = await deps.store.db.transaction().execute(async (trx) => {
    const done = await finishTask(trx, task.id, { status, result, sessionId });
    const isWrite = WRITES.has(task.kind);
    await audit(trx, {
      actor: task.requested_by,
      action: isWrite ? 'parametrize' : 'read',
      entity: 'meter',
      entityId: task.meter_id,
      before: effect.before,
      after: effect.after,
      comment:
        `task #${task.id} ${task.kind} ${status}` +
        (failure ? `: [${failure.code}] ${failure.message}` : extra.error ? `: ${String(extra.error)}` : ''),
    });
    if (isWrite && status === 'done') {
      await insertTaskEvent(trx, {
        meterId: task.meter_id,
        kind: 'parametrization',
        at: new Date(outcome?.summary?.endedAt ?? Date.now()),
        detail: { task: task.id, kind: task.kind, setting: effect.setting, before: effect.before, after: effect.after },
        sessionId,
        taskId: task.id,
      });
    }
    return done;
  });
  deps.logger?.info(
    {
      task: task.id,
      kind: task.kind,
      status,
      before: effect.before,
      after: effect.after,
      failure: failure ?? undefined,
    },
    'task finished',
  );
  return row ?? ((await taskById(deps.store.db, task.id)) as TaskRow);
}
