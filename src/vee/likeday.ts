/**
 * Like-day material for LD (vee.md §3): which earlier days of the same day class count as valid like-days, and the
 * per-slot mean profile they give. Pure: the service loads the earlier final series, estimate() consumes the result.
 */
import { FronteiraError } from '../domain/errors.ts';
import type { HolidayCalendar } from './calendar.ts';
import type { EstimationParams } from './params.ts';
import { type FinalDay, type LikeDay, Quality } from './types.ts';

/** A like-day from an earlier final series: only measured slots (quality A or S) are usable, never estimates. */
export function likeDayFromFinal(f: FinalDay): LikeDay {
  const usable = new Uint8Array(f.slots);
  for (let k = 0; k < f.slots; k++) {
    const q = f.quality[k];
    if ((q === Quality.A || q === Quality.S) && Number.isFinite(f.value[k])) usable[k] = 1;
  }
  return { day: f.day, value: f.value.slice(), usable };
}

function isUsable(d: LikeDay, k: number): boolean {
  return Number.isFinite(d.value[k]) && (d.usable === null || d.usable[k] === 1);
}

function usableCount(d: LikeDay): number {
  if (d.usable !== null && d.usable.length !== d.value.length) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `like-day ${d.day}: usable holds ${d.usable.length} slots but value holds ${d.value.length}`,
      { field: 'usable', day: d.day },
    );
  }
  let n = 0;
  for (let k = 0; k < d.value.length; k++) if (isUsable(d, k)) n++;
  return n;
}

/**
 * The like-days LD averages for `day`: candidates of the same day class (calendar) within `p.weeks` weeks before
 * it, holding `slots` slots (a DST day of another length cannot be laid over this one), with at least one usable
 * slot and a usable share ≥ p.minValidShare; the `p.count` most recent, most recent first. A day listed twice
 * counts once (its first valid entry).
 */
export function selectLikeDays(
  day: string,
  candidates: readonly LikeDay[],
  calendar: HolidayCalendar,
  p: EstimationParams['LD'],
  slots: number,
): LikeDay[] {
  const allowed = new Set(calendar.likeDayCandidates(day, p.weeks));
  const chosen = new Map<string, LikeDay>();
  for (const c of candidates) {
    if (!allowed.has(c.day) || chosen.has(c.day) || c.value.length !== slots) continue;
    const n = usableCount(c);
    if (n > 0 && n / slots >= p.minValidShare) chosen.set(c.day, c);
  }
  return [...chosen.values()].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0)).slice(0, p.count);
}

/** Per slot, the mean of the like-days' usable values (NaN where none is usable). */
export function likeDayProfile(days: readonly LikeDay[], slots: number): Float64Array {
  const out = new Float64Array(slots);
  for (let k = 0; k < slots; k++) {
    let sum = 0;
    let n = 0;
    for (const d of days) {
      if (k < d.value.length && isUsable(d, k)) {
        sum += d.value[k];
        n++;
      }
    }
    out[k] = n > 0 ? sum / n : Number.NaN;
  }
  return out;
}
