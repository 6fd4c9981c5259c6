/**
 * Virtual meters (issue 7) over the store: define, change, retire, list, show, preview a formula, compute.
 *
 * A virtual meter is a metering point of kind 'virtual' plus a virtual_meter row (migration 008). Its point code is
 * the user's (13 characters A–Z/0–9, like any point) or generated: 'VM' + 11 digits from a sequence, skipping codes
 * taken. Its segment defaults to 'geracao' for channel G and 'faturamento' otherwise (segment summaries leave kind
 * 'virtual' out unless asked, so it only matters when they are asked). Its tags are both the virtual_meter tags
 * (group("tag") of virtual meters in formulas) and the point's tags (summaries by tag); `group("tag").C` sums
 * non-virtual points only.
 *
 * Defining or changing a formula checks it against the store as it is now (formula/check.ts through env.ts),
 * refuses cycles between virtual meters (graph.ts over every active meter, the changed one added last), a unit other
 * than the channel's, and unknown references: FRONTEIRA_E_FORMULA with the column. Every change is audited (entity
 * 'virtual_meter') and kept as a definition version; the meter's whole history (the days any input, or the meter
 * itself, has a final series) is then recomputed in the same transaction, with the virtual meters depending on it.
 * Later input changes reach it through the VEE dirty queue (vee/service.ts runDirty → recompute.ts).
 */
import { FronteiraError } from '../domain/errors.ts';
import { addDays } from '../domain/time.ts';
import { audit } from '../store/audit.ts';
import { type Tx, withTransaction } from '../store/bulk.ts';
import type { Store } from '../store/pool.ts';
import { clearDirty } from '../store/vee-dirty.ts';
import { type VeeDb, veeQuery } from '../store/vee-final.ts';
import {
  claimVirtualDirty,
  finalDaysOf,
  insertVirtualRow,
  listVersionRows,
  listVirtualRows,
  retireVirtualRow,
  setVirtualInputs,
  updateVirtualRow,
  type VirtualMeterRow,
  virtualRowByName,
} from '../store/virtual.ts';
import { isDay } from '../vee/params.ts';
import { QUALITY_NAMES, type QualityName } from '../vee/types.ts';
import {
  channelOf,
  type EnvSnapshot,
  loadEnvSnapshot,
  loadStoreEnv,
  type SeriesRef,
  type StoreEnv,
  storeEnv,
  virtualSeriesKey,
} from './env.ts';
import {
  CHANNELS,
  type ChannelName,
  type FormulaAst,
  formulaError,
  isChannelName,
  POINT_CODE,
  parseFormula,
  referencesOf,
} from './formula/index.ts';
import {
  computeVirtualPointDays,
  emptyVirtualReport,
  evaluateVirtualDay,
  loadSeriesFinals,
  type PreparedMeter,
  planVirtuals,
  prepareMeter,
  processVirtualDirty,
  type VirtualPlan,
  type VirtualRunReport,
} from './recompute.ts';

export interface VirtualMeterInput {
  /** Unique name, referenced in other formulas as vm("name"). 1–80 characters, no quotes or backslashes. */
  name: string;
  channel: ChannelName;
  formula: string;
  description?: string | null;
  tags?: readonly string[];
  /** 13-char SCDE-style code of the virtual point; default generated 'VM' + 11 digits (the point id, zero-padded). */
  code?: string | null;
  /** Segment of the virtual point (cativo|livre|geracao|faturamento); default 'faturamento'. */
  segment?: string | null;
  /** Comment recorded in the definition history and audit. */
  comment?: string | null;
}

export interface VirtualMeterPatch {
  formula?: string;
  description?: string | null;
  tags?: readonly string[];
  segment?: string;
  comment?: string | null;
}

export interface VirtualInputRef {
  /** 'point' or 'virtual'. */
  kind: 'point' | 'virtual';
  /** Point id of the input series (the virtual meter's own point for kind 'virtual'). */
  pointId: number;
  /** Point code (or the virtual meter's code). */
  code: string;
  quantityCode: number;
  /** How the formula names it: CODE.C or vm("name"). */
  label: string;
  /** Virtual inputs: the meter's name. */
  name?: string;
}

