/**
 * RC, the regulatory worst case (vee.md §3, ANEEL CP 21/2018 proposal): what CCEE's punitive default would put in
 * the slots we did not measure. Never written in the series; it is the exposure figure shown to the analyst.
 */
import { quantity } from '../../protocols/abnt14522/quantities.ts';
import { type FinalDay, Quality, type WorstCase } from '../types.ts';

/**
 * Over the slots of quality E or N: consumption (direct quantities: 1, 10, 11 …) at the load capacity for the whole
 * interval, generation (reverse: 14, 15, 16 …) at zero. Null when a consumption point has no known capacity, or the
 * quantity is not an energy direction CCEE settles.
 */
export function worstCase(f: FinalDay, loadCapacityKw: number | null): WorstCase | null {
  const direction = quantity(f.quantityCode).direction;
  if (direction === null) return null;
  if (direction === 'direct' && (loadCapacityKw === null || !Number.isFinite(loadCapacityKw) || loadCapacityKw < 0)) {
    return null;
  }
  let slots = 0;
  let estimatedEnergy = 0;
  for (let k = 0; k < f.slots; k++) {
    const q = f.quality[k];
    if (q !== Quality.E && q !== Quality.N) continue;
    slots++;
    if (Number.isFinite(f.value[k])) estimatedEnergy += f.value[k];
  }
  const perSlot = direction === 'direct' ? (loadCapacityKw as number) * (f.intervalS / 3600) : 0;
  const energy = perSlot * slots;
  return { slots, energy, estimatedEnergy, difference: energy - estimatedEnergy };
}
