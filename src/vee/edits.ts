/**
 * Manual edits by an analyst (vee.md §3 method ME): the request an analyst submits, and their application over the
 * final series VEE computed. Edits are stored (vee_manual_edit) and re-applied on every VEE run of the day, so an
 * edit is a recipe ("interpolate slots 10–14"), not a frozen result; reversing one is simply not applying it any
 * more, which gives back exactly the series without it.
 *
 * Kinds (slots firstSlot … lastSlot inclusive):
 * - replace: the analyst's values (quality M, method ME, source manual, reason manual);
 * - interpolate: linear between the values at firstSlot−1 and lastSlot+1 as they stand when the edit applies (after
 *   the earlier edits), quality M / ME / manual;
 * - copy_retaguarda: the retaguarda's actual × loss factor, quality M / ME, source retaguarda, reason manual;
 * - accept: the principal's raw actual of a flagged (replaced or suspect) slot, quality A / ME, source principal.
 *
 * Submission checks what the request alone can tell (and, given the meters' data, whether copy_retaguarda and accept
 * have a source for every slot). At apply time the data may have changed since (a re-read, a reassigned meter): an
 * edit whose source is gone for any slot is skipped as a whole and the day's notes.messages says why, rather than
 * failing the run or applying half an edit.
 */
import { FronteiraError } from '../domain/errors.ts';
import { quantity } from '../protocols/abnt14522/quantities.ts';
import { isDay } from './params.ts';
import {
  cloneFinalDay,
  type FinalDay,
  type MeterDay,
  Method,
  type MethodName,
  methodName,
  Quality,
  type QualityName,
  qualityName,
  RAW_ACTUAL,
  Reason,
  Source,
} from './types.ts';

export type EditKind = 'replace' | 'interpolate' | 'copy_retaguarda' | 'accept';
export const EDIT_KINDS: readonly EditKind[] = ['replace', 'interpolate', 'copy_retaguarda', 'accept'];
export const MAX_COMMENT_LENGTH = 2000;

/** A stored edit (vee_manual_edit row). Times are epoch ms. */
export interface ManualEdit {
  id: number;
  pointId: number;
  quantityCode: number;
  day: string;
  firstSlot: number;
  lastSlot: number;
  kind: EditKind;
  /** replace: one value per slot firstSlot … lastSlot; null for the other kinds. */
  values: number[] | null;
  comment: string;
  createdBy: string;
  createdAt: number;
  reversedAt: number | null;
}

/**
 * What an analyst submits. As returned by parseEditRequest, `values` is set only for replace and always holds one
 * number per slot (a single number in the input is repeated over the range), as edit_values stores it.
 */
export interface EditRequest {
  quantityCode: number;
  day: string;
  firstSlot: number;
  lastSlot: number;
  kind: EditKind;
  values?: number[] | number;
  comment: string;
}

/** The meters' data of the day for copy_retaguarda and accept, and the loss factor RT uses for the point. */
export interface EditContext {
  principal: MeterDay | null;
  retaguarda: MeterDay | null;
  /** Multiplies the retaguarda's values (default 1, as params.estimation.RT.lossFactor). */
  lossFactor?: number;
}

const REQUEST_FIELDS = ['quantityCode', 'day', 'firstSlot', 'lastSlot', 'kind', 'values', 'comment'];

