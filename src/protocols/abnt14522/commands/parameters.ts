/**
 * 0x20 / 0x21 / 0x22 / 0x51 "Leitura de parâmetros" (spec §7.1, NBR 14522:2008 item 3.1.2.1.1). One layout for
 * all four: 0x20 performs a demand reset first, 0x22 shows the state at the last reset, 0x51 announces the
 * mass-memory window that 0x52 will return.
 */
import type { DayMonth, FieldReader, FieldWriter, TimeOfDay, WallTime } from '../fields.ts';
import { type Quantity, quantity } from '../quantities.ts';
import { type Coded, type CommandSpec, coded } from './types.ts';

export interface ParametersRequest {
  /** Channel group g selects channels 3g+1..3g+3 (BCD at offset 5). */
  group: number;
  /** Offset 4: meaning unknown (spec §9.1, [U]); 0 unless a meter needs otherwise. */
  offset4?: number;
}

/** 0x51 request: the group plus the mass-memory window. Layout is a hypothesis (spec §9.1 [I]): off 6 amount, off 7 unit. */
export interface MassMemoryWindowRequest extends ParametersRequest {
  amount: number;
  unit: 'hours' | 'days';
}

export interface Segments {
  ponta: (TimeOfDay | null)[];
  foraPonta: (TimeOfDay | null)[];
  reservado: (TimeOfDay | null)[];
}

export interface ChannelConstant {
  numerator: number;
  denominator: number;
}

export interface ParametersChannel {
  /** 1-based channel number within the meter (3g+1..3g+3). */
  index: number;
  quantity: Quantity;
  constant: ChannelConstant;
}

export interface Parameters {
  meterTime: WallTime;
  weekday: number;
  /** Offsets 12–17: "end of the last demand interval" (or of the MM interval; spec §15 item 8). */
  lastIntervalEnd: WallTime | null;
  lastReset: WallTime | null;
  penultimateReset: WallTime | null;
  segments: Segments;
  massMemoryWords: { current: number; previous: number };
  resetCount: number;
  demandIntervalMinutes: { current: number; previous: number };
  holidays: (WallTime | null)[];
  constants: ChannelConstant[];
  battery: Coded<'ok' | 'problem'>;
  softwareVersion: string;
  reservedSegmentActive: boolean;
  demandMethod: Coded<'tradicional' | 'pesquisada'>;
  model: string;
  channel2ExtraCodes: number;
  autoReset: { enabled: boolean; day: number | null; hour: number | null };
  daylightSaving: { enabled: boolean; endOfWinter: DayMonth | null; endOfSummer: DayMonth | null };
  secondSegmentSet: { flag: number; startDates: (DayMonth | null)[]; segments: Segments };
  /** Quantity codes of the three visible channels (offsets 195–197). */
  quantityCodes: number[];
  pfComposition: number;
  clockBase: Coded<'indefinida' | 'cristal' | 'rede'>;
  /** MM integration interval (offsets 203–205), in seconds (hundredths kept). */
  massMemoryIntervalSeconds: number;
  pulseReversal: Coded<'indefinido' | 'simples' | 'duplo'>;
  weekendBehaviour: number[];
  tariffType: Coded<'azul' | 'verde' | 'irrigante' | 'amarela' | 'nenhuma'>;
  reactive: {
    consumptionIntervalMinutes: number | null;
    demandIntervalMinutes: number | null;
    referencePfInductive: number | null;
    referencePfCapacitive: number | null;
    /** Start of the inductive and capacitive periods, sets 1 and 2. */
    inductiveStart: (TimeOfDay | null)[];
    capacitiveStart: (TimeOfDay | null)[];
    inductiveStartSet2: (TimeOfDay | null)[];
    capacitiveStartSet2: (TimeOfDay | null)[];
  };
  segmentCount: number | null;
  measurementParametersAvailable: boolean;
  ssuMode: Coded<'normal' | 'estendida' | 'mostrador remoto' | 'quatro quadrantes'>;
  upgrade: number;
  clockSyncIntervalHours: number | null;
  gmtOffset: number;
  passwordEnabled: boolean;
  fiscalPageAvailable: boolean;
  channelGroups: number | null;
  /** Bytes whose meaning no source gives, kept for the record: offset → byte. */
  unknown: Record<number, number>;
}

/** Reserved, obsolete and uninterpreted offsets (spec §7.1). */
const UNKNOWN_OFFSETS = [
  ...Array.from({ length: 20 }, (_, i) => 30 + i),
  151,
  200,
  201,
  202,
  207,
  208,
  235,
  236,
  238,
  247,
  249,
  250,
  251,
  252,
  253,
  254,
  255,
];

