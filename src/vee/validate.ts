/**
 * The validation engine (vee.md §2): runs the rule catalogue V01–V14 over one point-day and returns, per input
 * channel, the rules each slot raised, its highest severity and its reason, plus findings and per-rule outcomes.
 * Pure and deterministic: rules only flag, the input is never modified, and the same input gives the same result.
 *
 * V01 runs first: a channel-day it refuses is marked unusable and no other rule reads it. The other rules are
 * independent and run in catalogue order (so findings and outcomes come out in that order). Which rules mark
 * slots and which only report on the day is decided in each rule's file; the reason precedence is in
 * rules/common.ts.
 */
import type { VeeParams } from './params.ts';
import { checkClock } from './rules/clock.ts';
import { type ChannelState, channelName, defaultZone, RANK_MISSING, type RuleContext } from './rules/common.ts';
import { checkCompleteness } from './rules/completeness.ts';
import { checkDirection } from './rules/direction.ts';
import { checkEvents } from './rules/events.ts';
import { checkHistory } from './rules/history.ts';
import { checkInput } from './rules/input.ts';
import { checkInstant } from './rules/instant.ts';
import { checkPair } from './rules/pair.ts';
import { checkPowerFactor } from './rules/power-factor.ts';
import { checkRegisters } from './rules/registers.ts';
import { checkRegistration } from './rules/registration.ts';
import { checkFlatLines, checkSpikes, checkZeroRuns } from './rules/shape.ts';
import { checkStructure } from './rules/structure.ts';
import { dayStartMs } from './slots.ts';
import { type MeterContext, Reason, type ValidationInput, type ValidationResult } from './types.ts';

const RULES: readonly ((ctx: RuleContext) => void)[] = [
  checkStructure,
  checkCompleteness,
  checkEvents,
  checkClock,
  checkZeroRuns,
  checkFlatLines,
  checkSpikes,
  checkHistory,
  checkDirection,
  checkRegisters,
  checkPair,
  checkInstant,
  checkRegistration,
  checkPowerFactor,
];

function createContext(input: ValidationInput, params: VeeParams): RuleContext {
  const zone = defaultZone(input);
  const dayStart = dayStartMs(input.day, zone);
  const meters = new Map<number, MeterContext>();
  for (const m of input.meters) if (!meters.has(m.meterId)) meters.set(m.meterId, m);
  const channels: ChannelState[] = input.channels.map((md, index) => {
    const n = Number.isInteger(md.slots) && md.slots >= 1 && md.slots <= 32767 ? md.slots : 0;
    return {
      index,
      md,
      cv: {
        meterDay: md,
        meterId: md.meterId,
        role: md.role,
        channel: md.channel,
        quantityCode: md.quantityCode,
        refused: null,
        rules: new Uint32Array(n),
        severity: new Uint8Array(n),
        reason: new Uint8Array(n),
        ruleSeverity: new Uint8Array(15),
      },
      rank: null,
      usable: true,
      name: channelName(md),
      wall: null,
    };
  });
  const { kind, segment } = input.point;
  return {
    input,
    params,
    zone,
    dayStart,
    channels,
    meters,
    generationMain: kind === 'geracao' || segment === 'geracao',
    findings: [],
    outcomes: [],
  };
}

/** A slot without a usable value carries 'missing' unless something outranks it (a confirmed outage). */
function finish(ctx: RuleContext): void {
  for (const ch of ctx.channels) {
    if (!ch.usable) continue;
    const v = ch.md.value;
    const { reason } = ch.cv;
    const rank = ch.rank;
    // x − x is 0 for every finite number: NaN (and ±Infinity, already a V01 error) hold no usable value.
    if (rank === null) {
      for (let k = 0; k < reason.length; k++) if (v[k] - v[k] !== 0) reason[k] = Reason.missing;
    } else {
      for (let k = 0; k < reason.length; k++)
        if (v[k] - v[k] !== 0 && rank[k] < RANK_MISSING) reason[k] = Reason.missing;
    }
  }
}

/** Validates one point-day: see the module comment. ChannelValidation[i] belongs to input.channels[i]. */
export function validate(input: ValidationInput, params: VeeParams): ValidationResult {
  checkInput(input, params);
  const ctx = createContext(input, params);
  for (const rule of RULES) rule(ctx);
  finish(ctx);
  return {
    pointId: input.point.id,
    day: input.day,
    dayStartMs: ctx.dayStart,
    channels: ctx.channels.map((c) => c.cv),
    findings: ctx.findings,
    outcomes: ctx.outcomes,
  };
}
