/**
 * Scaling estimates to the register advance: the LD profile (LD.scaleToRegister) and the SC post-step both stretch
 * a set of estimated slots so that the period of a register advance (cmd 0x23/0x24 snapshots) sums to the energy the
 * registers moved. The slots outside the set keep their values; a period with a slot of unknown value cannot say how
 * much energy the estimated slots should carry, so it is not used.
 */
import type { EstimationParams } from '../params.ts';
import { type FinalDay, Method, type RegisterAdvance } from '../types.ts';

export type RegisterFit =
  | {
      ok: true;
      advance: RegisterAdvance;
      /** Energy the in-day part of the period must sum to (advance − outsideSum). */
      periodTotal: number;
      /** Energy the scaled slots must sum to. */
      target: number;
      /** Their sum before scaling. */
      sum: number;
      factor: number;
      slots: number;
    }
  /** `why` null: nothing to report (no slot to scale, or no advance of the quantity at all). */
  | { ok: false; why: string | null };

function usableAdvance(a: RegisterAdvance, quantityCode: number, slots: number): boolean {
  return (
    a.quantityCode === quantityCode &&
    Number.isInteger(a.firstSlot) &&
    Number.isInteger(a.lastSlot) &&
    a.firstSlot >= 0 &&
    a.firstSlot <= a.lastSlot &&
    a.lastSlot < slots &&
    Number.isFinite(a.energy) &&
    (a.outsideSum === undefined || Number.isFinite(a.outsideSum))
  );
}

/**
 * The factor that makes the `marked` slots of `f` meet the first advance of f's quantity whose period covers all of
 * them. `valueAt(k)` is what an unmarked slot will hold (NaN = no value).
 */
export function registerFit(
  f: FinalDay,
  marked: Uint8Array,
  advances: readonly RegisterAdvance[],
  valueAt: (k: number) => number,
): RegisterFit {
  let first = -1;
  let last = -1;
  for (let k = 0; k < f.slots; k++) {
    if (marked[k] === 1) {
      if (first < 0) first = k;
      last = k;
    }
  }
  if (first < 0) return { ok: false, why: null };
  const ofQuantity = advances.filter((a) => usableAdvance(a, f.quantityCode, f.slots));
  if (ofQuantity.length === 0) return { ok: false, why: null };
  const advance = ofQuantity.find((a) => a.firstSlot <= first && a.lastSlot >= last);
  if (!advance) return { ok: false, why: `no register advance covers slots ${first}–${last}` };
  let sum = 0;
  let rest = 0;
  let unknown = 0;
  let count = 0;
  for (let k = advance.firstSlot; k <= advance.lastSlot; k++) {
    if (marked[k] === 1) {
      sum += f.value[k];
      count++;
    } else {
      const v = valueAt(k);
      if (Number.isFinite(v)) rest += v;
      else unknown++;
    }
  }
  const span = `${advance.firstSlot}–${advance.lastSlot}`;
  if (unknown > 0) return { ok: false, why: `${unknown} slot(s) of the register period ${span} have no value` };
  const periodTotal = advance.energy - (advance.outsideSum ?? 0);
  const target = periodTotal - rest;
  if (!(sum > 0)) return { ok: false, why: `the slots to scale sum to ${sum} over the register period ${span}` };
  if (target < 0) {
    return { ok: false, why: `the other slots of the register period ${span} already exceed its advance` };
  }
  return { ok: true, advance, periodTotal, target, sum, factor: target / sum, slots: count };
}

export function scaleSlots(f: FinalDay, marked: Uint8Array, factor: number): void {
  for (let k = 0; k < f.slots; k++) if (marked[k] === 1) f.value[k] *= factor;
}

/**
 * SC post-step (vee.md §3): rescale every LI/LD slot of the day so the register period meets the advance, when the
 * factor stays within maxDeviation of 1. Slots keep their method; notes.scale records the factor. Works on the
 * series being built (never an input).
 */
export function rescaleToRegister(
  f: FinalDay,
  advances: readonly RegisterAdvance[],
  p: EstimationParams['SC'],
  messages: string[],
): void {
  const marked = new Uint8Array(f.slots);
  for (let k = 0; k < f.slots; k++) if (f.method[k] === Method.LI || f.method[k] === Method.LD) marked[k] = 1;
  const fit = registerFit(f, marked, advances, (k) => f.value[k]);
  if (!fit.ok) {
    if (fit.why) messages.push(`SC not applied: ${fit.why}`);
    return;
  }
  if (Math.abs(fit.factor - 1) > p.maxDeviation) {
    messages.push(`SC not applied: factor ${fit.factor.toFixed(4)} deviates more than ${p.maxDeviation} from 1`);
    return;
  }
  scaleSlots(f, marked, fit.factor);
  f.notes.scale = { factor: fit.factor, target: fit.periodTotal, slots: fit.slots };
}
