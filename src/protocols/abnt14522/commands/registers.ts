/**
 * 0x23 / 0x24 "Leitura dos registradores" of the visible channels, current period and as frozen at the last reset
 * (spec §7.2, item 3.1.2.1.2). Single source [S] ([FITEC]) for the whole layout.
 *
 * Values are the raw BCD integers (10 digits for energies, 6 for demands). Decimal places and unit (pulses, Wh or
 * kWh) are [U] (§15 item 3), so every value is named `...Raw` and is in "raw register units"; scaling belongs to a
 * caller that knows the meter model. A field that is not BCD (meters may fill absent channels with 0xFF) decodes
 * to null with a warning rather than failing the block.
 */
import type { FieldReader, FieldWriter } from '../fields.ts';
import { type CommandSpec, type NoRequest, noRequest } from './types.ts';
import { paramError, requireBytes } from './writes.ts';

/** One tariff post of one channel. For channel 1 the second slots are UFER and DMCR; [FITEC] labels the same slots
 * of channels 2 and 3 "rev", whose meaning is [U] — they are exposed under the same names. */
export interface RegisterPost {
  energyRaw: number | null;
  uferRaw: number | null;
  maxDemandRaw: number | null;
  dmcrRaw: number | null;
}

export interface ChannelRegisters {
  /** 1–3 within the visible group. */
  channel: number;
  totalRaw: number | null;
  ponta: RegisterPost;
  foraPonta: RegisterPost;
  reservado: RegisterPost;
  /** 4th segment ("intermediário"), given for channel 1 only (offsets 227–242); null for channels 2 and 3. */
  intermediario: RegisterPost | null;
  lastIntervalDemandRaw: number | null;
  /** 18 bytes of accumulated demands, layout [U]. */
  accumulatedDemands: Uint8Array;
}

export interface Registers {
  channels: ChannelRegisters[];
  /** Offsets 243–248: accumulated demands of the 4th segment, layout [U]. */
  intermediarioAccumulated: Uint8Array;
  /** Offsets 249–255. */
  reserved: Uint8Array;
}

const CHANNEL_BASES = [5, 79, 153];
const ACCUMULATED_LENGTH = 18;

function readPost(
  r: FieldReader,
  energy: number,
  ufer: number,
  maxDemand: number,
  dmcr: number,
  field: string,
): RegisterPost {
  return {
    energyRaw: r.bcdOrNull(energy, 5, `${field} energy`),
    uferRaw: r.bcdOrNull(ufer, 5, `${field} UFER`),
    maxDemandRaw: r.bcdOrNull(maxDemand, 3, `${field} max demand`),
    dmcrRaw: r.bcdOrNull(dmcr, 3, `${field} DMCR`),
  };
}

function writePost(
  w: FieldWriter,
  p: RegisterPost,
  energy: number,
  ufer: number,
  maxDemand: number,
  dmcr: number,
  field: string,
): void {
  w.bcd(energy, 5, p.energyRaw ?? 0, `${field} energy`);
  w.bcd(ufer, 5, p.uferRaw ?? 0, `${field} UFER`);
  w.bcd(maxDemand, 3, p.maxDemandRaw ?? 0, `${field} max demand`);
  w.bcd(dmcr, 3, p.dmcrRaw ?? 0, `${field} DMCR`);
}

/** Within a 74-byte channel block: 7 × 5-byte energies (total, then post/second-slot pairs), last demand, 6 × 3-byte
 * demands (post/second-slot pairs), 18 bytes accumulated. */
function postOffsets(base: number, post: number): [number, number, number, number] {
  return [base + 5 + 10 * post, base + 10 + 10 * post, base + 38 + 6 * post, base + 41 + 6 * post];
}

const POSTS = ['ponta', 'foraPonta', 'reservado'] as const;

export function decodeRegisters(r: FieldReader): Registers {
  const channels = CHANNEL_BASES.map((base, i): ChannelRegisters => {
    const ch = `ch${i + 1}`;
    const [ponta, foraPonta, reservado] = POSTS.map((post, k) => readPost(r, ...postOffsets(base, k), `${ch} ${post}`));
    return {
      channel: i + 1,
      totalRaw: r.bcdOrNull(base, 5, `${ch} total`),
      ponta,
      foraPonta,
      reservado,
      intermediario: i === 0 ? readPost(r, 227, 232, 237, 240, 'ch1 intermediario') : null,
      lastIntervalDemandRaw: r.bcdOrNull(base + 35, 3, `${ch} last interval demand`),
      accumulatedDemands: r.raw(base + 56, ACCUMULATED_LENGTH),
    };
  });
  return { channels, intermediarioAccumulated: r.raw(243, 6), reserved: r.raw(249, 7) };
}

export function encodeRegisters(w: FieldWriter, v: Registers): void {
  if (!Array.isArray(v.channels) || v.channels.length !== 3) throw paramError(w.context, 'channels', 'need 3 channels');
  v.channels.forEach((c, i) => {
    const base = CHANNEL_BASES[i];
    const ch = `ch${i + 1}`;
    w.bcd(base, 5, c.totalRaw ?? 0, `${ch} total`);
    POSTS.forEach((post, k) => {
      writePost(w, c[post], ...postOffsets(base, k), `${ch} ${post}`);
    });
    w.bcd(base + 35, 3, c.lastIntervalDemandRaw ?? 0, `${ch} last interval demand`);
    w.raw(base + 56, requireBytes(w.context, `${ch} accumulated demands`, c.accumulatedDemands, ACCUMULATED_LENGTH));
    if (i === 0 && c.intermediario !== null) writePost(w, c.intermediario, 227, 232, 237, 240, 'ch1 intermediario');
  });
  w.raw(243, requireBytes(w.context, 'intermediario accumulated', v.intermediarioAccumulated, 6));
  w.raw(249, requireBytes(w.context, 'reserved', v.reserved, 7));
}

export const cmd23: CommandSpec<NoRequest, Registers> = {
  code: 0x23,
  name: 'Leitura dos registradores atuais',
  kind: 'read',
  composite: false,
  ...noRequest,
  encodeResponse: encodeRegisters,
  decodeResponse: decodeRegisters,
};

export const cmd24: CommandSpec<NoRequest, Registers> = {
  code: 0x24,
  name: 'Leitura dos registradores anteriores',
  kind: 'read',
  composite: false,
  ...noRequest,
  encodeResponse: encodeRegisters,
  decodeResponse: decodeRegisters,
};