export interface VirtualMeter {
  id: number;
  pointId: number;
  code: string;
  name: string;
  channel: ChannelName;
  quantityCode: number;
  unit: string;
  formula: string;
  description: string | null;
  tags: string[];
  segment: string;
  /** Definition version (1 = as first defined; +1 per formula/metadata change). */
  version: number;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
  retiredAt: Date | null;
}

export interface VirtualDefinitionVersion {
  version: number;
  formula: string;
  channel: ChannelName;
  description: string | null;
  tags: string[];
  at: Date;
  by: string;
  comment: string | null;
}

export interface VirtualMeterDetail extends VirtualMeter {
  /** Resolved inputs of the formula now (groups expanded), in evaluator order. */
  inputs: VirtualInputRef[];
  /** Names of the group()s the formula sums. */
  groups: string[];
  /** Names of the virtual meters that read this one, directly or not, in recomputation order. */
  dependents: string[];
  history: VirtualDefinitionVersion[];
  /** Set when the formula no longer checks against the registry (an input retired…): the error message. */
  problem: string | null;
}

export interface ListVirtualOptions {
  includeRetired?: boolean;
  tag?: string;
  /** Substring of name/code/description, case-insensitive. */
  q?: string;
  limit?: number;
  offset?: number;
}

export interface PreviewRequest {
  formula: string;
  /** Expected channel of the result: a unit mismatch with it is an error. Optional. */
  channel?: ChannelName;
  from: string;
  to: string;
  /** A virtual meter being edited: its own name is refused as a reference (it would be a cycle). */
  selfName?: string;
}

export interface PreviewDay {
  day: string;
  slots: number;
  intervalS: number;
  /** null = missing (quality N). */
  value: (number | null)[];
  /** Quality names per slot: 'N' | 'A' | 'S' | 'E' | 'M'. */
  quality: string[];
  /** Per slot: label of the input that made the slot non-actual (null when actual). */
  reasonInput: (string | null)[];
  energy: number;
  counts: Record<'N' | 'A' | 'S' | 'E' | 'M', number>;
  divZero: number;
}

export interface FormulaProblem {
  code: string;
  message: string;
  /** 1-based column in the formula, when the problem is in the text. */
  column: number | null;
  length: number | null;
}

export interface PreviewResult {
  ok: boolean;
  unit: string | null;
  inputs: VirtualInputRef[];
  days: PreviewDay[];
  errors: FormulaProblem[];
}

export interface ComputeRequest {
  /** Names to compute (their virtual dependents follow); absent or empty = all active virtual meters. */
  names?: readonly string[];
  from: string;
  to: string;
  cause?: string;
}

