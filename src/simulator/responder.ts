/**
 * The meter's application layer: turns each command a connection receives into response blocks from a
 * SimulatedMeter, the way the spec's meter side answers (§6–§10): parameters select the visible channel group,
 * composite mass-memory transfers, writes that change state and the alteration log, 0x39 for what it does not
 * implement, 0x40/0x46 for invalid parameters.
 *
 * One responder per connection: the visible group and the mass-memory range announced by the last parameters
 * command are connection state, so the words a 0x26/0x27/0x52 transfers are exactly the ones the preceding
 * 0x21/0x22/0x20/0x51 counted even if an interval closes in between.
 */
import { isFronteiraError } from '../domain/errors.ts';
import {
  type AnyCommandSpec,
  approximatePartialRaw,
  buildResponse,
  COMMANDS,
  type ChannelRegisters as CodecChannelRegisters,
  type InstantValues as CodecInstant,
  cmd14,
  cmd23,
  cmd24,
  cmd25,
  cmd28,
  cmd39,
  cmd40,
  cmd80,
  type MeasurementParameters,
  occurrence,
  type PartialRegisters,
  parseRequest,
  type RegisterPost,
  type Registers,
} from '../protocols/abnt14522/commands/index.ts';
import type { WallTime } from '../protocols/abnt14522/fields.ts';
import { type CommandFrame, encodeResponse } from '../protocols/abnt14522/frame.ts';
import { DEFAULT_PACKING, encodeMassMemoryBlocks, type MassMemoryPacking } from '../protocols/abnt14522/mass-memory.ts';
import {
  type LabelRange,
  type MeterRegisters,
  OCCURRENCE_INVALID_PARAMETER,
  type ParametersKind,
  type SimulatedMeter,
  type WriteResult,
} from './meter-model.ts';

export interface ResponderOptions {
  /** TRUE wall time now (Brasília), in ms. */
  now: () => WallTime;
  packing?: MassMemoryPacking;
}

/** Plain reads the meter writes to its alteration log (spec §7.6: readings are logged too). */
const LOGGED_READS = new Set([0x21, 0x22, 0x23, 0x24, 0x51]);

/** Commands this simulated meter does not implement (a password-less meter; vendor extensions). */
const NOT_IMPLEMENTED = new Set([0x11, 0x13]);

const ZERO_POST: RegisterPost = { energyRaw: 0, uferRaw: 0, maxDemandRaw: 0, dmcrRaw: 0 };

function clampBcd(v: number, digits: number): number {
  const max = 10 ** digits - 1;
  return Math.max(0, Math.min(max, Math.round(v)));
}

/**
 * Registers in the simulator's raw units ([U] for real meters, spec §7.2): energy registers count pulses, demand
 * registers hold the pulses of the demand interval of the maximum. Consistent with the mass memory by construction.
 */
function toCodecRegisters(m: MeterRegisters, demandMinutes: number): Registers {
  const channels: CodecChannelRegisters[] = m.channels.map((c, i) => {
    const pulsesPerKw = (k: number) => {
      // Demand (kW) × Δdemand (h) = energy of the interval; / constant = pulses.
      const kwhPerPulse = c.constant.denominator ? c.constant.numerator / c.constant.denominator : 1;
      return (k * demandMinutes) / 60 / kwhPerPulse;
    };
    const post = (p: 'ponta' | 'foraPonta' | 'reservado'): RegisterPost => ({
      energyRaw: clampBcd(c.pulses[p], 10),
      uferRaw: 0,
      maxDemandRaw: clampBcd(pulsesPerKw(c.maxDemand[p]), 6),
      dmcrRaw: 0,
    });
    return {
      channel: i + 1,
      totalRaw: clampBcd(c.pulses.total, 10),
      ponta: post('ponta'),
      foraPonta: post('foraPonta'),
      reservado: post('reservado'),
      intermediario: i === 0 ? { ...ZERO_POST } : null,
      lastIntervalDemandRaw: clampBcd(pulsesPerKw(c.lastDemand), 6),
      accumulatedDemands: new Uint8Array(18),
    };
  });
  return { channels, intermediarioAccumulated: new Uint8Array(6), reserved: new Uint8Array(7) };
}

