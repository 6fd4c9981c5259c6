/**
 * Computing virtual meters: one day of one meter from its inputs' final series (pure: evaluateVirtualDay), and
 * point-days of many meters over the store, each after the virtual meters it reads (computeVirtualPointDays), as
 * the VEE worker does for the dirty queue and the service for definitions and `virtual compute`.
 *
 * Per slot: the value from the vectorised evaluator (formula/compile.ts); the quality is A only when every input is
 * A, else the weakest input quality (formula/quality.ts); method and reason are those of the input that made the
 * slot non-actual (reasonRef), and the input's NAME goes into notes.virtual.nonActual as slot ranges (a reason byte
 * cannot hold it). Source is 'virtual' on every slot with a value. An input with no final series on the day counts
 * as missing throughout. Inputs at a finer interval than the coarsest one are summed up to it (quality: the weakest
 * of the slots summed); an input whose interval does not divide the coarsest is missing, with a message.
 *
 * Results are saved with saveFinals (cause 'virtual' unless told): a new version only when the content changes; a
 * locked version is superseded, never changed.
 */
import { addDays } from '../domain/time.ts';
import type { Tx } from '../store/bulk.ts';
import type { DirtyRow } from '../store/vee-dirty.ts';
import { getCurrentFinals, type SavedFinal, saveFinals, type VeeDb } from '../store/vee-final.ts';
import { setVirtualInputs, type VirtualMeterRow } from '../store/virtual.ts';
import {
  countQualities,
  type FinalDay,
  type FinalNotes,
  Method,
  Quality,
  type QualityCounts,
  type QualityName,
  Reason,
  Source,
} from '../vee/types.ts';
import { loadStoreEnv, type SeriesRef, type StoreEnv, virtualSeriesKey } from './env.ts';
import {
  type FormulaResult,
  type InputSeries,
  type PreparedFormula,
  prepareFormula,
  QUALITY_RANK,
} from './formula/index.ts';
import { DependencyGraph } from './graph.ts';

// ---------------------------------------------------------------------------------------------------------------
// Plan: every active virtual meter prepared against one environment, and their dependency graph

export interface PreparedMeter {
  row: VirtualMeterRow;
  key: string;
  prepared: PreparedFormula;
  /** SeriesRef of each evaluator input, in order. */
  inputs: SeriesRef[];
}

export interface VirtualPlan {
  env: StoreEnv;
  graph: DependencyGraph;
  /** By the virtual meter's point id. */
  meters: Map<number, PreparedMeter>;
  /** Meters whose formula no longer checks (an input retired, a cycle through changed tags): point id → message. */
  problems: Map<number, string>;
}

export function labelOf(env: StoreEnv): (key: string) => string {
  return (key) => env.series(key)?.label ?? key;
}

/** Prepares one meter's formula against the environment (throws FRONTEIRA_E_FORMULA). */
export function prepareMeter(env: StoreEnv, row: VirtualMeterRow): PreparedMeter {
  const prepared = prepareFormula(row.formula, env);
  const inputs = prepared.checked.inputs.map((i) => env.series(i.key)!);
  return { row, key: virtualSeriesKey(row.pointId), prepared, inputs };
}

/**
 * Prepares every active virtual meter and builds the graph. `last` (a name) is added to the graph after all the
 * others, so a cycle it closes is reported on it; the errors of that one meter are thrown, the others' recorded.
 */
export function planVirtuals(env: StoreEnv, last?: string): VirtualPlan {
  const graph = new DependencyGraph(labelOf(env));
  const meters = new Map<number, PreparedMeter>();
  const problems = new Map<number, string>();
  const all = env.virtuals();
  const ordered =
    last === undefined ? all : [...all.filter((v) => v.name !== last), ...all.filter((v) => v.name === last)];
  for (const row of ordered) {
    const strict = row.name === last;
    try {
      const m = prepareMeter(env, row);
      graph.addDefinition(m.key, m.prepared.checked.dependencies);
      meters.set(row.pointId, m);
    } catch (e) {
      if (strict) throw e;
      problems.set(row.pointId, (e as Error).message);
      graph.addDefinition(virtualSeriesKey(row.pointId), []);
    }
  }
  return { env, graph, meters, problems };
}