export interface ComputeReport {
  meters: number;
  pointDays: number;
  changed: number;
  unchanged: number;
  /** Changed series whose previous version was locked (exports/bills now stale). */
  staleLocked: number;
  qualities: Record<'N' | 'A' | 'S' | 'E' | 'M', number>;
  ms: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Arguments

const SEGMENTS = ['cativo', 'livre', 'geracao', 'faturamento'] as const;
const MAX_DESCRIPTION = 1000;
/** Longest range a preview evaluates (a live preview shows a week; a month and a bit is the ceiling). */
export const MAX_PREVIEW_DAYS = 62;

function bad(field: string, message: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${message}`, { field });
}

function checkName(v: unknown, field = 'name'): string {
  if (typeof v !== 'string') throw bad(field, 'must be text');
  const name = v.trim();
  if (name.length < 1 || name.length > 80) throw bad(field, `'${name}' must have 1 to 80 characters`);
  if (/["\\\u0000-\u001f\u007f]/.test(name)) {
    throw bad(
      field,
      `'${name}' may not contain quotes, backslashes or control characters (it is written vm("${name}"))`,
    );
  }
  return name;
}

function checkChannel(v: unknown): ChannelName {
  if (typeof v !== 'string' || !isChannelName(v.toUpperCase())) {
    throw bad('channel', `'${String(v)}' is not a channel (${Object.keys(CHANNELS).join(', ')})`);
  }
  return v.toUpperCase() as ChannelName;
}

function checkFormulaText(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw bad('formula', 'is required');
  return v.trim();
}

function checkDescription(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw bad('description', 'must be text');
  const d = v.trim();
  if (d.length > MAX_DESCRIPTION) throw bad('description', `is longer than ${MAX_DESCRIPTION} characters`);
  return d === '' ? null : d;
}

function checkTags(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : null;
  if (!list) throw bad('tags', 'is not a list of tags');
  const out: string[] = [];
  for (const t of list) {
    if (typeof t !== 'string') throw bad('tags', 'tags must be text');
    const tag = t.trim();
    if (tag === '') continue;
    if (tag.length > 50) throw bad('tags', `tag '${tag}' is longer than 50 characters`);
    if (/[,|;"\\]/.test(tag)) throw bad('tags', `tag '${tag}' contains a separator or a quote`);
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

function checkSegment(v: unknown, channel: ChannelName): string {
  if (v === undefined || v === null || v === '') return channel === 'G' ? 'geracao' : 'faturamento';
  if (typeof v !== 'string' || !(SEGMENTS as readonly string[]).includes(v)) {
    throw bad('segment', `'${String(v)}' is not a segment (${SEGMENTS.join(', ')})`);
  }
  return v;
}

function checkCode(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || !POINT_CODE.test(v.trim().toUpperCase())) {
    throw bad('code', `'${String(v)}' is not a 13-character point code (A–Z, 0–9)`);
  }
  return v.trim().toUpperCase();
}

function checkComment(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw bad('comment', 'must be text');
  return v.trim() === '' ? null : v.trim().slice(0, MAX_DESCRIPTION);
}

function checkRangeArgs(from: unknown, to: unknown): { from: string; to: string } {
  if (!isDay(from)) throw bad('from', `'${String(from)}' is not a YYYY-MM-DD day`);
  if (!isDay(to)) throw bad('to', `'${String(to)}' is not a YYYY-MM-DD day`);
  if (to < from) throw bad('to', `${to} is before from ${from}`);
  return { from, to };
}

function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Definition checks

/**
 * A cycle error from graph.ts names no column: point it at the formula's first reference to the series that leads
 * back (cycle[1], the meter's dependency on the path).
 */
function withCycleColumn(e: unknown, ast: FormulaAst, env: StoreEnv): unknown {
  if (!(e instanceof FronteiraError) || e.code !== 'FRONTEIRA_E_FORMULA') return e;
  const d = e.details as { cycle?: string[]; column?: number } | undefined;
  if (!d?.cycle || d.column !== undefined) return e;
  const next = d.cycle[1];
  for (const n of referencesOf(ast)) {
    const r = env.resolve(
      n.type === 'point'
        ? { kind: 'point', code: n.code, channel: n.channel }
        : n.type === 'virtual'
          ? { kind: 'virtual', name: n.name }
          : { kind: 'group', name: n.name, channel: n.channel },
    );
    const keys =
      r?.kind === 'group'
        ? r.members.map((m) => `${m.kind}:${m.id}`)
        : r && r.kind !== 'missing'
          ? [`${r.kind}:${r.id}`]
          : [];
    if (keys.includes(next) || (d.cycle.length === 1 && keys.includes(d.cycle[0]))) {
      const msg = e.message.replace(/^virtual meter cycle/, 'this reference closes a virtual meter cycle');
      return formulaError(n, msg, { cycle: d.cycle });
    }
  }
  return formulaError(0, e.message, { cycle: d.cycle });
}

/** Prepares `row` against `env` (which already holds it) with every other meter, refusing cycles and unit mismatch. */
function checkDefinition(env: StoreEnv, row: VirtualMeterRow): { plan: VirtualPlan; meter: PreparedMeter } {
  let plan: VirtualPlan;
  try {
    plan = planVirtuals(env, row.name);
  } catch (e) {
    let ast: FormulaAst | null = null;
    try {
      ast = parseFormula(row.formula);
    } catch {
      // the parse error itself is what was thrown
    }
    throw ast ? withCycleColumn(e, ast, env) : e;
  }
  const meter = plan.meters.get(row.pointId)!;
  const want = CHANNELS[channelOf(row)];
  if (meter.prepared.checked.unit !== want.unit) {
    const u = meter.prepared.checked.unit || 'dimensionless';
    throw formulaError(meter.prepared.ast.root, `the formula gives ${u}; channel ${row.channel} is ${want.unit}`, {
      expected: `a formula in ${want.unit}`,
    });
  }
  return { plan, meter };
}

/** Days the meter's history covers: any day an input or the meter itself has a current final series. */
async function historyDays(db: VeeDb, meter: PreparedMeter): Promise<string[]> {
  return finalDaysOf(db, [
    ...meter.inputs.map((i) => ({ pointId: i.pointId, quantityCode: i.quantityCode })),
    { pointId: meter.row.pointId, quantityCode: meter.row.quantityCode },
  ]);
}

async function recomputeHistory(tx: Tx, plan: VirtualPlan, pointIds: readonly number[]): Promise<VirtualRunReport> {
  const items = [];
  for (const id of pointIds) {
    const m = plan.meters.get(id);
    if (m) items.push({ pointId: id, days: await historyDays(tx, m) });
  }
  return computeVirtualPointDays(tx, plan, items, { cause: 'virtual', dependents: true, refreshInputs: true });
}

function provisional(
  base: Partial<VirtualMeterRow> & Pick<VirtualMeterRow, 'name' | 'channel' | 'formula'>,
): VirtualMeterRow {
  const ch = checkChannel(base.channel);
  const now = new Date(0);
  return {
    id: -1,
    pointId: -1,
    code: 'VM00000000000',
    segment: 'faturamento',
    quantityCode: CHANNELS[ch].quantityCode,
    unit: CHANNELS[ch].unit,
    description: null,
    tags: [],
    version: 0,
    createdBy: '',
    createdAt: now,
    updatedAt: now,
    retiredAt: null,
    ...base,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Views

function toMeter(r: VirtualMeterRow): VirtualMeter {
  return {
    id: r.id,
    pointId: r.pointId,
    code: r.code,
    name: r.name,
    channel: channelOf(r),
    quantityCode: r.quantityCode,
    unit: r.unit,
    formula: r.formula,
    description: r.description,
    tags: [...r.tags],
    segment: r.segment,
    version: r.version,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    updatedAt: r.updatedAt,
    retiredAt: r.retiredAt,
  };
}

function inputRef(s: SeriesRef): VirtualInputRef {
  const out: VirtualInputRef = {
    kind: s.kind,
    pointId: s.pointId,
    code: s.code,
    quantityCode: s.quantityCode,
    label: s.label,
  };
  if (s.name !== undefined) out.name = s.name;
  return out;
}

async function detailOf(db: VeeDb, row: VirtualMeterRow, plan?: VirtualPlan): Promise<VirtualMeterDetail> {
  const p = plan ?? planVirtuals(await loadStoreEnv(db));
  const m = row.retiredAt === null ? p.meters.get(row.pointId) : undefined;
  let problem = row.retiredAt === null ? (p.problems.get(row.pointId) ?? null) : null;
  let inputs: VirtualInputRef[] = [];
  let groups: string[] = [];
  if (m) {
    inputs = m.inputs.map(inputRef);
    groups = [...m.prepared.checked.groups];
  } else if (row.retiredAt !== null) {
    try {
      const pm = prepareMeter(p.env, row);
      inputs = pm.inputs.map(inputRef);
      groups = [...pm.prepared.checked.groups];
    } catch (e) {
      problem = (e as Error).message;
    }
  }
  const dependents =
    row.retiredAt === null
      ? p.graph
          .dependents(virtualSeriesKey(row.pointId))
          .map((k) => p.env.series(k)?.name ?? p.env.virtualByPoint(Number(k.slice(8)))?.name ?? k)
      : [];
  const history = (await listVersionRows(db, row.id)).map((v) => ({
    version: v.version,
    formula: v.formula,
    channel: (isChannelName(v.channel) ? v.channel : 'C') as ChannelName,
    description: v.description,
    tags: v.tags,
    at: v.createdAt,
    by: v.createdBy,
    comment: v.comment,
  }));
  return { ...toMeter(row), inputs, groups, dependents, history, problem };
}

function snapshotOf(r: VirtualMeterRow): Record<string, unknown> {
  return {
    name: r.name,
    code: r.code,
    channel: r.channel,
    formula: r.formula,
    description: r.description,
    tags: r.tags,
    segment: r.segment,
    version: r.version,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

export async function defineVirtualMeter(
  store: Store,
  input: VirtualMeterInput,
  actor: string,
): Promise<VirtualMeterDetail> {
  if (typeof input !== 'object' || input === null) throw bad('input', 'must be an object');
  const name = checkName(input.name);
  const channel = checkChannel(input.channel);
  const formula = checkFormulaText(input.formula);
  const description = checkDescription(input.description);
  const tags = checkTags(input.tags);
  const segment = checkSegment(input.segment, channel);
  const code = checkCode(input.code);
  const comment = checkComment(input.comment);
  return withTransaction(store, async (tx) => {
    const env = await loadStoreEnv(tx);
    if (env.virtualByName(name)) {
      throw new FronteiraError('FRONTEIRA_E_CONFLICT', `a virtual meter named "${name}" already exists`, {
        field: 'name',
      });
    }
    // Checked before anything is written, with a stand-in row, so a refused formula leaves no trace.
    checkDefinition(
      env.with({ put: provisional({ name, channel, formula, tags }) }),
      provisional({ name, channel, formula, tags }),
    );
    const row = await insertVirtualRow(tx, {
      code,
      segment,
      name,
      channel,
      quantityCode: CHANNELS[channel].quantityCode,
      unit: CHANNELS[channel].unit,
      formula,
      description,
      tags,
      createdBy: actor,
      comment,
    });
    const before = planVirtuals(env);
    const { plan, meter } = checkDefinition(env.with({ put: row }), row);
    await setVirtualInputs(
      tx,
      row.id,
      meter.inputs.map((i) => ({ pointId: i.pointId, quantityCode: i.quantityCode })),
    );
    await audit(tx.db, {
      actor,
      action: 'create',
      entity: 'virtual_meter',
      entityId: row.id,
      after: snapshotOf(row),
      comment,
    });
    await recomputeHistory(tx, plan, [row.pointId, ...dependencyChanges(before, plan)]);
    return detailOf(tx, row, plan);
  });
}

/** Meters (point ids) whose dependencies differ between two plans: a tag change moved them in or out of a group. */
function dependencyChanges(before: VirtualPlan, after: VirtualPlan): number[] {
  const out: number[] = [];
  for (const [id, m] of after.meters) {
    const old = before.meters.get(id);
    if (!old) continue;
    if (old.prepared.checked.dependencies.join() !== m.prepared.checked.dependencies.join()) out.push(id);
  }
  return out;
}

export async function updateVirtualMeter(
  store: Store,
  name: string,
  patch: VirtualMeterPatch,
  actor: string,
): Promise<VirtualMeterDetail> {
  if (typeof patch !== 'object' || patch === null) throw bad('patch', 'must be an object');
  const key = checkName(name);
  return withTransaction(store, async (tx) => {
    const env = await loadStoreEnv(tx);
    const old = env.virtualByName(key);
    if (!old) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `no active virtual meter named "${key}"`);
    const channel = channelOf(old);
    const next = {
      formula: patch.formula === undefined ? old.formula : checkFormulaText(patch.formula),
      description: patch.description === undefined ? old.description : checkDescription(patch.description),
      tags: patch.tags === undefined ? old.tags : checkTags(patch.tags),
      segment: patch.segment === undefined ? old.segment : checkSegment(patch.segment, channel),
    };
    const comment = checkComment(patch.comment);
    const same =
      next.formula === old.formula &&
      next.description === old.description &&
      next.segment === old.segment &&
      next.tags.join('\u0000') === old.tags.join('\u0000');
    const before = planVirtuals(env);
    if (same) return detailOf(tx, old, before);
    const candidate: VirtualMeterRow = { ...old, ...next, tags: [...next.tags] };
    checkDefinition(env.with({ put: candidate }), candidate);
    const row = await updateVirtualRow(tx, old, { ...next, by: actor, comment });
    const { plan } = checkDefinition(env.with({ put: row }), row);
    await audit(tx.db, {
      actor,
      action: 'update',
      entity: 'virtual_meter',
      entityId: row.id,
      before: snapshotOf(old),
      after: snapshotOf(row),
      comment,
    });
    const recompute = dependencyChanges(before, plan);
    if (next.formula !== old.formula && !recompute.includes(row.pointId)) recompute.unshift(row.pointId);
    // Inputs are refreshed for what is recomputed; refresh this meter's even when only metadata changed.
    const m = plan.meters.get(row.pointId)!;
    await setVirtualInputs(
      tx,
      row.id,
      m.inputs.map((i) => ({ pointId: i.pointId, quantityCode: i.quantityCode })),
    );
    await recomputeHistory(tx, plan, recompute);
    return detailOf(tx, row, plan);
  });
}

export async function retireVirtualMeter(
  store: Store,
  name: string,
  actor: string,
  comment?: string | null,
): Promise<VirtualMeter> {
  const key = checkName(name);
  const why = checkComment(comment);
  return withTransaction(store, async (tx) => {
    const env = await loadStoreEnv(tx);
    const row = env.virtualByName(key);
    if (!row) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `no active virtual meter named "${key}"`);
    const plan = planVirtuals(env);
    const users = plan.graph
      .dependents(virtualSeriesKey(row.pointId))
      .filter((k) => plan.graph.dependenciesOf(k).includes(virtualSeriesKey(row.pointId)))
      .map((k) => env.virtualByPoint(Number(k.slice(8)))?.name ?? k);
    if (users.length > 0) {
      throw new FronteiraError(
        'FRONTEIRA_E_CONFLICT',
        `virtual meter "${key}" is read by ${users.map((u) => `vm("${u}")`).join(', ')}: change those formulas first`,
        { dependents: users },
      );
    }
    const out = await retireVirtualRow(tx, row);
    await audit(tx.db, {
      actor,
      action: 'retire',
      entity: 'virtual_meter',
      entityId: row.id,
      before: snapshotOf(row),
      comment: why,
    });
    return toMeter(out);
  });
}

export async function listVirtualMeters(
  store: Store,
  opts: ListVirtualOptions = {},
): Promise<{ items: VirtualMeter[]; total: number }> {
  let rows = await listVirtualRows(store.db, { includeRetired: opts.includeRetired ?? false });
  if (opts.tag) rows = rows.filter((r) => r.tags.includes(opts.tag!));
  if (opts.q) {
    const q = opts.q.toLowerCase();
    rows = rows.filter((r) =>
      [r.name, r.code, r.description ?? '', r.formula].some((s) => s.toLowerCase().includes(q)),
    );
  }
  const offset = Math.max(0, opts.offset ?? 0);
  const limit = Math.max(0, opts.limit ?? rows.length);
  return { items: rows.slice(offset, offset + limit).map(toMeter), total: rows.length };
}

export async function getVirtualMeter(store: Store, name: string): Promise<VirtualMeterDetail> {
  const key = checkName(name);
  const row = await virtualRowByName(store.db, key);
  if (!row) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `no virtual meter named "${key}"`);
  return detailOf(store.db, row);
}

function problemOf(e: unknown): FormulaProblem {
  if (e instanceof FronteiraError) {
    const d = (e.details ?? {}) as { column?: number; length?: number };
    return { code: e.code, message: e.message, column: d.column ?? null, length: d.length ?? null };
  }
  return { code: 'FRONTEIRA_E_INTERNAL', message: (e as Error)?.message ?? String(e), column: null, length: null };
}

/**
 * The registry snapshot a preview resolves against, reused while the registry looks unchanged: reading 10,000 points
 * and their meters costs ~0.25 s on PGlite, too much per keystroke. The fingerprint (row counts and latest updates
 * of points, meters and virtual meters) can miss a change committed by a transaction that started earlier; a
 * preview then resolves against the registry of a moment before, which definitions (always read afresh) do not.
 */
const previewCache = new WeakMap<Store, { fingerprint: string; snapshot: EnvSnapshot }>();

async function previewEnv(store: Store): Promise<StoreEnv> {
  const [fp] = await veeQuery<{ f: string }>(
    store.db,
    `SELECT concat_ws('|',
       (SELECT count(*) FROM metering_point), (SELECT max(updated_at) FROM metering_point),
       (SELECT count(*) FROM meter), (SELECT max(updated_at) FROM meter),
       (SELECT count(*) FROM virtual_meter), (SELECT max(updated_at) FROM virtual_meter)) AS f`,
  );
  const hit = previewCache.get(store);
  if (hit && hit.fingerprint === fp.f) return storeEnv(hit.snapshot);
  const snapshot = await loadEnvSnapshot(store.db);
  previewCache.set(store, { fingerprint: fp.f, snapshot });
  return storeEnv(snapshot);
}

/**
 * Evaluates a formula over the current final series of its inputs (virtual inputs as stored), nothing written.
 * Formula problems come back in `errors` (ok false) rather than thrown, so a live preview can show them while the
 * user types; bad arguments (days, range) throw.
 */
export async function previewFormula(store: Store, req: PreviewRequest): Promise<PreviewResult> {
  if (typeof req !== 'object' || req === null) throw bad('request', 'must be an object');
  const { from, to } = checkRangeArgs(req.from, req.to);
  const days = daysOf(from, to);
  if (days.length > MAX_PREVIEW_DAYS) throw bad('to', `a preview covers at most ${MAX_PREVIEW_DAYS} days`);
  const channel = req.channel === undefined || req.channel === null ? null : checkChannel(req.channel);
  const env = await previewEnv(store);
  let meter: PreparedMeter;
  try {
    const formula = checkFormulaText(req.formula);
    const selfName = req.selfName ? checkName(req.selfName, 'selfName') : null;
    const self = selfName ? env.virtualByName(selfName) : undefined;
    if (self) {
      const candidate = { ...self, formula };
      meter = checkDefinition(env.with({ put: candidate }), candidate).meter;
    } else {
      const row = provisional({ name: selfName ?? '(preview)', channel: channel ?? 'C', formula });
      meter = prepareMeter(env, row);
      if (channel) {
        checkDefinition(env.with({ put: row }), row);
      }
    }
  } catch (e) {
    return { ok: false, unit: null, inputs: [], days: [], errors: [problemOf(e)] };
  }
  const loaded = await loadSeriesFinals(store.db, meter.inputs, from, to);
  const out: PreviewDay[] = [];
  for (const day of days) {
    const ins = meter.inputs.map((s) => loaded.get(`${s.pointId}|${s.quantityCode}|${day}`));
    const r = evaluateVirtualDay(meter, day, ins);
    if (!r) continue;
    const f = r.final;
    const labels = meter.inputs.map((i) => i.label);
    const value: (number | null)[] = new Array(f.slots);
    const quality: string[] = new Array(f.slots);
    const reasonInput: (string | null)[] = new Array(f.slots);
    const counts = { N: 0, A: 0, S: 0, E: 0, M: 0 };
    let energy = 0;
    for (let k = 0; k < f.slots; k++) {
      const v = f.value[k];
      value[k] = Number.isNaN(v) ? null : v;
      if (!Number.isNaN(v)) energy += v;
      const q = QUALITY_NAMES[f.quality[k]] as QualityName;
      quality[k] = q;
      counts[q]++;
      const ref = r.result.reasonRef[k];
      reasonInput[k] = ref >= 0 ? labels[ref] : null;
    }
    out.push({
      day,
      slots: f.slots,
      intervalS: f.intervalS,
      value,
      quality,
      reasonInput,
      energy,
      counts,
      divZero: r.result.divZeroCount,
    });
  }
  return { ok: true, unit: meter.prepared.checked.unit, inputs: meter.inputs.map(inputRef), days: out, errors: [] };
}

function toReport(r: VirtualRunReport, started: number): ComputeReport {
  return {
    meters: r.meters,
    pointDays: r.pointDays,
    changed: r.changed,
    unchanged: r.unchanged,
    staleLocked: r.staleLocked.length,
    qualities: r.qualities,
    ms: performance.now() - started,
  };
}

/** Computes virtual meters over a range of days (and the virtual meters depending on them), in one transaction. */
export async function computeVirtual(store: Store, req: ComputeRequest): Promise<ComputeReport> {
  if (typeof req !== 'object' || req === null) throw bad('request', 'must be an object');
  const { from, to } = checkRangeArgs(req.from, req.to);
  const names = (req.names ?? []).map((n) => checkName(n, 'names'));
  const started = performance.now();
  const days = daysOf(from, to);
  const r = await withTransaction(store, async (tx) => {
    const plan = planVirtuals(await loadStoreEnv(tx));
    const targets: number[] = [];
    if (names.length === 0) {
      for (const v of plan.env.virtuals()) targets.push(v.pointId);
    } else {
      for (const n of names) {
        const v = plan.env.virtualByName(n);
        if (!v)
          throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `no active virtual meter named "${n}"`, { field: 'names' });
        const problem = plan.problems.get(v.pointId);
        if (problem) {
          throw new FronteiraError('FRONTEIRA_E_FORMULA', `vm("${n}") cannot be computed: ${problem}`, { name: n });
        }
        targets.push(v.pointId);
      }
    }
    return computeVirtualPointDays(
      tx,
      plan,
      targets.map((pointId) => ({ pointId, days })),
      { cause: req.cause ?? 'virtual', dependents: true, refreshInputs: true },
    );
  });
  return toReport(r, started);
}

export interface DrainOptions {
  limit?: number;
  maxRounds?: number;
  beforeDay?: string;
}

/**
 * Claims and computes the dirty virtual point-days, a transaction per round, until none is left (or `maxRounds`);
 * each round's report goes to `each`. The VEE worker's runDirty computes them in its own pass instead.
 */
export async function drainVirtualDirty(
  store: Store,
  opts: DrainOptions,
  each: (r: VirtualRunReport) => void,
): Promise<void> {
  const maxRounds = opts.maxRounds ?? 100;
  for (let round = 0; round < maxRounds; round++) {
    const n = await withTransaction(store, async (tx) => {
      const rows = await claimVirtualDirty(tx, opts.limit ?? 500, opts.beforeDay);
      if (rows.length === 0) return 0;
      each(await processVirtualDirty(tx, rows));
      await clearDirty(tx, rows);
      return rows.length;
    });
    if (n === 0) break;
  }
}

/** Works the dirty virtual point-days; returns what it computed. */
export async function runVirtualDirty(store: Store, opts: DrainOptions = {}): Promise<ComputeReport> {
  const started = performance.now();
  const total = emptyVirtualReport();
  await drainVirtualDirty(store, opts, (r) => {
    total.meters += r.meters;
    total.pointDays += r.pointDays;
    total.changed += r.changed;
    total.unchanged += r.unchanged;
    total.staleLocked.push(...r.staleLocked);
    for (const q of QUALITY_NAMES) total.qualities[q] += r.qualities[q];
  });
  return toReport(total, started);
}
