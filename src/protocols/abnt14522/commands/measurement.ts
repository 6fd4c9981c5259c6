/**
 * 0x80 "Leitura de parâmetros de medição" (spec §7.7, item 3.1.2.1.8). Single source [S] ([FITEC]), which gives
 * field positions and sizes but not their inner layout. Where the inner layout is a guess it says so; the bytes
 * whose meaning no source gives stay raw so nothing is lost.
 */
import type { FieldReader, FieldWriter, TimeOfDay } from '../fields.ts';
import { type CommandSpec, type NoRequest, noRequest } from './types.ts';
import { paramError, requireBytes, requireTimeOfDay } from './writes.ts';

/** A num/den constant whose BCD may be damaged: null parts come with a warning. */
export interface MaybeConstant {
  numerator: number | null;
  denominator: number | null;
}

export interface MeasurementParameters {
  /** Offsets 5–11, raw. */
  presentationMode: Uint8Array;
  /** Offset 12. */
  universalSegmentCondition: number;
  /** Offsets 13–140: 64 start times (hh mm); how they group into sets/posts is not documented. */
  universalSegmentStarts: (TimeOfDay | null)[];
  /** Offsets 141–164: 24 bytes read as 4 × (num 3 B, den 3 B) BCD [I] (the 0x20 layout of constants). */
  constants: MaybeConstant[];
  /** Offsets 165 / 166. */
  activeOperatingMode: number;
  reactiveOperatingMode: number;
  /** Offsets 167–172. */
  reactiveConstant: MaybeConstant;
  /** Offset 173, raw. */
  displayTime: number;
  /** Offset 174, not described by any source. */
  unknown174: number;
  /** Offsets 175–182: 4th ("intermediário") segment start times. */
  intermediarioStarts: (TimeOfDay | null)[];
  /** Offsets 183–190, raw. */
  universalSegmentsPerWeekday: Uint8Array;
  /** Offset 191. */
  universalSegmentsInDst: number;
  /** Offset 192. */
  billingQuantity: number;
  /** Offset 193. */
  instantValuesAvailable: boolean;
  /** Offset 194, raw code. */
  connectionType: number;
  /** Offset 195. */
  userOutputRedefinition: number;
  /** Offsets 196–201. */
  kp: MaybeConstant;
  /** Offsets 202–215, ASCII with NULs and spaces trimmed. */
  consumerCode: string;
  /** Offsets 216–255, raw. */
  reserved: Uint8Array;
}

const CONSUMER_CODE_OFFSET = 202;
const CONSUMER_CODE_LENGTH = 14;

function readConstant(r: FieldReader, off: number, field: string): MaybeConstant {
  return {
    numerator: r.bcdOrNull(off, 3, `${field} numerator`),
    denominator: r.bcdOrNull(off + 3, 3, `${field} denominator`),
  };
}

function writeConstant(w: FieldWriter, off: number, c: MaybeConstant, field: string): void {
  w.bcd(off, 3, c.numerator ?? 0, `${field} numerator`);
  w.bcd(off + 3, 3, c.denominator ?? 0, `${field} denominator`);
}

function readTimes(r: FieldReader, off: number, n: number, field: string): (TimeOfDay | null)[] {
  return Array.from({ length: n }, (_, i) => r.timeOfDay(off + 2 * i, `${field} ${i + 1}`));
}

function writeTimes(w: FieldWriter, off: number, list: (TimeOfDay | null)[], n: number, field: string): void {
  if (!Array.isArray(list) || list.length !== n) throw paramError(w.context, field, `need ${n} times`);
  list.forEach((t, i) => {
    w.timeOfDay(off + 2 * i, requireTimeOfDay(w.context, `${field} ${i + 1}`, t), `${field} ${i + 1}`);
  });
}

function readAscii(r: FieldReader, off: number, len: number, field: string): string {
  let s = '';
  let bad = false;
  for (let i = off; i < off + len; i++) {
    const c = r.bytes[i];
    if (c === 0 || (c >= 0x20 && c < 0x7f)) s += String.fromCharCode(c);
    else {
      s += '?';
      bad = true;
    }
  }
  if (bad) r.warnings.push(`${r.context}: field '${field}' at offset ${off}: non-ASCII bytes shown as '?'`);
  // NULs pad the field like spaces do; one inside the text would only end a C string, so it reads as a space.
  return s.replace(/^[\0 ]+|[\0 ]+$/g, '').replace(/\0/g, ' ');
}