// ---------------------------------------------------------------------------------------------------------------
// One day, pure

export interface VirtualDayResult {
  final: FinalDay;
  result: FormulaResult;
  /** Labels of the inputs that had no final series that day (or an interval that does not fit). */
  missingInputs: string[];
}

export interface NonActualRange {
  input: string | null;
  quality: QualityName;
  firstSlot: number;
  lastSlot: number;
}

export interface VirtualNotes {
  name: string;
  formula: string;
  inputs: string[];
  /** Slot ranges that are not actual, with the input that made them so (null: division by zero or overflow). */
  nonActual: NonActualRange[];
  divZero: number;
}

const QUALITY_LETTER: QualityName[] = ['N', 'A', 'S', 'E', 'M'];

/** Sums `ratio` consecutive slots; the quality of a group is its weakest, method/reason of that weakest slot. */
function coarsen(f: FinalDay, ratio: number, slots: number): InputSeries & { method: Uint8Array } {
  const value = new Float64Array(slots).fill(Number.NaN);
  const quality = new Uint8Array(slots);
  const reason = new Uint8Array(slots).fill(Reason.missing);
  const method = new Uint8Array(slots);
  const n = Math.min(slots, Math.floor(f.slots / ratio));
  for (let j = 0; j < n; j++) {
    let s = 0;
    let worst = -1;
    for (let k = j * ratio; k < (j + 1) * ratio; k++) {
      s += f.value[k];
      if (worst < 0 || QUALITY_RANK[f.quality[k]] < QUALITY_RANK[f.quality[worst]]) worst = k;
    }
    value[j] = s;
    quality[j] = f.quality[worst];
    reason[j] = f.reason[worst];
    method[j] = f.method[worst];
  }
  return { value, quality, reason, method };
}

function missingSeries(slots: number): InputSeries & { method: Uint8Array } {
  return {
    value: new Float64Array(slots).fill(Number.NaN),
    quality: new Uint8Array(slots),
    reason: new Uint8Array(slots).fill(Reason.missing),
    method: new Uint8Array(slots),
  };
}

/**
 * Evaluates one virtual meter on one day. `inputs[i]` is the final series of the formula's input i that day
 * (undefined = none). Returns null when no input has a series that day (nothing to compute).
 */