function toCodecInstant(meter: SimulatedMeter, now: WallTime): CodecInstant {
  const v = meter.instantValues(now);
  const four = (x: [number, number, number, number]) => ({ a: x[0], b: x[1], c: x[2], total: x[3] });
  return {
    time: v.meterTime - (v.meterTime % 1000),
    voltagePhaseV: { a: v.phaseVoltage[0], b: v.phaseVoltage[1], c: v.phaseVoltage[2] },
    voltageLineV: { ab: v.lineVoltage[0], bc: v.lineVoltage[1], ca: v.lineVoltage[2] },
    currentA: { a: v.current[0], b: v.current[1], c: v.current[2], neutral: v.current[3] },
    activePowerKw: four(v.activePower),
    reactivePowerKvar: four(v.reactivePower),
    apparentPowerQuadraticKva: four(v.apparentPower),
    apparentPowerVectorKva: four(v.apparentPower),
    distortionPowerKva: { a: 0, b: 0, c: 0, total: 0 },
    cosPhi: four(v.powerFactor),
    reactiveCharacteristic: v.reactivePower[3] >= 0 ? 1 : 2,
    powerFactor: four(v.powerFactor),
    phaseDisplacementDeg: {
      a: (Math.acos(Math.min(1, v.powerFactor[0])) * 180) / Math.PI,
      b: (Math.acos(Math.min(1, v.powerFactor[1])) * 180) / Math.PI,
      c: (Math.acos(Math.min(1, v.powerFactor[2])) * 180) / Math.PI,
    },
    temperatureC: v.temperatureC,
    frequencyHz: v.frequencyHz,
    connectionType: 4,
    latitude: 0,
    longitude: 0,
    modelByte: 0,
    anglesDeg: [0, 120, 240, 0, 120, 240],
    thdPercent: [1.5, 1.6, 1.4, 3.2, 3.4, 3.1],
    reserved: new Uint8Array(11),
  };
}

function measurementParameters(meter: SimulatedMeter, group: number, pointCode: string): MeasurementParameters {
  const consts = meter.constants(group);
  return {
    presentationMode: new Uint8Array(7),
    universalSegmentCondition: 0,
    universalSegmentStarts: Array(64).fill(null),
    constants: [...consts, consts[0]].slice(0, 4).map((c) => ({ numerator: c.numerator, denominator: c.denominator })),
    activeOperatingMode: 1,
    reactiveOperatingMode: 1,
    reactiveConstant: { numerator: consts[1].numerator, denominator: consts[1].denominator },
    displayTime: 10,
    unknown174: 0,
    intermediarioStarts: [null, null, null, null],
    universalSegmentsPerWeekday: new Uint8Array(8),
    universalSegmentsInDst: 0,
    billingQuantity: 0,
    instantValuesAvailable: true,
    connectionType: 4,
    userOutputRedefinition: 0,
    kp: { numerator: 1, denominator: 1 },
    consumerCode: pointCode.slice(0, 14),
    reserved: new Uint8Array(40),
  };
}