export function decodeMeasurementParameters(r: FieldReader): MeasurementParameters {
  const b = r.bytes;
  return {
    presentationMode: r.raw(5, 7),
    universalSegmentCondition: b[12],
    universalSegmentStarts: readTimes(r, 13, 64, 'universal segment start'),
    constants: [0, 1, 2, 3].map((i) => readConstant(r, 141 + 6 * i, `constant ${i + 1}`)),
    activeOperatingMode: b[165],
    reactiveOperatingMode: b[166],
    reactiveConstant: readConstant(r, 167, 'reactive constant'),
    displayTime: b[173],
    unknown174: b[174],
    intermediarioStarts: readTimes(r, 175, 4, 'intermediario start'),
    universalSegmentsPerWeekday: r.raw(183, 8),
    universalSegmentsInDst: b[191],
    billingQuantity: b[192],
    instantValuesAvailable: b[193] === 1,
    connectionType: b[194],
    userOutputRedefinition: b[195],
    kp: readConstant(r, 196, 'Kp'),
    consumerCode: readAscii(r, CONSUMER_CODE_OFFSET, CONSUMER_CODE_LENGTH, 'consumer code'),
    reserved: r.raw(216, 40),
  };
}

export function encodeMeasurementParameters(w: FieldWriter, v: MeasurementParameters): void {
  w.raw(5, requireBytes(w.context, 'presentation mode', v.presentationMode, 7));
  w.u8(12, v.universalSegmentCondition, 'universal segment condition');
  writeTimes(w, 13, v.universalSegmentStarts, 64, 'universal segment start');
  if (!Array.isArray(v.constants) || v.constants.length !== 4) throw paramError(w.context, 'constants', 'need 4');
  v.constants.forEach((c, i) => {
    writeConstant(w, 141 + 6 * i, c, `constant ${i + 1}`);
  });
  w.u8(165, v.activeOperatingMode, 'active operating mode');
  w.u8(166, v.reactiveOperatingMode, 'reactive operating mode');
  writeConstant(w, 167, v.reactiveConstant, 'reactive constant');
  w.u8(173, v.displayTime, 'display time');
  w.u8(174, v.unknown174, 'offset 174');
  writeTimes(w, 175, v.intermediarioStarts, 4, 'intermediario start');
  w.raw(183, requireBytes(w.context, 'universal segments per weekday', v.universalSegmentsPerWeekday, 8));
  w.u8(191, v.universalSegmentsInDst, 'universal segments in DST');
  w.u8(192, v.billingQuantity, 'billing quantity');
  w.u8(193, v.instantValuesAvailable ? 1 : 0);
  w.u8(194, v.connectionType, 'connection type');
  w.u8(195, v.userOutputRedefinition, 'user output redefinition');
  writeConstant(w, 196, v.kp, 'Kp');
  const code = String(v.consumerCode);
  if (code.length > CONSUMER_CODE_LENGTH || !/^[\x20-\x7e]*$/.test(code)) {
    throw paramError(w.context, 'consumer code', `'${code}' is not at most ${CONSUMER_CODE_LENGTH} printable ASCII`);
  }
  // Padded with spaces, the way a display field is; decoding trims either padding.
  for (let i = 0; i < CONSUMER_CODE_LENGTH; i++) {
    w.u8(CONSUMER_CODE_OFFSET + i, i < code.length ? code.charCodeAt(i) : 0x20, 'consumer code');
  }
  w.raw(216, requireBytes(w.context, 'reserved', v.reserved, 40));
}

export const cmd80: CommandSpec<NoRequest, MeasurementParameters> = {
  code: 0x80,
  name: 'Leitura de parâmetros de medição',
  kind: 'read',
  composite: false,
  ...noRequest,
  encodeResponse: encodeMeasurementParameters,
  decodeResponse: decodeMeasurementParameters,
};
