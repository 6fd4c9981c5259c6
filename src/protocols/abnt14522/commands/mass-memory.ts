/**
 * 0x26 / 0x27 / 0x52: the mass-memory reads, answered with several blocks (spec §3.3, §8.3). Each block carries
 * its number and the "last block" flag in offsets 5–6 and 249 bytes of packed 12-bit words at 7–255. This file
 * only frames one block; unpacking words, assembling a transfer and timing intervals live in ../mass-memory.ts.
 *
 * Offset 5: bit 0x10 = last block [C]; low nibble = hundreds digit of the block number; offset 6 = tens and units
 * (BCD) [C]. Bits 5–7 are presumably 0 [I]: anything there is reported as a warning, not a failure.
 */

import type { FieldReader, FieldWriter } from '../fields.ts';
import { type CommandSpec, type NoRequest, noRequest } from './types.ts';
import { requireBytes, requireInt } from './writes.ts';

export const MM_DATA_OFFSET = 7;
export const MM_DATA_LENGTH = 249;
export const MM_WORDS_PER_BLOCK = 166;
export const MM_LAST_BLOCK_FLAG = 0x10;

export interface MassMemoryBlock {
  /** 0–999 as carried on the wire (the count wraps after 999 [S], see ../mass-memory.ts). */
  blockNumber: number;
  last: boolean;
  /** Offsets 7–255: 249 bytes = 166 packed 12-bit words. */
  data: Uint8Array;
}

/** Block number and last flag from offsets 5–6; a non-BCD number is a typed error naming the offset. */
export function readBlockHeader(r: FieldReader): { blockNumber: number; last: boolean } {
  const b5 = r.u8(5);
  if (b5 & 0xe0) {
    r.warnings.push(`${r.context}: offset 5 = 0x${b5.toString(16)} has bits set above the last-block flag`);
  }
  const hundreds = b5 & 0x0f;
  if (hundreds > 9) r.bcd(5, 1, 'block number (hundreds)'); // low nibble: let the BCD reader name it
  const rest = r.bcd(6, 1, 'block number (tens and units)');
  return { blockNumber: hundreds * 100 + rest, last: (b5 & MM_LAST_BLOCK_FLAG) !== 0 };
}

export function writeBlockHeader(w: FieldWriter, blockNumber: number, last: boolean): void {
  const n = requireInt(w.context, 'block number', blockNumber, 0, 999);
  w.u8(5, (last ? MM_LAST_BLOCK_FLAG : 0) | Math.floor(n / 100), 'block number');
  w.bcd(6, 1, n % 100, 'block number');
}

function massMemorySpec(code: number, name: string): CommandSpec<NoRequest, MassMemoryBlock> {
  return {
    code,
    name,
    kind: 'read',
    composite: true,
    ...noRequest,
    encodeResponse(w, res) {
      writeBlockHeader(w, res.blockNumber, res.last);
      w.raw(MM_DATA_OFFSET, requireBytes(w.context, 'data', res.data, MM_DATA_LENGTH, false));
    },
    decodeResponse(r) {
      return { ...readBlockHeader(r), data: r.raw(MM_DATA_OFFSET, MM_DATA_LENGTH) };
    },
  };
}

export const cmd26 = massMemorySpec(0x26, 'Leitura da memória de massa atual');
export const cmd27 = massMemorySpec(0x27, 'Leitura da memória de massa anterior');
export const cmd52 = massMemorySpec(0x52, 'Leitura da memória de massa');
