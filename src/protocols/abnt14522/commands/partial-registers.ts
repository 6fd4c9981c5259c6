/**
 * 0x41–0x46 "Leitura dos registradores parciais" (spec §7.3): 41/42/43 = previous period, channel 1/2/3;
 * 44/45/46 = current period, channel 1/2/3 [C]. The byte layout is [U]: no source decodes it.
 *
 * So the decoder returns the 251 data bytes raw, plus a reading under the layout our simulator uses
 * (per-segment totals in 5-byte BCD at offsets 5, 10, 15, 20, 25; zeros elsewhere) flagged `approximate: true`.
 * A real meter's block will not follow it; a non-BCD field there reads as null without a warning, since nothing
 * says it should be BCD.
 */
import { type FieldReader, FieldWriter } from '../fields.ts';
import { type CommandSpec, type NoRequest, noRequest } from './types.ts';
import { requireBytes } from './writes.ts';

export interface ApproximatePartialLayout {
  totalRaw: number | null;
  pontaRaw: number | null;
  foraPontaRaw: number | null;
  reservadoRaw: number | null;
  intermediarioRaw: number | null;
}

export interface PartialRegisters {
  /** 1–3 within the visible group (from the command code). */
  channel: number;
  period: 'previous' | 'current';
  /** Offsets 5–255 as received. */
  raw: Uint8Array;
  /** Always true: the fields below are the simulator's layout, not the standard's. */
  approximate: true;
  fields: ApproximatePartialLayout;
}

const DATA_OFFSET = 5;
const DATA_LENGTH = 251;
const FIELD_ORDER = ['totalRaw', 'pontaRaw', 'foraPontaRaw', 'reservadoRaw', 'intermediarioRaw'] as const;

function quietBcd5(b: Uint8Array, off: number): number | null {
  let v = 0;
  for (let i = off; i < off + 5; i++) {
    const hi = b[i] >> 4;
    const lo = b[i] & 0x0f;
    if (hi > 9 || lo > 9) return null;
    v = v * 100 + hi * 10 + lo;
  }
  return v;
}

function partialSpec(code: number): CommandSpec<NoRequest, PartialRegisters> {
  const period = code <= 0x43 ? 'previous' : 'current';
  const channel = ((code - 0x41) % 3) + 1;
  const ordinal = `${channel}º`;
  return {
    code,
    name: `Leitura dos registradores parciais ${period === 'previous' ? 'anteriores' : 'atuais'} do ${ordinal} canal`,
    kind: 'read',
    composite: false,
    ...noRequest,
    encodeResponse(w: FieldWriter, v: PartialRegisters): void {
      w.raw(DATA_OFFSET, requireBytes(w.context, 'raw', v.raw, DATA_LENGTH));
      FIELD_ORDER.forEach((k, i) => {
        const value = v.fields[k];
        if (value !== null) w.bcd(DATA_OFFSET + 5 * i, 5, value, k);
      });
    },
    decodeResponse(r: FieldReader): PartialRegisters {
      const b = r.bytes;
      const [totalRaw, pontaRaw, foraPontaRaw, reservadoRaw, intermediarioRaw] = FIELD_ORDER.map((_, i) =>
        quietBcd5(b, DATA_OFFSET + 5 * i),
      );
      return {
        channel,
        period,
        raw: r.raw(DATA_OFFSET, DATA_LENGTH),
        approximate: true,
        fields: { totalRaw, pontaRaw, foraPontaRaw, reservadoRaw, intermediarioRaw },
      };
    },
  };
}

/** The simulator's side: raw bytes for a set of approximate totals (zeros elsewhere). */
export function approximatePartialRaw(fields: ApproximatePartialLayout): Uint8Array {
  const block = new Uint8Array(DATA_OFFSET + DATA_LENGTH);
  const w = new FieldWriter(block, 'partial registers (approximate layout)');
  FIELD_ORDER.forEach((k, i) => {
    w.bcd(DATA_OFFSET + 5 * i, 5, fields[k] ?? 0, k);
  });
  return block.subarray(DATA_OFFSET);
}

export const cmd41 = partialSpec(0x41);
export const cmd42 = partialSpec(0x42);
export const cmd43 = partialSpec(0x43);
export const cmd44 = partialSpec(0x44);
export const cmd45 = partialSpec(0x45);
export const cmd46 = partialSpec(0x46);