function readSegments(r: FieldReader, base: number, field: string): Segments {
  const four = (off: number, name: string) =>
    [0, 1, 2, 3].map((i) => r.timeOfDay(off + 2 * i, `${field} ${name} ${i + 1}`));
  return {
    ponta: four(base, 'ponta'),
    foraPonta: four(base + 8, 'fora ponta'),
    reservado: four(base + 16, 'reservado'),
  };
}

function writeSegments(w: FieldWriter, base: number, s: Segments, field: string): void {
  const four = (off: number, list: (TimeOfDay | null)[], name: string) => {
    for (let i = 0; i < 4; i++) w.timeOfDay(off + 2 * i, list[i] ?? null, `${field} ${name} ${i + 1}`);
  };
  four(base, s.ponta, 'ponta');
  four(base + 8, s.foraPonta, 'fora ponta');
  four(base + 16, s.reservado, 'reservado');
}

function flag(v: number): boolean {
  return v === 1;
}

export function decodeParameters(r: FieldReader): Parameters {
  const b = r.bytes;
  const meterTime = r.dateTime(5, 'current date/time');
  if (meterTime === null) {
    // A meter always has a clock; all zeros means the block is not a parameters block worth trusting.
    r.dateTime(5, 'current date/time (all zeros)');
  }
  const unknown: Record<number, number> = {};
  for (const off of UNKNOWN_OFFSETS) if (b[off] !== 0) unknown[off] = b[off];
  const mmMin = r.bcdOrNull(203, 1, 'MM interval minutes') ?? 0;
  const mmSec = r.bcdOrNull(204, 1, 'MM interval seconds') ?? 0;
  const mmHund = r.bcdOrNull(205, 1, 'MM interval hundredths') ?? 0;
  return {
    meterTime: meterTime ?? 0,
    weekday: r.u8(11),
    lastIntervalEnd: r.dateTimeOrNull(12, 'end of last interval'),
    lastReset: r.dateTimeOrNull(18, 'last reset'),
    penultimateReset: r.dateTimeOrNull(24, 'penultimate reset'),
    segments: readSegments(r, 50, 'segment'),
    massMemoryWords: { current: r.bcd(74, 3, 'MM words, current'), previous: r.bcd(77, 3, 'MM words, previous') },
    resetCount: r.bcdOrNull(80, 1, 'reset count') ?? b[80],
    demandIntervalMinutes: {
      current: r.bcdOrNull(81, 1, 'demand interval, current') ?? 0,
      previous: r.bcdOrNull(82, 1, 'demand interval, previous') ?? 0,
    },
    holidays: Array.from({ length: 15 }, (_, i) => r.date(83 + 3 * i, `holiday ${i + 1}`)),
    constants: [0, 1, 2].map((i) => ({
      numerator: r.bcdOrNull(128 + 6 * i, 3, `constant ch${i + 1} numerator`) ?? 0,
      denominator: r.bcdOrNull(131 + 6 * i, 3, `constant ch${i + 1} denominator`) ?? 0,
    })),
    battery: coded(b[146], { 0: 'ok', 1: 'problem' }),
    softwareVersion: r.digits(147, 2, 'software version'),
    reservedSegmentActive: flag(b[149]),
    demandMethod: coded(b[150], { 0: 'tradicional', 1: 'pesquisada' }),
    model: r.digits(152, 2, 'model'),
    channel2ExtraCodes: b[154],
    autoReset: {
      enabled: flag(b[155]),
      day: r.bcdOrNull(156, 1, 'auto reset day'),
      hour: r.bcdOrNull(248, 1, 'auto reset hour'),
    },
    daylightSaving: {
      enabled: flag(b[157]),
      endOfWinter: r.dayMonth(158, 'end of winter time'),
      endOfSummer: r.dayMonth(160, 'end of summer time'),
    },
    secondSegmentSet: {
      flag: b[162],
      startDates: [0, 1, 2, 3].map((i) => r.dayMonth(163 + 2 * i, `segment set start ${i + 1}`)),
      segments: readSegments(r, 171, 'set-2 segment'),
    },
    quantityCodes: [195, 196, 197].map((off) => r.bcdOrNull(off, 1, 'quantity code') ?? b[off]),
    pfComposition: r.bcdOrNull(198, 1, 'PF composition') ?? b[198],
    clockBase: coded(b[199], { 0: 'indefinida', 1: 'cristal', 2: 'rede' }),
    massMemoryIntervalSeconds: mmMin * 60 + mmSec + mmHund / 100,
    pulseReversal: coded(b[206], { 0: 'indefinido', 1: 'simples', 2: 'duplo' }),
    weekendBehaviour: [b[209], b[210], b[211]],
    tariffType: coded(b[212], { 0: 'azul', 1: 'verde', 2: 'irrigante', 3: 'amarela', 4: 'nenhuma' }),
    reactive: {
      consumptionIntervalMinutes: r.bcdOrNull(213, 2, 'reactive consumption interval'),
      demandIntervalMinutes: r.bcdOrNull(215, 2, 'reactive demand interval'),
      referencePfInductive: pf(r.bcdOrNull(217, 1, 'reference PF inductive')),
      referencePfCapacitive: pf(r.bcdOrNull(218, 1, 'reference PF capacitive')),
      inductiveStart: [219, 221].map((o, i) => r.timeOfDay(o, `inductive start ${i + 1}`)),
      capacitiveStart: [223, 225].map((o, i) => r.timeOfDay(o, `capacitive start ${i + 1}`)),
      inductiveStartSet2: [227, 229].map((o, i) => r.timeOfDay(o, `set-2 inductive start ${i + 1}`)),
      capacitiveStartSet2: [231, 233].map((o, i) => r.timeOfDay(o, `set-2 capacitive start ${i + 1}`)),
    },
    segmentCount: r.bcdOrNull(237, 1, 'number of segments'),
    measurementParametersAvailable: flag(b[239]),
    ssuMode: coded(b[240], { 0: 'normal', 1: 'estendida', 2: 'mostrador remoto', 4: 'quatro quadrantes' }),
    upgrade: b[241],
    clockSyncIntervalHours: r.bcdOrNull(242, 1, 'clock sync interval'),
    gmtOffset: b[243],
    passwordEnabled: flag(b[244]),
    fiscalPageAvailable: flag(b[245]),
    channelGroups: r.bcdOrNull(246, 1, 'number of channel groups'),
    unknown,
  };
}