export function evaluateVirtualDay(
  meter: PreparedMeter,
  day: string,
  inputs: readonly (FinalDay | undefined)[],
  /** Slots and interval to use when no input has a series (a day the meter has a series of its own). */
  shape?: { slots: number; intervalS: number },
): VirtualDayResult | null {
  const present = inputs.filter((f): f is FinalDay => f !== undefined);
  if (present.length === 0 && !shape) return null;
  const intervalS = present.length > 0 ? Math.max(...present.map((f) => f.intervalS)) : shape!.intervalS;
  const slots = present.find((f) => f.intervalS === intervalS)?.slots ?? shape!.slots;
  const missingInputs: string[] = [];
  const messages: string[] = [];
  const series: (InputSeries & { method: Uint8Array })[] = inputs.map((f, i) => {
    const label = meter.inputs[i].label;
    if (!f) {
      missingInputs.push(label);
      return missingSeries(slots);
    }
    if (f.intervalS === intervalS && f.slots === slots) return f;
    const ratio = intervalS / f.intervalS;
    if (!Number.isInteger(ratio) || Math.floor(f.slots / ratio) !== slots) {
      missingInputs.push(label);
      messages.push(`${label}: ${f.intervalS} s interval does not add up to ${intervalS} s; counted as missing`);
      return missingSeries(slots);
    }
    return coarsen(f, ratio, slots);
  });
  for (const l of missingInputs)
    if (!messages.some((m) => m.startsWith(`${l}:`))) messages.push(`${l}: no final series`);
  const result = meter.prepared.evaluator.evaluate(series);
  const method = new Uint8Array(slots);
  const source = new Uint8Array(slots);
  const reason = result.reason;
  for (let k = 0; k < slots; k++) {
    const q = result.quality[k];
    if (q !== Quality.N) source[k] = Source.virtual;
    const r = result.reasonRef[k];
    if (q !== Quality.A && r >= 0) method[k] = series[r].method[k];
    if (q === Quality.N && reason[k] === Reason.none) reason[k] = Reason.missing;
    if (q === Quality.N && method[k] !== Method.RR) method[k] = Method.none;
  }
  const labels = meter.inputs.map((i) => i.label);
  const nonActual: NonActualRange[] = [];
  let start = 0;
  for (let k = 1; k <= slots; k++) {
    const brk =
      k === slots || result.quality[k] !== result.quality[start] || result.reasonRef[k] !== result.reasonRef[start];
    if (!brk) continue;
    if (result.quality[start] !== Quality.A) {
      const r = result.reasonRef[start];
      nonActual.push({
        input: r >= 0 ? labels[r] : null,
        quality: QUALITY_LETTER[result.quality[start]],
        firstSlot: start,
        lastSlot: k - 1,
      });
    }
    start = k;
  }
  const virtual: VirtualNotes = {
    name: meter.row.name,
    formula: meter.row.formula,
    inputs: labels,
    nonActual,
    divZero: result.divZeroCount,
  };
  const notes: FinalNotes & { virtual: VirtualNotes } = { principalMeterId: null, retaguardaMeterId: null, virtual };
  if (messages.length > 0) notes.messages = messages;
  const final: FinalDay = {
    pointId: meter.row.pointId,
    pointCode: meter.row.code,
    quantityCode: meter.row.quantityCode,
    day,
    slots,
    intervalS,
    unit: meter.row.unit,
    value: result.value,
    quality: result.quality,
    method,
    reason,
    source,
    notes,
    version: 0,
    locked: false,
  };
  return { final, result, missingInputs };
}

// ---------------------------------------------------------------------------------------------------------------
// Over the store

export interface VirtualRunReport {
  meters: number;
  pointDays: number;
  changed: number;
  unchanged: number;
  staleLocked: SavedFinal[];
  qualities: QualityCounts;
}

export function emptyVirtualReport(): VirtualRunReport {
  return {
    meters: 0,
    pointDays: 0,
    changed: 0,
    unchanged: 0,
    staleLocked: [],
    qualities: { N: 0, A: 0, S: 0, E: 0, M: 0 },
  };
}

const seriesDayKey = (pointId: number, qc: number, day: string) => `${pointId}|${qc}|${day}`;

/** Days per query window: a month of a meter's inputs at a time. */
const WINDOW_DAYS = 31;