function bad(field: string, message: string, details: Record<string, unknown> = {}): never {
  throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${message}`, { field, ...details });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Energy quantities cannot be negative (each direction has its own channel); other quantities can. */
function isEnergy(quantityCode: number): boolean {
  const q = quantity(quantityCode);
  return q.direction !== null || q.kind === 'active' || q.kind.startsWith('reactive') || q.unit === 'kVAh';
}

function slotIndex(v: unknown, field: string, slots: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) bad(field, `${JSON.stringify(v)} is not a slot number`);
  if (v < 0 || v > slots - 1) bad(field, `slot ${v} is outside the day (0…${slots - 1})`);
  return v;
}

function hasActual(md: MeterDay, k: number): boolean {
  return (md.rawFlags[k] & RAW_ACTUAL) !== 0 && Number.isFinite(md.value[k]);
}

/** Why a meter's day cannot be a source for `final`, or null when it can. */
function sourceMismatch(md: MeterDay, final: FinalDay): string | null {
  if (md.quantityCode !== final.quantityCode) {
    return `its channel measures quantity ${md.quantityCode}, the series ${final.quantityCode}`;
  }
  if (md.day !== final.day) return `its data is of ${md.day}, the series of ${final.day}`;
  if (md.slots !== final.slots || md.intervalS !== final.intervalS) {
    return `its day has ${md.slots} slots of ${md.intervalS} s, the series ${final.slots} of ${final.intervalS} s`;
  }
  return null;
}

/** First slot of first…last without a source value, or −1 when every slot has one. */
function firstWithout(md: MeterDay, first: number, last: number): number {
  for (let k = first; k <= last; k++) if (!hasActual(md, k)) return k;
  return -1;
}

function checkLossFactor(v: unknown): number {
  const f = v ?? 1;
  if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `lossFactor: ${JSON.stringify(v)} is not a positive number`, {
      field: 'lossFactor',
    });
  }
  return f;
}

/**
 * Checks an analyst's edit of `final` (the current series of the point, quantity and day) and returns a clean
 * copy. Every problem is a FRONTEIRA_E_VALIDATION naming the field. Given `ctx` (the meters' data of the day),
 * copy_retaguarda and accept also need a source value in every slot of the range; without it those checks are left
 * to apply time (applyEdits skips the edit and says why in notes.messages).
 */
export function parseEditRequest(input: unknown, final: FinalDay, ctx?: EditContext): EditRequest {
  if (!isObject(input)) bad('edit', 'must be an object');
  for (const k of Object.keys(input)) {
    if (!REQUEST_FIELDS.includes(k)) bad(k, `unknown field (known: ${REQUEST_FIELDS.join(', ')})`);
  }
  const kind = input.kind;
  if (!EDIT_KINDS.includes(kind as EditKind)) bad('kind', `'${String(kind)}' is not one of ${EDIT_KINDS.join(', ')}`);
  const qc = input.quantityCode;
  if (qc !== final.quantityCode) {
    bad('quantityCode', `${JSON.stringify(qc)} is not the series' quantity code ${final.quantityCode}`);
  }
  if (!isDay(input.day)) bad('day', `'${String(input.day)}' is not a YYYY-MM-DD day`);
  if (input.day !== final.day) bad('day', `${input.day} is not the series' day ${final.day}`);
  const firstSlot = slotIndex(input.firstSlot, 'firstSlot', final.slots);
  const lastSlot = slotIndex(input.lastSlot, 'lastSlot', final.slots);
  if (lastSlot < firstSlot) bad('lastSlot', `${lastSlot} is before firstSlot ${firstSlot}`);

  if (typeof input.comment !== 'string') bad('comment', 'is mandatory (say why the series is edited)');
  const comment = input.comment.trim();
  if (comment.length === 0) bad('comment', 'must not be blank (say why the series is edited)');
  if (comment.length > MAX_COMMENT_LENGTH)
    bad('comment', `${comment.length} characters (at most ${MAX_COMMENT_LENGTH})`);

  const req: EditRequest = {
    quantityCode: final.quantityCode,
    day: final.day,
    firstSlot,
    lastSlot,
    kind: kind as EditKind,
    comment,
  };
  const n = lastSlot - firstSlot + 1;
  const energy = isEnergy(final.quantityCode);

  if (kind === 'replace') {
    const v = input.values;
    if (v === undefined || v === null)
      bad('values', 'replace needs values (one number for all slots, or one per slot)');
    const list: unknown[] = Array.isArray(v) ? v : [v];
    if (Array.isArray(v) && v.length !== n) {
      bad('values', `${v.length} values for ${n} slots ${firstSlot}…${lastSlot} (give one number, or one per slot)`);
    }
    const values = list.map((x, i) => {
      const field = Array.isArray(v) ? `values[${i}]` : 'values';
      if (typeof x !== 'number' || !Number.isFinite(x)) bad(field, `${JSON.stringify(x)} is not a finite number`);
      if (energy && x < 0) bad(field, `${x} is negative (an energy value must be ≥ 0)`);
      return x;
    });
    req.values = Array.isArray(v) ? values : new Array<number>(n).fill(values[0]);
    return req;
  }

  if (input.values !== undefined && input.values !== null) bad('values', `only replace takes values, not ${kind}`);

  if (kind === 'interpolate') {
    const usable = (k: number) => final.quality[k] !== Quality.N && Number.isFinite(final.value[k]);
    if (firstSlot === 0) bad('firstSlot', 'interpolate needs a value before the range (slot −1 is outside the day)');
    if (lastSlot === final.slots - 1) {
      bad('lastSlot', `interpolate needs a value after the range (slot ${final.slots} is outside the day)`);
    }
    if (!usable(firstSlot - 1)) bad('firstSlot', `interpolate needs a value at slot ${firstSlot - 1}; it is missing`);
    if (!usable(lastSlot + 1)) bad('lastSlot', `interpolate needs a value at slot ${lastSlot + 1}; it is missing`);
    return req;
  }

  if (ctx) {
    const role = kind === 'accept' ? 'principal' : 'retaguarda';
    const md = kind === 'accept' ? ctx.principal : ctx.retaguarda;
    if (!md) bad('kind', `${kind} needs the ${role} meter's data and the point has none on ${final.day}`);
    const mismatch = sourceMismatch(md, final);
    if (mismatch) bad('kind', `${kind}: the ${role} meter ${md.meterId} cannot be used: ${mismatch}`);
    const k = firstWithout(md, firstSlot, lastSlot);
    if (k >= 0) {
      bad('kind', `${kind}: the ${role} meter ${md.meterId} has no actual value at slot ${k}`, { slot: k });
    }
    if (kind === 'copy_retaguarda') checkLossFactor(ctx.lossFactor);
  }
  return req;
}