function pf(v: number | null): number | null {
  return v === null ? null : v / 100;
}

export function encodeParameters(w: FieldWriter, p: Parameters): void {
  for (const [off, v] of Object.entries(p.unknown)) w.u8(Number(off), v, `unknown byte ${off}`);
  w.dateTime(5, p.meterTime, 'current date/time');
  w.u8(11, p.weekday, 'weekday');
  w.dateTime(12, p.lastIntervalEnd, 'end of last interval');
  w.dateTime(18, p.lastReset, 'last reset');
  w.dateTime(24, p.penultimateReset, 'penultimate reset');
  writeSegments(w, 50, p.segments, 'segment');
  w.bcd(74, 3, p.massMemoryWords.current, 'MM words, current');
  w.bcd(77, 3, p.massMemoryWords.previous, 'MM words, previous');
  w.bcd(80, 1, p.resetCount % 100, 'reset count');
  w.bcd(81, 1, p.demandIntervalMinutes.current, 'demand interval, current');
  w.bcd(82, 1, p.demandIntervalMinutes.previous, 'demand interval, previous');
  for (let i = 0; i < 15; i++) w.date(83 + 3 * i, p.holidays[i] ?? null, `holiday ${i + 1}`);
  p.constants.forEach((c, i) => {
    w.bcd(128 + 6 * i, 3, c.numerator, `constant ch${i + 1} numerator`);
    w.bcd(131 + 6 * i, 3, c.denominator, `constant ch${i + 1} denominator`);
  });
  w.u8(146, p.battery.code, 'battery');
  w.digits(147, 2, p.softwareVersion, 'software version');
  w.u8(149, p.reservedSegmentActive ? 1 : 0);
  w.u8(150, p.demandMethod.code, 'demand method');
  w.digits(152, 2, p.model, 'model');
  w.u8(154, p.channel2ExtraCodes);
  w.u8(155, p.autoReset.enabled ? 1 : 0);
  w.bcd(156, 1, p.autoReset.day ?? 0, 'auto reset day');
  w.bcd(248, 1, p.autoReset.hour ?? 0, 'auto reset hour');
  w.u8(157, p.daylightSaving.enabled ? 1 : 0);
  w.dayMonth(158, p.daylightSaving.endOfWinter, 'end of winter time');
  w.dayMonth(160, p.daylightSaving.endOfSummer, 'end of summer time');
  w.u8(162, p.secondSegmentSet.flag);
  p.secondSegmentSet.startDates.forEach((d, i) => {
    w.dayMonth(163 + 2 * i, d, `segment set start ${i + 1}`);
  });
  writeSegments(w, 171, p.secondSegmentSet.segments, 'set-2 segment');
  p.quantityCodes.forEach((c, i) => {
    w.bcd(195 + i, 1, c, 'quantity code');
  });
  w.bcd(198, 1, p.pfComposition, 'PF composition');
  w.u8(199, p.clockBase.code, 'clock base');
  const mm = Math.round(p.massMemoryIntervalSeconds * 100);
  w.bcd(203, 1, Math.floor(mm / 6000), 'MM interval minutes');
  w.bcd(204, 1, Math.floor((mm % 6000) / 100), 'MM interval seconds');
  w.bcd(205, 1, mm % 100, 'MM interval hundredths');
  w.u8(206, p.pulseReversal.code, 'pulse reversal');
  p.weekendBehaviour.forEach((v, i) => {
    w.u8(209 + i, v);
  });
  w.u8(212, p.tariffType.code, 'tariff type');
  const rx = p.reactive;
  if (rx.consumptionIntervalMinutes !== null) w.bcd(213, 2, rx.consumptionIntervalMinutes, 'reactive interval');
  if (rx.demandIntervalMinutes !== null) w.bcd(215, 2, rx.demandIntervalMinutes, 'reactive demand interval');
  if (rx.referencePfInductive !== null) w.bcd(217, 1, Math.round(rx.referencePfInductive * 100), 'reference PF');
  if (rx.referencePfCapacitive !== null) w.bcd(218, 1, Math.round(rx.referencePfCapacitive * 100), 'reference PF');
  const times = (offs: number[], list: (TimeOfDay | null)[], name: string) =>
    offs.forEach((o, i) => {
      w.timeOfDay(o, list[i] ?? null, name);
    });
  times([219, 221], rx.inductiveStart, 'inductive start');
  times([223, 225], rx.capacitiveStart, 'capacitive start');
  times([227, 229], rx.inductiveStartSet2, 'set-2 inductive start');
  times([231, 233], rx.capacitiveStartSet2, 'set-2 capacitive start');
  if (p.segmentCount !== null) w.bcd(237, 1, p.segmentCount, 'number of segments');
  w.u8(239, p.measurementParametersAvailable ? 1 : 0);
  w.u8(240, p.ssuMode.code, 'SSU mode');
  w.u8(241, p.upgrade);
  if (p.clockSyncIntervalHours !== null) w.bcd(242, 1, p.clockSyncIntervalHours, 'clock sync interval');
  w.u8(243, p.gmtOffset);
  w.u8(244, p.passwordEnabled ? 1 : 0);
  w.u8(245, p.fiscalPageAvailable ? 1 : 0);
  if (p.channelGroups !== null) w.bcd(246, 1, p.channelGroups, 'number of channel groups');
}

