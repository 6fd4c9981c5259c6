/**
 * The VEE service: the store edges around the pure day computation (day.ts). It runs VEE over a range of days
 * (`fronteira vee run`), over the point-days the store marked dirty (after ingest, edits, parameter or calendar
 * changes: the worker), and carries out the analyst's manual edits and reversals. Every write of a batch — validated
 * layer, final versions, cleared dirty marks — is one transaction, so a crash leaves either the old or the new
 * results, never half of them.
 *
 * Days run oldest first, so like-day estimation and the V08 history of a day see the days before it as this run left
 * them.
 */
import { FronteiraError } from '../domain/errors.ts';
import { addDays, operatingDayOfIntervalEnd } from '../domain/time.ts';
import type { Logger } from '../logging.ts';
import { audit } from '../store/audit.ts';
import { type Tx, withTransaction } from '../store/bulk.ts';
import type { Store } from '../store/pool.ts';
import { firstRawDays } from '../store/vee-coverage.ts';
import { claimDirty, clearDirty, type DirtyRow, markDirty } from '../store/vee-dirty.ts';
import { clearDirtyFor, markDirtyForScope } from '../store/vee-dirty-scope.ts';
import { getEdit, insertEdit, listEdits, type ManualEdit, reverseEdit } from '../store/vee-edits.ts';
import {
  type FinalRef,
  getCurrentFinals,
  type LockedFinal,
  lockFinals,
  type SavedFinal,
  saveFinals,
  veeQuery,
} from '../store/vee-final.ts';
import {
  addParamVersion,
  getCalendarSpec,
  listParamVersions,
  type StoredParamVersion,
  saveCalendarSpec,
} from '../store/vee-params.ts';
import { saveValidation } from '../store/vee-validated.ts';
import { markVirtualDependentsDirty, virtualPointIds } from '../store/virtual.ts';
import { processVirtualDirty, type VirtualRunReport } from '../virtual/recompute.ts';
import { drainVirtualDirty } from '../virtual/service.ts';
import { HolidayCalendar, type HolidayCalendarSpec } from './calendar.ts';
import { comparePoint, type PointDayComparison } from './compare.ts';
import { editContext, runVeeDayLazy } from './day.ts';
import { describeEdit, parseEditRequest } from './edits.ts';
import { inputKey, loadDailyHistoryRange, loadLikeDayHistory, loadVeeInputs } from './load.ts';
import { isDay, type ParamVersion, type ResolvedParams, resolveParams } from './params.ts';
import {
  countQualities,
  type DailyHistory,
  type FinalDay,
  type QualityCounts,
  type ValidationInput,
  type ValidationResult,
} from './types.ts';
import { validate } from './validate.ts';

export interface VeeRunReport {
  pointDays: number;
  series: number;
  /** Series stored as a new version (first version included). */
  changed: number;
  unchanged: number;
  /** Changed series whose previous version is locked by an export or bill: those are now stale. */
  staleLocked: SavedFinal[];
  /** Point-days that needed like-day history. */
  historyLoads: number;
  /** Slots per quality over the series computed. */
  qualities: QualityCounts;
  ms: number;
}

export interface VeeContext {
  versions: ParamVersion[];
  calendar: HolidayCalendar;
  /** Reference instant for "can this gap still be re-read" (default now). */
  now?: number;
}

export interface RunRangeOptions {
  from: string;
  to: string;
  /** Default: every point not retired. */
  pointIds?: number[];
  /** Points per transaction (default 250). */
  batchPoints?: number;
  /** Days read together per transaction (default 7). */
  windowDays?: number;
  cause?: string;
  now?: number;
  logger?: Logger;
  onProgress?: (day: string, doneDays: number, totalDays: number) => void;
}

function emptyReport(): VeeRunReport {
  return {
    pointDays: 0,
    series: 0,
    changed: 0,
    unchanged: 0,
    staleLocked: [],
    historyLoads: 0,
    qualities: { N: 0, A: 0, S: 0, E: 0, M: 0 },
    ms: 0,
  };
}