function byCreation(a: ManualEdit, b: ManualEdit): number {
  return a.createdAt - b.createdAt || a.id - b.id;
}

interface Planned {
  values: Float64Array;
  quality: number;
  source: number;
}

/** The values an edit writes over its range in `cur`, or why it cannot apply. */
function plan(cur: FinalDay, e: ManualEdit, ctx: EditContext): Planned | string {
  if (e.pointId !== cur.pointId || e.quantityCode !== cur.quantityCode || e.day !== cur.day) {
    return `it edits point ${e.pointId} quantity ${e.quantityCode} on ${e.day}, not this series`;
  }
  const first = e.firstSlot;
  const last = e.lastSlot;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last >= cur.slots || last < first) {
    return `slots ${first}…${last} are not a range of the day (0…${cur.slots - 1})`;
  }
  const n = last - first + 1;
  const out = new Float64Array(n);
  switch (e.kind) {
    case 'replace': {
      const v = e.values;
      if (!v || (v.length !== n && v.length !== 1)) return `it holds ${v?.length ?? 0} values for ${n} slots`;
      for (let i = 0; i < n; i++) {
        const x = v.length === 1 ? v[0] : v[i];
        if (typeof x !== 'number' || !Number.isFinite(x)) return `value ${i} (${String(x)}) is not a finite number`;
        out[i] = x;
      }
      return { values: out, quality: Quality.M, source: Source.manual };
    }
    case 'interpolate': {
      const a = first - 1;
      const b = last + 1;
      if (a < 0 || b >= cur.slots) return 'the range touches the edge of the day (no value on both sides)';
      const va = cur.value[a];
      const vb = cur.value[b];
      if (cur.quality[a] === Quality.N || !Number.isFinite(va)) return `slot ${a} before the range has no value`;
      if (cur.quality[b] === Quality.N || !Number.isFinite(vb)) return `slot ${b} after the range has no value`;
      const span = b - a;
      for (let i = 0; i < n; i++) out[i] = va + ((vb - va) * (i + 1)) / span;
      return { values: out, quality: Quality.M, source: Source.manual };
    }
    case 'copy_retaguarda':
    case 'accept': {
      const role = e.kind === 'accept' ? 'principal' : 'retaguarda';
      const md = e.kind === 'accept' ? ctx.principal : ctx.retaguarda;
      if (!md) return `no ${role} meter data for the day`;
      const mismatch = sourceMismatch(md, cur);
      if (mismatch) return `the ${role} meter ${md.meterId} cannot be used: ${mismatch}`;
      const k = firstWithout(md, first, last);
      if (k >= 0) return `the ${role} meter ${md.meterId} has no actual value at slot ${k}`;
      let factor = 1;
      if (e.kind === 'copy_retaguarda') {
        const f = ctx.lossFactor ?? 1;
        if (!Number.isFinite(f) || f <= 0) return `loss factor ${f} is not a positive number`;
        factor = f;
      }
      for (let i = 0; i < n; i++) out[i] = md.value[first + i] * factor;
      return e.kind === 'accept'
        ? { values: out, quality: Quality.A, source: Source.principal }
        : { values: out, quality: Quality.M, source: Source.retaguarda };
    }
    default:
      return `kind '${String(e.kind)}' is not one of ${EDIT_KINDS.join(', ')}`;
  }
}