/** Channels the block describes, for group g: numbering, meaning and constant. */
export function visibleChannels(p: Parameters, group: number): ParametersChannel[] {
  return p.quantityCodes.map((code, i) => ({
    index: 3 * group + i + 1,
    quantity: quantity(code),
    constant: p.constants[i],
  }));
}

const groupRequest = {
  encodeRequest(w: FieldWriter, req: ParametersRequest): void {
    w.u8(4, req.offset4 ?? 0, 'offset 4');
    w.bcd(5, 1, req.group, 'channel group');
  },
  decodeRequest(r: FieldReader): ParametersRequest {
    return { group: r.bcd(5, 1, 'channel group'), offset4: r.u8(4) };
  },
};

const parametersResponse = { encodeResponse: encodeParameters, decodeResponse: decodeParameters };

export const cmd20: CommandSpec<ParametersRequest, Parameters> = {
  code: 0x20,
  name: 'Leitura de parâmetros com reposição de demanda',
  kind: 'read-reset',
  composite: false,
  ...groupRequest,
  ...parametersResponse,
};

export const cmd21: CommandSpec<ParametersRequest, Parameters> = {
  code: 0x21,
  name: 'Leitura de parâmetros atuais',
  kind: 'read',
  composite: false,
  ...groupRequest,
  ...parametersResponse,
};

export const cmd22: CommandSpec<ParametersRequest, Parameters> = {
  code: 0x22,
  name: 'Leitura de parâmetros anteriores',
  kind: 'read',
  composite: false,
  ...groupRequest,
  ...parametersResponse,
};

const UNIT_CODES = { hours: 0, days: 1 } as const;

export const cmd51: CommandSpec<MassMemoryWindowRequest, Parameters> = {
  code: 0x51,
  name: 'Leitura de parâmetros para memória de massa',
  kind: 'read',
  composite: false,
  encodeRequest(w, req) {
    groupRequest.encodeRequest(w, req);
    w.bcd(6, 1, req.amount, 'MM window amount');
    w.u8(7, UNIT_CODES[req.unit], 'MM window unit');
  },
  decodeRequest(r) {
    const unit = r.u8(7);
    return {
      ...groupRequest.decodeRequest(r),
      amount: r.bcd(6, 1, 'MM window amount'),
      unit: unit === 1 ? 'days' : 'hours',
    };
  },
  ...parametersResponse,
};