export function createResponder(meter: SimulatedMeter, opts: ResponderOptions): (frame: CommandFrame) => Uint8Array[] {
  const packing = opts.packing ?? DEFAULT_PACKING;
  const serial = meter.serial;
  let group = 0;
  /** Ranges announced by the last parameters command, for the next mass-memory transfer. */
  let announced: { current?: LabelRange; previous?: LabelRange; window?: LabelRange; group: number } = { group: 0 };

  const occurrenceBlock = (code: number, sub = 0) =>
    buildResponse(cmd40, serial, { occurrence: occurrence(code), subCode: sub });
  const notImplemented = (code: number) => buildResponse(cmd39, serial, { command: code });
  const write = (r: WriteResult, code: number) =>
    r.ok ? [encodeResponse(code, serial)] : [occurrenceBlock(r.occurrence)];

  const massMemory = (code: number, range: LabelRange | undefined, kind: 'current' | 'previous') => {
    const now = opts.now();
    const r = range ?? meter.periodRange(now, kind);
    const words = r.intervals > 0 ? meter.massMemory(announced.group, r.fromEnd, r.toEnd) : new Uint16Array(0);
    return encodeMassMemoryBlocks(code, serial, words, packing);
  };

  return (frame: CommandFrame): Uint8Array[] => {
    const now = opts.now();
    let parsed: ReturnType<typeof parseRequest>;
    try {
      parsed = parseRequest(frame.block);
    } catch (e) {
      // A known command with an invalid payload: the meter refuses it as an invalid parameter (§7.9).
      if (isFronteiraError(e)) return [occurrenceBlock(OCCURRENCE_INVALID_PARAMETER)];
      throw e;
    }
    const { code, readerSerial } = parsed;
    const spec: AnyCommandSpec | null = parsed.spec;
    if (!spec || NOT_IMPLEMENTED.has(code)) return [notImplemented(code)];
    const req = parsed.request as Record<string, unknown>;
    if (LOGGED_READS.has(code)) meter.logAccess(code, readerSerial, now);

    switch (code) {
      case 0x20:
      case 0x21:
      case 0x22:
      case 0x51: {
        const g = req.group as number;
        if (g >= meter.groupCount) return [occurrenceBlock(OCCURRENCE_INVALID_PARAMETER)];
        group = g;
        let kind: ParametersKind;
        if (code === 0x20) kind = 'reset';
        else if (code === 0x22) kind = 'previous';
        else if (code === 0x21) kind = 'current';
        else {
          const amount = req.amount as number;
          kind = req.unit === 'days' ? { windowDays: amount } : { windowHours: amount };
        }
        // Ranges are taken at the same `now` as the parameters, so the count announced and the words transferred
        // stay identical even when an interval closes before the mass-memory command arrives.
        const params = meter.parameters(g, now, kind, readerSerial);
        announced =
          typeof kind === 'object'
            ? { group: g, window: meter.windowRange(now, kind) }
            : { group: g, current: meter.periodRange(now, 'current'), previous: meter.periodRange(now, 'previous') };
        return [buildResponse(COMMANDS.get(code)!, serial, params)];
      }
      case 0x26:
        return massMemory(0x26, announced.current, 'current');
      case 0x27:
        return massMemory(0x27, announced.previous, 'previous');
      case 0x52: {
        const r = announced.window ?? meter.windowRange(now, {});
        const words = r.intervals > 0 ? meter.massMemory(announced.group, r.fromEnd, r.toEnd) : new Uint16Array(0);
        return encodeMassMemoryBlocks(0x52, serial, words, packing);
      }
      case 0x23:
      case 0x24: {
        const regs = meter.registers(now, code === 0x23 ? 'current' : 'previous', group);
        return [
          buildResponse(code === 0x23 ? cmd23 : cmd24, serial, toCodecRegisters(regs, meter.demandIntervalMinutes)),
        ];
      }
      case 0x25: {
        const period = req.period as 'current' | 'previous';
        const list = meter.outages(now, period).slice(-20);
        return [
          buildResponse(cmd25, serial, {
            records: list.map((o, slot) => ({ slot, start: o.start - (o.start % 1000), end: o.end - (o.end % 1000) })),
            tail: new Uint8Array(11),
          }),
        ];
      }
      case 0x28: {
        const entries = meter.alterations().slice(-25);
        return [
          buildResponse(cmd28, serial, {
            entries: entries.map((e, slot) => ({
              slot,
              extended: slot >= 16,
              code: e.code,
              codeName: null,
              readerSerial: e.readerSerial,
              time: e.time - (e.time % 1000),
            })),
          }),
        ];
      }
      case 0x14:
        return [buildResponse(cmd14, serial, toCodecInstant(meter, now))];
      case 0x80:
        return [buildResponse(cmd80, serial, measurementParameters(meter, group, meter.pointCode))];
      case 0x29: {
        const d = new Date(req.date as WallTime);
        return write(
          meter.setDate(
            now,
            { day: d.getUTCDate(), month: d.getUTCMonth() + 1, year: d.getUTCFullYear() },
            readerSerial,
          ),
          code,
        );
      }
      case 0x30:
        return write(
          meter.setTime(
            now,
            { hour: req.hour as number, minute: req.minute as number, second: req.second as number },
            readerSerial,
          ),
          code,
        );
      case 0x31:
        return write(meter.setDemandInterval(now, req.minutes as number, readerSerial), code);
      case 0x32:
        return write(meter.setHolidays(now, req.holidays as (WallTime | null)[], readerSerial), code);
      case 0x33:
        return write(
          meter.setConstants(now, group, req.constants as { numerator: number; denominator: number }[], readerSerial),
          code,
        );
      case 0x35: {
        const sets = req.sets as ({ hour: number; minute: number } | null)[][];
        return write(
          meter.setSegments(
            now,
            { ponta: sets[0], foraPonta: sets[1], reservado: sets[2] },
            req.count as number | null,
            readerSerial,
          ),
          code,
        );
      }
      case 0x37:
        return write(meter.clearOccurrence(now, req.occurrence as number, readerSerial), code);
      case 0x38:
        return write(meter.initialise(now, readerSerial), code);
      case 0x41:
      case 0x42:
      case 0x43:
      case 0x44:
      case 0x45:
      case 0x46: {
        const channel = ((code - 0x41) % 3) + 1;
        const period = code <= 0x43 ? 'previous' : 'current';
        const regs = meter.registers(now, period, group).channels[channel - 1];
        const fields = {
          totalRaw: clampBcd(regs.pulses.total, 10),
          pontaRaw: clampBcd(regs.pulses.ponta, 10),
          foraPontaRaw: clampBcd(regs.pulses.foraPonta, 10),
          reservadoRaw: clampBcd(regs.pulses.reservado, 10),
          intermediarioRaw: 0,
        };
        const value: PartialRegisters = {
          channel,
          period,
          raw: approximatePartialRaw(fields),
          approximate: true,
          fields,
        };
        return [buildResponse(spec, serial, value)];
      }
      default:
        return [notImplemented(code)];
    }
  };
}