/**
 * The series with the analyst's edits applied, in (createdAt, id) order; reversed edits are skipped. Never mutates
 * `final`. An edit that cannot apply (its source gone, a neighbour of an interpolation missing) is skipped as a whole
 * and notes.messages says why. notes.manualOverActual lists the slots that were a plain actual (quality A, method
 * none) in `final` and end up manually valued (quality M): the analyst chose another value over a measurement.
 * accept keeps quality A, so it is not listed.
 */
export function applyEdits(final: FinalDay, edits: readonly ManualEdit[], ctx: EditContext): FinalDay {
  const out = cloneFinalDay(final);
  const live = edits.filter((e) => e.reversedAt === null || e.reversedAt === undefined).sort(byCreation);
  if (live.length === 0) return out;
  const messages: string[] = [];
  for (const e of live) {
    const p = plan(out, e, ctx);
    if (typeof p === 'string') {
      messages.push(`manual edit ${e.id} (${e.kind}, slots ${e.firstSlot}–${e.lastSlot}) not applied: ${p}`);
      continue;
    }
    for (let i = 0; i < p.values.length; i++) {
      const k = e.firstSlot + i;
      out.value[k] = p.values[i];
      out.quality[k] = p.quality;
      out.method[k] = Method.ME;
      out.source[k] = p.source;
      out.reason[k] = Reason.manual;
    }
    if (e.kind === 'copy_retaguarda' && ctx.retaguarda) {
      if (out.notes.retaguardaMeterId === null) out.notes.retaguardaMeterId = ctx.retaguarda.meterId;
      const f = ctx.lossFactor ?? 1;
      if (f !== 1 && out.notes.lossFactor === undefined) out.notes.lossFactor = f;
    }
    if (e.kind === 'accept' && ctx.principal && out.notes.principalMeterId === null) {
      out.notes.principalMeterId = ctx.principal.meterId;
    }
  }
  const over: number[] = [];
  for (let k = 0; k < final.slots; k++) {
    if (final.quality[k] === Quality.A && final.method[k] === Method.none && out.quality[k] === Quality.M) over.push(k);
  }
  if (over.length > 0) {
    const all = new Set([...(out.notes.manualOverActual ?? []), ...over]);
    out.notes.manualOverActual = [...all].sort((a, b) => a - b);
  }
  if (messages.length > 0) out.notes.messages = [...(out.notes.messages ?? []), ...messages];
  return out;
}

export interface SlotState {
  /** null = missing. */
  value: number | null;
  quality: QualityName;
  method: MethodName;
}

export interface EditDescription {
  slots: { slot: number; before: SlotState; after: SlotState }[];
}

function stateOf(f: FinalDay, k: number): SlotState {
  const v = f.value[k];
  return { value: Number.isFinite(v) ? v : null, quality: qualityName(f.quality[k]), method: methodName(f.method[k]) };
}

/** The before/after of an edit's slots, as the audit log stores them (JSON-safe: a missing value is null). */
export function describeEdit(
  before: FinalDay,
  after: FinalDay,
  edit: Pick<ManualEdit, 'firstSlot' | 'lastSlot'>,
): EditDescription {
  const first = Math.max(0, edit.firstSlot);
  const last = Math.min(before.slots - 1, after.slots - 1, edit.lastSlot);
  const slots: EditDescription['slots'] = [];
  for (let k = first; k <= last; k++) slots.push({ slot: k, before: stateOf(before, k), after: stateOf(after, k) });
  return { slots };
}