function windows(days: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const d of days) {
    if (cur.length > 0 && (cur.length >= WINDOW_DAYS || d > addDays(cur[0], WINDOW_DAYS - 1))) {
      out.push(cur);
      cur = [];
    }
    cur.push(d);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Current finals of these series over from..to, by `pointId|qc|day`. */
export async function loadSeriesFinals(
  tx: VeeDb,
  series: readonly SeriesRef[],
  from: string,
  to: string,
): Promise<Map<string, FinalDay>> {
  const out = new Map<string, FinalDay>();
  if (series.length === 0) return out;
  const pids = [...new Set(series.map((s) => s.pointId))];
  const qcs = [...new Set(series.map((s) => s.quantityCode))];
  const wanted = new Set(series.map((s) => `${s.pointId}|${s.quantityCode}`));
  for (const f of await getCurrentFinals(tx, pids, from, to, qcs)) {
    if (wanted.has(`${f.pointId}|${f.quantityCode}`)) out.set(seriesDayKey(f.pointId, f.quantityCode, f.day), f);
  }
  return out;
}

export interface ComputeItem {
  /** Virtual meter's point id. */
  pointId: number;
  days: readonly string[];
}

/**
 * Computes and saves point-days of virtual meters in the caller's transaction, each meter after the virtual meters
 * it reads. With `dependents` (default true) the virtual meters reading these ones, directly or not, are computed
 * for the same days too. Meters that are not active or whose formula has a problem are skipped.
 */
export async function computeVirtualPointDays(
  tx: Tx,
  plan: VirtualPlan,
  items: readonly ComputeItem[],
  opts: { cause?: string; dependents?: boolean; refreshInputs?: boolean } = {},
): Promise<VirtualRunReport> {
  const report = emptyVirtualReport();
  const daysOf = new Map<string, Set<string>>();
  const add = (key: string, days: readonly string[]) => {
    let s = daysOf.get(key);
    if (!s) {
      s = new Set();
      daysOf.set(key, s);
    }
    for (const d of days) s.add(d);
  };
  for (const it of items) {
    const key = virtualSeriesKey(it.pointId);
    add(key, it.days);
    if (opts.dependents !== false) for (const d of plan.graph.dependents(key)) add(d, it.days);
  }
  const order = plan.graph.topologicalOrder().filter((k) => daysOf.has(k));
  for (const key of order) {
    const meter = plan.meters.get(Number(key.slice('virtual:'.length)));
    if (!meter) continue;
    const days = [...daysOf.get(key)!].sort();
    if (days.length === 0) continue;
    report.meters++;
    if (opts.refreshInputs) {
      await setVirtualInputs(
        tx,
        meter.row.id,
        meter.inputs.map((i) => ({ pointId: i.pointId, quantityCode: i.quantityCode })),
      );
    }
    for (const w of windows(days)) {
      const from = w[0];
      const to = w[w.length - 1];
      const loaded = await loadSeriesFinals(tx, meter.inputs, from, to);
      const own = await loadSeriesFinals(
        tx,
        [
          {
            kind: 'virtual',
            key,
            pointId: meter.row.pointId,
            code: meter.row.code,
            quantityCode: meter.row.quantityCode,
            unit: meter.row.unit,
            label: '',
          },
        ],
        from,
        to,
      );
      const finals: FinalDay[] = [];
      for (const day of w) {
        const ins = meter.inputs.map((s) => loaded.get(seriesDayKey(s.pointId, s.quantityCode, day)));
        // A day the meter has a series but none of its inputs has (a new formula reading other points) becomes all
        // missing rather than keep a result of the old formula.
        const mine = own.get(seriesDayKey(meter.row.pointId, meter.row.quantityCode, day));
        const r = evaluateVirtualDay(meter, day, ins, mine);
        if (!r) continue;
        finals.push(r.final);
      }
      if (finals.length === 0) continue;
      const saved = await saveFinals(tx, finals, { cause: opts.cause ?? 'virtual' });
      for (const s of saved) {
        if (s.changed) report.changed++;
        else report.unchanged++;
        if (s.changed && s.previousLocked) report.staleLocked.push(s);
      }
      report.pointDays += finals.length;
      for (const f of finals) {
        const c = countQualities(f);
        for (const q of QUALITY_LETTER) report.qualities[q] += c[q];
      }
    }
  }
  return report;
}

/**
 * Dirty virtual point-days claimed from vee_dirty (the caller clears them): each meter on its days, with the virtual
 * meters depending on it, inputs first. VEE's runDirty calls it after the ordinary points of the same round.
 */
export async function processVirtualDirty(
  tx: Tx,
  rows: readonly Pick<DirtyRow, 'pointId' | 'day'>[],
): Promise<VirtualRunReport> {
  if (rows.length === 0) return emptyVirtualReport();
  const plan = planVirtuals(await loadStoreEnv(tx));
  const byPoint = new Map<number, string[]>();
  for (const r of rows) {
    const l = byPoint.get(r.pointId);
    if (l) l.push(r.day);
    else byPoint.set(r.pointId, [r.day]);
  }
  return computeVirtualPointDays(
    tx,
    plan,
    [...byPoint].map(([pointId, days]) => ({ pointId, days })),
    { cause: 'virtual', dependents: true },
  );
}
