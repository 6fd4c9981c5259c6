/**
 * Builders for the validation tests: small hand-made channel-days on a plain 288-slot day, point and meter
 * contexts, and parameter sets with only the rules under test switched on.
 */
import { DEFAULT_PARAMS, mergeParams, type RuleParams, type VeeParams, type VeeParamsPatch } from '../params.ts';
import { dayStartMs } from '../slots.ts';
import {
  type MeterContext,
  type MeterDay,
  type MeterRole,
  meterDay,
  type PointInfo,
  RAW_ACTUAL,
  RULE_IDS,
  type RuleId,
  type ValidationInput,
} from '../types.ts';

/** A Tuesday with no holiday and no DST: 288 five-minute slots. */
export const DAY = '2024-03-12';
export const START = dayStartMs(DAY);
export const MIN = 60_000;

export interface ChannelSpec {
  day?: string;
  meterId?: number;
  role?: MeterRole;
  channel?: number;
  quantityCode?: number;
  slots?: number;
  intervalS?: number;
  /** Per slot value (null = missing); a number fills every slot. */
  values?: readonly (number | null)[] | number;
  /** Extra raw flags per slot index. */
  flags?: Record<number, number>;
  /** No stored row at all (every slot missing). */
  absent?: boolean;
}

export function channel(spec: ChannelSpec = {}): MeterDay {
  const slots = spec.slots ?? 288;
  const raw = spec.values ?? 1;
  const values = typeof raw === 'number' ? new Array<number | null>(slots).fill(raw) : raw;
  const flags = new Uint8Array(slots);
  for (let k = 0; k < slots; k++) if (values[k] != null) flags[k] = RAW_ACTUAL;
  for (const [k, f] of Object.entries(spec.flags ?? {})) flags[Number(k)] |= f;
  return meterDay({
    meterId: spec.meterId ?? 1,
    role: spec.role ?? 'principal',
    channel: spec.channel ?? 1,
    quantityCode: spec.quantityCode ?? 1,
    day: spec.day ?? DAY,
    slots,
    intervalS: spec.intervalS ?? 300,
    value: spec.absent ? null : values,
    flags: spec.absent ? null : flags,
  });
}

/** A series of `slots` values from f(k). */
export function series(f: (k: number) => number | null, slots = 288): (number | null)[] {
  return Array.from({ length: slots }, (_, k) => f(k));
}

export function point(over: Partial<PointInfo> = {}): PointInfo {
  return { id: 7, code: 'PT-7', kind: 'consumidor_livre', segment: 'livre', loadCapacityKw: null, tags: [], ...over };
}

export function input(
  channels: MeterDay[],
  meters: MeterContext[] = [],
  over: Partial<Omit<ValidationInput, 'channels' | 'meters'>> = {},
): ValidationInput {
  return { point: point(), day: DAY, channels, meters, ...over };
}

/** Parameters with only `rules` enabled (defaults otherwise), then the patch. */
export function only(rules: RuleId[], patch: VeeParamsPatch = {}): VeeParams {
  const off: Record<string, { enabled: boolean }> = {};
  for (const id of RULE_IDS) off[id] = { enabled: rules.includes(id) };
  const base = mergeParams(DEFAULT_PARAMS, { rules: off as VeeParamsPatch['rules'] });
  return mergeParams(base, patch);
}

export function ruleSetting<R extends keyof RuleParams>(p: VeeParams, rule: R): RuleParams[R] {
  return p.rules[rule];
}

/** Instant of minute m of the test day. */
export function at(minute: number): number {
  return START + minute * MIN;
}

/** Slots k with a non-zero entry. */
export function setSlots(a: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let k = 0; k < a.length; k++) if (a[k] !== 0) out.push(k);
  return out;
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
