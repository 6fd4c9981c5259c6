/**
 * A 5-minute raw day block for store and VEE tests, filled slot by slot: `fill(k)` gives slot k's value (null leaves
 * it missing). Pulses default to value × 1000 and flags to actual; tests that check those pass their own.
 */
import { emptyDayBlock } from '../../src/collect/day-block.ts';
import type { DayBlock } from '../../src/store/day-blocks.ts';

export interface BlockOptions {
  pulses?: (k: number, value: number) => number;
  flags?: (k: number) => number;
  slots?: number;
}

export function testBlock(
  meterId: number,
  channel: number,
  day: string,
  fill: (k: number) => number | null,
  o: BlockOptions = {},
): DayBlock {
  const slots = o.slots ?? 288;
  const b = emptyDayBlock(meterId, channel, day, 86_400 / slots, slots);
  for (let k = 0; k < slots; k++) {
    const v = fill(k);
    if (v === null) continue;
    b.value[k] = v;
    b.pulses[k] = o.pulses ? o.pulses(k, v) : Math.round(v * 1000);
    b.flags[k] = o.flags ? o.flags(k) : 1;
    b.filled++;
  }
  return b;
}