function addInto(into: VeeRunReport, r: VeeRunReport): void {
  into.pointDays += r.pointDays;
  into.series += r.series;
  into.changed += r.changed;
  into.unchanged += r.unchanged;
  into.staleLocked.push(...r.staleLocked);
  into.historyLoads += r.historyLoads;
  for (const q of ['N', 'A', 'S', 'E', 'M'] as const) into.qualities[q] += r.qualities[q];
}

/** A virtual-meter pass counted as VEE work: each of its point-days is one series. */
function fromVirtual(v: VirtualRunReport): VeeRunReport {
  return { ...emptyReport(), ...v, series: v.pointDays, staleLocked: v.staleLocked };
}

function argError(field: string, message: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${message}`, { field });
}

/** Parameter versions and the holiday calendar as stored now. */
export async function loadVeeContext(store: Store | Tx, now?: number): Promise<VeeContext> {
  const db = 'client' in store ? store : store.db;
  const versions = await listParamVersions(db);
  const calendar = new HolidayCalendar(await getCalendarSpec(db));
  return { versions, calendar, now };
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function dbNow(tx: Tx): Promise<Date> {
  const [r] = await veeQuery<{ t: Date }>(tx, 'SELECT clock_timestamp() AS t');
  return r.t;
}

/**
 * VEE of some points on one day, inside the caller's transaction: load, compute, store validated layer and final
 * versions. Returns the report and the computed series.
 */
export async function runPointDays(
  tx: Tx,
  ctx: VeeContext,
  day: string,
  pointIds: readonly number[],
  cause = 'vee',
): Promise<VeeRunReport & { finals: FinalDay[] }> {
  if (pointIds.length === 0) return { ...emptyReport(), finals: [] };
  const pre = await preloadWindow(tx, ctx, pointIds, day, day);
  return computePointDays(tx, ctx, day, pointIds, pre, cause);
}

/** What a batch of points needs over a window of days, read in a few statements. */
interface WindowData {
  inputs: Map<string, ValidationInput>;
  daily: Map<string, Map<number, DailyHistory[]>>;
  edits: Map<string, ManualEdit[]>;
}

async function preloadWindow(
  tx: Tx,
  ctx: VeeContext,
  pointIds: readonly number[],
  from: string,
  to: string,
): Promise<WindowData> {
  const inputs = await loadVeeInputs(tx, pointIds, from, to, { now: ctx.now });
  const daily = await loadDailyHistoryRange(tx, pointIds, from, to, { calendar: ctx.calendar });
  const edits = new Map<string, ManualEdit[]>();
  for (const e of await listEdits(tx, { pointIds }, from, to, { includeReversed: false })) {
    const k = inputKey(e.pointId, e.day);
    const l = edits.get(k);
    if (l) l.push(e);
    else edits.set(k, [e]);
  }
  return { inputs, daily, edits };
}

/**
 * VEE of some points on one day from preloaded data, stored in the caller's transaction. Like-day history is read
 * from the store when a day needs it, so it sees the days this transaction has already stored.
 */
async function computePointDays(
  tx: Tx,
  ctx: VeeContext,
  day: string,
  pointIds: readonly number[],
  pre: WindowData,
  cause: string,
): Promise<VeeRunReport & { finals: FinalDay[] }> {
  const report = emptyReport();
  const finals: FinalDay[] = [];
  const daily = pre.daily.get(day);
  const validations: ValidationResult[] = [];
  const applied: ResolvedParams['applied'][] = [];
  for (const pid of pointIds) {
    const base = pre.inputs.get(inputKey(pid, day));
    if (!base || base.channels.length === 0) continue;
    const input = { ...base, history: daily?.get(pid) ?? null };
    const resolved = resolveParams(ctx.versions, input.point, day);
    const res = await runVeeDayLazy(
      { input, params: resolved.params, calendar: ctx.calendar, edits: pre.edits.get(inputKey(pid, day)) ?? [] },
      async () =>
        (await loadLikeDayHistory(tx, [pid], day, resolved.params.estimation.LD.weeks, { calendar: ctx.calendar })).get(
          pid,
        ) ?? new Map(),
    );
    if (res.historyLoaded) report.historyLoads++;
    validations.push(res.validation);
    applied.push(resolved.applied);
    finals.push(...res.finals);
    report.pointDays++;
  }
  if (validations.length > 0) await saveValidation(tx, validations, (_r, i) => applied[i]);
  const saved = await saveFinals(tx, finals, { cause });
  // Virtual meters reading a changed series are recomputed for that day (runDirty, after their inputs).
  await markVirtualDependentsDirty(
    tx,
    saved.filter((x) => x.changed),
  );
  for (const s of saved) {
    if (s.changed) report.changed++;
    else report.unchanged++;
    if (s.changed && s.previousLocked) report.staleLocked.push(s);
  }
  report.series = finals.length;
  for (const f of finals) {
    const c = countQualities(f);
    for (const q of ['N', 'A', 'S', 'E', 'M'] as const) report.qualities[q] += c[q];
  }
  return { ...report, finals };
}

async function allPointIds(store: Store): Promise<number[]> {
  const rows = await store.db.selectFrom('metering_point').select('id').where('retired_at', 'is', null).execute();
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/**
 * `fronteira vee run --from --to`: VEE over a range of days, oldest first, in batches of points. Days before a
 * point's first raw data and days not over yet are left out.
 */
export async function runVeeRange(store: Store, opts: RunRangeOptions): Promise<VeeRunReport> {
  if (!isDay(opts.from)) throw argError('from', `'${opts.from}' is not a YYYY-MM-DD day`);
  if (!isDay(opts.to)) throw argError('to', `'${opts.to}' is not a YYYY-MM-DD day`);
  if (opts.to < opts.from) throw argError('to', `${opts.to} is before from ${opts.from}`);
  const started = performance.now();
  const batch = opts.batchPoints ?? 250;
  const ids = opts.pointIds ?? (await allPointIds(store));
  const ctx = await loadVeeContext(store, opts.now);
  const report = emptyReport();
  // A day still running is not validated: its later intervals are not missing, only not measured yet.
  const today = operatingDayOfIntervalEnd(opts.now ?? Date.now());
  const days: string[] = [];
  for (let d = opts.from; d <= opts.to && d < today; d = addDays(d, 1)) days.push(d);
  if (days.length === 0) throw argError('from', `${opts.from} is not over yet: VEE runs on closed operating days`);
  const firstDay = await firstRawDays(store.db, ids);
  const windowDays = Math.max(1, opts.windowDays ?? 7);
  for (let w = 0; w < days.length; w += windowDays) {
    const window = days.slice(w, w + windowDays);
    const last = window[window.length - 1];
    const due = ids.filter((id) => {
      const f = firstDay.get(id);
      return f !== undefined && f <= last;
    });
    for (let j = 0; j < due.length; j += batch) {
      const chunk = due.slice(j, j + batch);
      const r = await withTransaction(store, async (tx) => {
        const before = await dbNow(tx);
        // One read of points, meters, raw data, V08 history and edits for the whole window; then day by day, oldest
        // first, each day stored before the next so like-day estimation sees it. [I] The V08 history of a day is
        // what was stored before the window began: a same-class day inside the window (only a holiday can be less
        // than 7 days back) counts from the next run on. V08 only reports; the final series do not depend on it.
        const pre = await preloadWindow(tx, ctx, chunk, window[0], last);
        const out = emptyReport();
        const done: { pointId: number; day: string }[] = [];
        for (const day of window) {
          const pids = chunk.filter((id) => (firstDay.get(id) as string) <= day);
          addInto(out, await computePointDays(tx, ctx, day, pids, pre, opts.cause ?? 'vee'));
          for (const pointId of pids) done.push({ pointId, day });
        }
        await clearDirtyFor(tx, done, before);
        return out;
      });
      addInto(report, r);
      // PGlite runs every statement on the main thread: give the API and the collector a turn between batches.
      await yieldToLoop();
    }
    opts.onProgress?.(last, Math.min(w + windowDays, days.length), days.length);
  }
  // The virtual meters reading the series this run changed were marked dirty with them: bring them up to date too.
  await drainVirtualDirty(store, {}, (v) => addInto(report, fromVirtual(v)));
  report.ms = performance.now() - started;
  opts.logger?.info(
    { ...report, staleLocked: report.staleLocked.length },
    `VEE ${opts.from}..${opts.to}: ${report.pointDays} point-days, ${report.changed} series changed, ${report.unchanged} unchanged`,
  );
  return report;
}

/**
 * Works the dirty queue: claims up to `limit` point-days (oldest day first), recomputes them and clears the marks in
 * the same transaction; repeats until the queue is empty or `maxRounds` is reached. Marks made while a round ran stay
 * for the next one.
 */
export async function runDirty(
  store: Store,
  opts: { limit?: number; maxRounds?: number; now?: number; logger?: Logger } = {},
): Promise<VeeRunReport> {
  const started = performance.now();
  const report = emptyReport();
  const limit = opts.limit ?? 500;
  const maxRounds = opts.maxRounds ?? Number.POSITIVE_INFINITY;
  const ctx = await loadVeeContext(store, opts.now);
  for (let round = 0; round < maxRounds; round++) {
    const claimed = await withTransaction(store, async (tx) => {
      // A day still running is not validated: its later intervals are not missing, only not measured yet.
      const rows = await claimDirty(tx, limit, { beforeDay: operatingDayOfIntervalEnd(opts.now ?? Date.now()) });
      if (rows.length === 0) return 0;
      const byDay = new Map<string, DirtyRow[]>();
      // Virtual meters' point-days are computed from their inputs' finals (virtual/recompute.ts), after those.
      const virtual = await virtualPointIds(
        tx,
        rows.map((r) => r.pointId),
      );
      for (const r of rows.filter((x) => !virtual.has(x.pointId))) {
        const l = byDay.get(r.day);
        if (l) l.push(r);
        else byDay.set(r.day, [r]);
      }
      for (const day of [...byDay.keys()].sort()) {
        const r = await runPointDays(
          tx,
          ctx,
          day,
          byDay.get(day)!.map((x) => x.pointId),
        );
        addInto(report, r);
      }
      const v = await processVirtualDirty(
        tx,
        rows.filter((x) => virtual.has(x.pointId)),
      );
      addInto(report, fromVirtual(v));
      await clearDirty(tx, rows);
      return rows.length;
    });
    if (claimed === 0) break;
    await yieldToLoop();
  }
  report.ms = performance.now() - started;
  if (report.pointDays > 0) {
    opts.logger?.info(
      { ...report, staleLocked: report.staleLocked.length },
      `VEE: ${report.pointDays} point-days recomputed, ${report.changed} series changed`,
    );
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------------------
// Parameters and calendar: a change makes every point-day it governs dirty.

export async function addVeeParamVersion(
  store: Store,
  input: unknown,
  actor: string,
  comment?: string | null,
): Promise<{ version: StoredParamVersion; dirty: number }> {
  return withTransaction(store, async (tx) => {
    const version = await addParamVersion(tx, input, actor, { comment });
    const dirty = await markDirtyForScope(tx, version.scope, version.effectiveFrom, `params:${version.id}`);
    return { version, dirty };
  });
}

export async function saveVeeCalendar(
  store: Store,
  spec: HolidayCalendarSpec,
  actor: string,
  comment?: string | null,
): Promise<{ dirty: number }> {
  return withTransaction(store, async (tx) => {
    const before = new HolidayCalendar(await getCalendarSpec(tx));
    const after = new HolidayCalendar(spec);
    await saveCalendarSpec(tx, spec, actor, { comment });
    // Only days after a changed date can use it as a like-day candidate or a V08 class: mark from the earliest.
    const changed = [
      ...symmetricDiff(
        before.spec.added.map((h) => h.date),
        after.spec.added.map((h) => h.date),
      ),
      ...symmetricDiff(before.spec.removed, after.spec.removed),
    ].sort();
    const kindsChanged = before.spec.kinds.join() !== after.spec.kinds.join();
    const from = kindsChanged ? '2000-01-01' : changed[0];
    if (!from) return { dirty: 0 };
    return { dirty: await markDirtyForScope(tx, 'global', from, 'calendar') };
  });
}

function symmetricDiff(a: readonly string[], b: readonly string[]): string[] {
  const sa = new Set(a);
  const sb = new Set(b);
  return [...a.filter((x) => !sb.has(x)), ...b.filter((x) => !sa.has(x))];
}

// ---------------------------------------------------------------------------------------------------------------
// Manual edits

export interface EditOutcome {
  edit: ManualEdit;
  /** The series' current version after the edit was applied. */
  final: FinalDay;
}

async function currentFinal(tx: Tx, pointId: number, q: number, day: string): Promise<FinalDay | null> {
  const [f] = await getCurrentFinals(tx, [pointId], day, day, [q]);
  return f ?? null;
}

/**
 * An analyst's edit: checked against the series as it stands and the meters' data, stored (audited, with the
 * slots' before and after), and applied at once by recomputing the point-day; later VEE runs apply it again.
 */
export async function submitEdit(store: Store, pointId: number, body: unknown, actor: string): Promise<EditOutcome> {
  if (typeof body !== 'object' || body === null) throw argError('edit', 'must be an object');
  const b = body as Record<string, unknown>;
  const day = b.day;
  const q = b.quantityCode;
  if (!isDay(day)) throw argError('day', `'${String(day)}' is not a YYYY-MM-DD day`);
  if (!Number.isInteger(q)) throw argError('quantityCode', `'${String(q)}' is not a quantity code`);
  return withTransaction(store, async (tx) => {
    if ((await virtualPointIds(tx, [pointId])).size > 0) {
      // Its series is recomputed from the formula whenever an input changes: an edit would be overwritten.
      throw new FronteiraError(
        'FRONTEIRA_E_CONFLICT',
        `point ${pointId} is a virtual meter: edit its inputs or its formula, not its results`,
        { field: 'point' },
      );
    }
    const ctx = await loadVeeContext(tx);
    let before = await currentFinal(tx, pointId, q as number, day);
    if (!before) {
      await runPointDays(tx, ctx, day, [pointId]);
      before = await currentFinal(tx, pointId, q as number, day);
    }
    if (!before) {
      throw new FronteiraError(
        'FRONTEIRA_E_NOT_FOUND',
        `point ${pointId} has no series of quantity ${q} on ${day} (no meter measures it that day)`,
        { field: 'quantityCode' },
      );
    }
    const inputs = await loadVeeInputs(tx, [pointId], day, day);
    const input = inputs.get(inputKey(pointId, day));
    const params = input ? resolveParams(ctx.versions, input.point, day).params : null;
    const req = parseEditRequest(
      body,
      before,
      input && params ? editContext(validate(input, params), params, q as number) : undefined,
    );
    const values =
      req.kind === 'replace'
        ? Array.isArray(req.values)
          ? req.values
          : req.values === undefined
            ? []
            : [req.values]
        : null;
    const edit = await insertEdit(
      tx,
      {
        pointId,
        quantityCode: req.quantityCode,
        day: req.day,
        firstSlot: req.firstSlot,
        lastSlot: req.lastSlot,
        kind: req.kind,
        values,
        comment: req.comment,
        createdBy: actor,
      },
      { before: describeSlots(before, req.firstSlot, req.lastSlot) },
    );
    const r = await runPointDays(tx, ctx, day, [pointId], `edit:${edit.id}`);
    const after = r.finals.find((f) => f.quantityCode === req.quantityCode) ?? before;
    await auditAfter(tx, edit, before, after, actor, 'apply');
    return { edit, final: (await currentFinal(tx, pointId, req.quantityCode, day)) ?? after };
  });
}

/** Reverses an edit (it stops applying; the series is recomputed without it), audited with before and after. */
export async function reverseManualEdit(
  store: Store,
  id: number,
  actor: string,
  comment: string,
): Promise<EditOutcome> {
  return withTransaction(store, async (tx) => {
    const old = await getEdit(tx, id);
    if (!old) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `manual edit ${id} does not exist`, { field: 'id' });
    const before = await currentFinal(tx, old.pointId, old.quantityCode, old.day);
    const edit = await reverseEdit(tx, id, actor, comment);
    const ctx = await loadVeeContext(tx);
    const r = await runPointDays(tx, ctx, old.day, [old.pointId], `reversal:${id}`);
    const after = r.finals.find((f) => f.quantityCode === old.quantityCode);
    if (before && after) await auditAfter(tx, edit, before, after, actor, 'reverse');
    const final = (await currentFinal(tx, old.pointId, old.quantityCode, old.day)) ?? after;
    if (!final) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `series of edit ${id} is gone`);
    return { edit, final };
  });
}

function describeSlots(f: FinalDay, first: number, last: number): unknown {
  const out: { slot: number; value: number | null; quality: number; method: number }[] = [];
  for (let k = first; k <= Math.min(last, f.slots - 1); k++) {
    out.push({
      slot: k,
      value: Number.isNaN(f.value[k]) ? null : f.value[k],
      quality: f.quality[k],
      method: f.method[k],
    });
  }
  return { version: f.version, slots: out };
}

async function auditAfter(
  tx: Tx,
  edit: ManualEdit,
  before: FinalDay,
  after: FinalDay,
  actor: string,
  what: 'apply' | 'reverse',
): Promise<void> {
  await audit(tx.db, {
    actor,
    action: what === 'apply' ? 'apply' : 'reverse',
    entity: 'vee_final',
    entityId: `${edit.pointId}:${edit.quantityCode}:${edit.day}`,
    before: { version: before.version },
    after: describeEdit(before, after, edit),
    comment: what === 'apply' ? edit.comment : edit.reverseComment,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Principal × retaguarda

/** Comparison of a point over days, from the raw data of both meters and the current final series. */
export async function comparePointRange(
  store: Store,
  pointId: number,
  from: string,
  to: string,
): Promise<PointDayComparison[]> {
  const db = store.db;
  const inputs = await loadVeeInputs(db, [pointId], from, to);
  const finals = await getCurrentFinals(db, [pointId], from, to);
  const ctx = await loadVeeContext(store);
  const out: PointDayComparison[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const input = inputs.get(inputKey(pointId, d));
    if (!input || input.channels.length === 0) continue;
    const params = resolveParams(ctx.versions, input.point, d).params;
    out.push(
      comparePoint({
        day: d,
        principal: input.channels.filter((c) => c.role === 'principal'),
        retaguarda: input.channels.filter((c) => c.role === 'retaguarda'),
        finals: finals.filter((f) => f.day === d),
        params,
        zone: input.point.timezone,
      }),
    );
  }
  return out;
}

/** Marks point-days dirty by hand (`fronteira vee run --dirty` picks them up; tests). */
export async function markPointDaysDirty(
  store: Store,
  pairs: { pointId: number; day: string }[],
  reason: string,
): Promise<number> {
  return markDirty(
    store.db,
    pairs.map((p) => ({ ...p, reason })),
  );
}

/** Locks final versions (an export, a bill, a closed month) and audits who locked what. */
export async function lockFinalSeries(
  store: Store,
  refs: readonly FinalRef[],
  by: string,
  actor: string,
): Promise<LockedFinal[]> {
  return withTransaction(store, async (tx) => {
    const locked = await lockFinals(tx, refs, by);
    const fresh = locked.filter((l) => !l.alreadyLocked);
    if (fresh.length > 0) {
      await audit(tx.db, {
        actor,
        action: 'lock',
        entity: 'vee_final',
        entityId: fresh.length === 1 ? String(fresh[0].id) : null,
        after: {
          by,
          versions: fresh.map((l) => ({
            id: l.id,
            pointId: l.pointId,
            quantityCode: l.quantityCode,
            day: l.day,
            version: l.version,
          })),
        },
      });
    }
    return locked;
  });
}
