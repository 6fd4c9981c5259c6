/**
 * 0x14 "Leitura das grandezas instantâneas" (spec §7.8, item 3.1.2.1.9). Little-endian float32 throughout.
 * Offsets 11–146 and 179–186 are [C] (three independent sources); the rest is [S]. No source states the power
 * units: the names follow how readers display them (kW, kvar, kVA) and are [U] until a meter's display is compared.
 */
import type { FieldReader, FieldWriter, WallTime } from '../fields.ts';
import { type CommandSpec, type NoRequest, noRequest } from './types.ts';
import { paramError, requireBytes, requireWallTime } from './writes.ts';

export interface PhaseValues {
  a: number;
  b: number;
  c: number;
}

export interface PhaseTotalValues extends PhaseValues {
  total: number;
}

export interface LineValues {
  ab: number;
  bc: number;
  ca: number;
}

export interface InstantValues {
  /** Offsets 5–10, meter clock; null when all zeros or invalid (a warning says which). */
  time: WallTime | null;
  voltagePhaseV: PhaseValues;
  voltageLineV: LineValues;
  currentA: PhaseValues & { neutral: number };
  activePowerKw: PhaseTotalValues;
  reactivePowerKvar: PhaseTotalValues;
  /** Apparent power computed as √(P²+Q²). */
  apparentPowerQuadraticKva: PhaseTotalValues;
  /** Apparent power computed as the vector sum. */
  apparentPowerVectorKva: PhaseTotalValues;
  distortionPowerKva: PhaseTotalValues;
  cosPhi: PhaseTotalValues;
  /** Offset 147 [S]; its meaning is not documented. */
  reactiveCharacteristic: number;
  /** Offsets 151–166 [S]. */
  powerFactor: PhaseTotalValues;
  /** Offsets 167–178 [S]: phase displacement A/B/C. */
  phaseDisplacementDeg: PhaseValues;
  temperatureC: number;
  frequencyHz: number;
  /** Offset 187, raw code [S] (no source gives the table). */
  connectionType: number;
  /** Offsets 188–195 [S]. */
  latitude: number;
  longitude: number;
  /** Offset 196: meter version/model byte, raw. */
  modelByte: number;
  /** Offsets 197–220 [S]: six angles; which voltage/current each is, is not documented. */
  anglesDeg: number[];
  /** Offsets 221–244 [S]: six harmonic distortion figures, order not documented. */
  thdPercent: number[];
  /** Offsets 245–255, reserved, kept raw. */
  reserved: Uint8Array;
}

const RESERVED_OFFSET = 245;
const RESERVED_LENGTH = 11;

function read3(r: FieldReader, off: number): PhaseValues {
  return { a: r.float32(off), b: r.float32(off + 4), c: r.float32(off + 8) };
}

function read4(r: FieldReader, off: number): PhaseTotalValues {
  return { ...read3(r, off), total: r.float32(off + 12) };
}

function readN(r: FieldReader, off: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => r.float32(off + 4 * i));
}

function writeFloats(w: FieldWriter, off: number, values: unknown, n: number, field: string): void {
  if (!Array.isArray(values) || values.length !== n) throw paramError(w.context, field, `expected ${n} numbers`);
  values.forEach((v, i) => {
    if (typeof v !== 'number') throw paramError(w.context, `${field}[${i}]`, `${String(v)} is not a number`);
    w.float32(off + 4 * i, v);
  });
}

export function decodeInstantValues(r: FieldReader): InstantValues {
  return {
    time: r.dateTimeOrNull(5, 'timestamp'),
    voltagePhaseV: read3(r, 11),
    voltageLineV: { ab: r.float32(23), bc: r.float32(27), ca: r.float32(31) },
    currentA: { ...read3(r, 35), neutral: r.float32(47) },
    activePowerKw: read4(r, 51),
    reactivePowerKvar: read4(r, 67),
    apparentPowerQuadraticKva: read4(r, 83),
    apparentPowerVectorKva: read4(r, 99),
    distortionPowerKva: read4(r, 115),
    cosPhi: read4(r, 131),
    reactiveCharacteristic: r.float32(147),
    powerFactor: read4(r, 151),
    phaseDisplacementDeg: read3(r, 167),
    temperatureC: r.float32(179),
    frequencyHz: r.float32(183),
    connectionType: r.u8(187),
    latitude: r.float32(188),
    longitude: r.float32(192),
    modelByte: r.u8(196),
    anglesDeg: readN(r, 197, 6),
    thdPercent: readN(r, 221, 6),
    reserved: r.raw(RESERVED_OFFSET, RESERVED_LENGTH),
  };
}

export function encodeInstantValues(w: FieldWriter, v: InstantValues): void {
  w.dateTime(5, v.time === null ? null : requireWallTime(w.context, 'timestamp', v.time), 'timestamp');
  const p3 = (x: PhaseValues) => [x.a, x.b, x.c];
  const p4 = (x: PhaseTotalValues) => [x.a, x.b, x.c, x.total];
  writeFloats(w, 11, p3(v.voltagePhaseV), 3, 'voltagePhaseV');
  writeFloats(w, 23, [v.voltageLineV.ab, v.voltageLineV.bc, v.voltageLineV.ca], 3, 'voltageLineV');
  writeFloats(w, 35, [...p3(v.currentA), v.currentA.neutral], 4, 'currentA');
  writeFloats(w, 51, p4(v.activePowerKw), 4, 'activePowerKw');
  writeFloats(w, 67, p4(v.reactivePowerKvar), 4, 'reactivePowerKvar');
  writeFloats(w, 83, p4(v.apparentPowerQuadraticKva), 4, 'apparentPowerQuadraticKva');
  writeFloats(w, 99, p4(v.apparentPowerVectorKva), 4, 'apparentPowerVectorKva');
  writeFloats(w, 115, p4(v.distortionPowerKva), 4, 'distortionPowerKva');
  writeFloats(w, 131, p4(v.cosPhi), 4, 'cosPhi');
  writeFloats(w, 147, [v.reactiveCharacteristic], 1, 'reactiveCharacteristic');
  writeFloats(w, 151, p4(v.powerFactor), 4, 'powerFactor');
  writeFloats(w, 167, p3(v.phaseDisplacementDeg), 3, 'phaseDisplacementDeg');
  writeFloats(w, 179, [v.temperatureC, v.frequencyHz], 2, 'temperatureC/frequencyHz');
  w.u8(187, v.connectionType, 'connectionType');
  writeFloats(w, 188, [v.latitude, v.longitude], 2, 'latitude/longitude');
  w.u8(196, v.modelByte, 'modelByte');
  writeFloats(w, 197, v.anglesDeg, 6, 'anglesDeg');
  writeFloats(w, 221, v.thdPercent, 6, 'thdPercent');
  w.raw(RESERVED_OFFSET, requireBytes(w.context, 'reserved', v.reserved, RESERVED_LENGTH));
}

export const cmd14: CommandSpec<NoRequest, InstantValues> = {
  code: 0x14,
  name: 'Leitura das grandezas instantâneas',
  kind: 'read',
  composite: false,
  ...noRequest,
  encodeResponse: encodeInstantValues,
  decodeResponse: decodeInstantValues,
};
