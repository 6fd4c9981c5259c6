/**
 * VEE of one point and operating day, pure: validate → estimate → the analyst's edits. The service loads the inputs
 * and stores the outputs; this is the whole computation between them, so a test can run exactly what production runs.
 */
import type { HolidayCalendar } from './calendar.ts';
import { applyEdits, type EditContext, type ManualEdit } from './edits.ts';
import { estimate, pickChannel } from './estimate.ts';
import type { VeeParams } from './params.ts';
import { type FinalDay, type LikeDay, Method, Quality, type ValidationInput, type ValidationResult } from './types.ts';
import { validate } from './validate.ts';

export interface VeeDayInput {
  input: ValidationInput;
  params: VeeParams;
  calendar: HolidayCalendar;
  /** Earlier final series per quantity code, most recent first; empty when none were loaded. */
  history: ReadonlyMap<number, readonly LikeDay[]>;
  /** The series' manual edits (reversed ones included: applyEdits skips them). */
  edits: readonly ManualEdit[];
}

export interface VeeDayResult {
  validation: ValidationResult;
  finals: FinalDay[];
}

const NO_HISTORY: ReadonlyMap<number, readonly LikeDay[]> = new Map();

export function runVeeDay(d: VeeDayInput): VeeDayResult {
  const validation = validate(d.input, d.params);
  let finals = estimate({ input: d.input, validation, params: d.params, calendar: d.calendar, history: d.history });
  if (d.edits.length > 0) {
    finals = finals.map((f) => {
      const mine = d.edits.filter((e) => e.quantityCode === f.quantityCode && e.day === f.day);
      if (mine.length === 0) return f;
      return applyEdits(f, mine, editContext(validation, d.params, f.quantityCode));
    });
  }
  return { validation, finals };
}

/**
 * What an edit of quantity q may copy from: the principal and retaguarda channels estimation used (on a meter-swap
 * day, the one with the most usable actuals — estimate.ts pickChannel, so an edit and VEE agree on it).
 */
export function editContext(validation: ValidationResult, params: VeeParams, q: number): EditContext {
  return {
    principal: pickChannel(validation, 'principal', q)?.meterDay ?? null,
    retaguarda: pickChannel(validation, 'retaguarda', q)?.meterDay ?? null,
    lossFactor: params.estimation.RT.lossFactor,
  };
}

/**
 * Whether like-day history could change the result: LD is in the chain and some slot is still missing without a
 * pending re-read. The service runs a day without history first and loads it only then, because loading four weeks
 * of series for every point-day would cost more than the whole VEE of a clean month.
 */
export function wantsHistory(d: Pick<VeeDayInput, 'params'>, finals: readonly FinalDay[]): boolean {
  if (!d.params.estimation.order.includes('LD')) return false;
  for (const f of finals) {
    for (let k = 0; k < f.slots; k++) {
      if (f.quality[k] === Quality.N && f.method[k] !== Method.RR) return true;
    }
  }
  return false;
}

/** runVeeDay, loading history only when it matters. */
export async function runVeeDayLazy(
  d: Omit<VeeDayInput, 'history'>,
  loadHistory: () => Promise<ReadonlyMap<number, readonly LikeDay[]>>,
): Promise<VeeDayResult & { historyLoaded: boolean }> {
  const first = runVeeDay({ ...d, history: NO_HISTORY });
  if (!wantsHistory(d, first.finals)) return { ...first, historyLoaded: false };
  const history = await loadHistory();
  if (history.size === 0) return { ...first, historyLoaded: true };
  return { ...runVeeDay({ ...d, history }), historyLoaded: true };
}
