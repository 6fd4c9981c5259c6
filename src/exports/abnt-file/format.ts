/**
 * The ABNT reading file ("arquivo FK7", spec §12): the responses of one reading, back to back, one block per
 * response. What is known and what is not:
 *
 *   - Blocks are 256 bytes: a meter response without its 2 CRC bytes (offsets 0–255). [S] ([FK7] reads files in
 *     256-byte blocks; [RGN] keeps responses the same way.) This is layout 'fk7', the default when writing.
 *   - Layout 'fk7-crc' keeps the CRC: 258-byte blocks exactly as received. No source shows such files; it is our
 *     switch for collectors that keep the whole block, and the only layout in which a file carries its own CRCs.
 *     Reading with layout 'auto' tells the two apart by length and by the CRC residue of the first block.
 *   - The block type is its first byte; types seen: 20 21 22 51 23 24 41–46 25 26 27 52 28 80 14. [S]
 *     Whether 0x39/0x40 (exception answers) may appear is [U]: written only when asked, read when present.
 *   - All blocks carry the same meter serial; the reading time comes from the 20/21/22/51 blocks. [S]
 *   - Some collectors may write a leading "connection block" whose layout is [U] ([SMDI] "gerar bloco de conexão");
 *     such a file is rejected (its first byte is no block type) until a real one is seen.
 *   - File name NNNNN$XX.XXX [S] [FK7]: NNNNN = last 5 digits of the meter serial; the 5 letters are base 20 (A = 0
 *     … T = 19) of s + 60·min + 3600·h + 86400·day + 2678400·month of the reading time, least significant 5 digits,
 *     split 2 + 3 around the dot. Whether day and month count from 0 or 1 is [U]: the formula is applied to the
 *     calendar numbers as written (day 1–31, month 1–12), switchable with NameRule.
 *
 * Pure (no I/O): bytes in, bytes or typed errors out.
 */
import { FronteiraError } from '../../domain/errors.ts';
import { RESPONSE_LENGTH } from '../../protocols/abnt14522/constants.ts';
import { crc16 } from '../../protocols/abnt14522/crc.ts';
import type { WallTime } from '../../protocols/abnt14522/fields.ts';

/** Bytes of one block in each layout. */
export const FK7_BLOCK = 256;
export const FK7_CRC_BLOCK = RESPONSE_LENGTH;

export type AbntFileLayout = 'fk7' | 'fk7-crc';
export const ABNT_FILE_LAYOUTS: readonly AbntFileLayout[] = ['fk7', 'fk7-crc'];

export function blockSize(layout: AbntFileLayout): number {
  return layout === 'fk7' ? FK7_BLOCK : FK7_CRC_BLOCK;
}

/** Block types of spec §12 (the first byte of each block). */
export const FILE_BLOCK_CODES: ReadonlySet<number> = new Set([
  0x20, 0x21, 0x22, 0x51, 0x23, 0x24, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x25, 0x26, 0x27, 0x52, 0x28, 0x80, 0x14,
]);

/** Exception answers (spec §7.9): not in §12's list; written only on request, accepted when read. */
export const EXCEPTION_BLOCK_CODES: ReadonlySet<number> = new Set([0x39, 0x40]);

export const PARAMETER_CODES: ReadonlySet<number> = new Set([0x20, 0x21, 0x22, 0x51]);

/** Why a file was refused, for callers that branch on it (details.reason of the error). */
export type FileErrorReason =
  | 'empty'
  | 'length'
  | 'truncated'
  | 'crc'
  | 'code'
  | 'serial'
  | 'field'
  | 'sequence'
  | 'mass-memory'
  | 'no-parameters'
  | 'name'
  | 'layout';

export interface BlockPosition {
  /** 1-based block number in the file. */
  block: number;
  /** Byte offset of the block's first byte in the file. */
  offset: number;
}

/**
 * The error of a bad file: FRONTEIRA_E_FILE_FORMAT whose message starts with the file name and the block (number
 * and byte offset) and says what was wrong; details carry the same as fields.
 */
export function fileError(
  file: string,
  at: BlockPosition | null,
  reason: FileErrorReason,
  what: string,
  details: Record<string, unknown> = {},
): FronteiraError {
  const where = at ? `block ${at.block} (offset ${at.offset})` : '';
  const message = `ABNT reading file '${file}'${where ? `, ${where}` : ''}: ${what}`;
  return new FronteiraError('FRONTEIRA_E_FILE_FORMAT', message, {
    file,
    ...(at ? { block: at.block, offset: at.offset } : {}),
    reason,
    ...details,
  });
}

export function hex2(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

/**
 * The layout of `bytes`: the requested one, or for 'auto' the one the length allows (a multiple of 256 or of 258);
 * when both do (every 33 024 bytes) or neither does, a good CRC residue on the first 258 bytes means 'fk7-crc'.
 */
export function detectLayout(bytes: Uint8Array, requested: AbntFileLayout | 'auto'): AbntFileLayout {
  if (requested !== 'auto') return requested;
  const by256 = bytes.length % FK7_BLOCK === 0;
  const by258 = bytes.length % FK7_CRC_BLOCK === 0;
  if (by256 && !by258) return 'fk7';
  if (by258 && !by256) return 'fk7-crc';
  const crcOk = bytes.length >= FK7_CRC_BLOCK && crc16(bytes, 0, FK7_CRC_BLOCK) === 0;
  return crcOk ? 'fk7-crc' : 'fk7';
}

// ---------------------------------------------------------------------------------------------------------------
// File name (spec §12)

export interface NameRule {
  /** Subtract 1 from day and month before weighting them. Default false: the calendar numbers, as §12 writes it. [U] */
  zeroBasedDate?: boolean;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRST';
const NAME_PATTERN = /^(\d{5})\$([A-T]{2})\.([A-T]{3})$/i;

/** The number the name's letters encode, before the base-20 digits are cut to 5. */
export function nameNumber(wall: WallTime, rule: NameRule = {}): number {
  const d = new Date(wall);
  const off = rule.zeroBasedDate ? 1 : 0;
  return (
    d.getUTCSeconds() +
    60 * d.getUTCMinutes() +
    3600 * d.getUTCHours() +
    86_400 * (d.getUTCDate() - off) +
    2_678_400 * (d.getUTCMonth() + 1 - off)
  );
}

/** The five letters: base 20, A = 0, least significant five digits, most significant first. */
export function nameLetters(wall: WallTime, rule: NameRule = {}): string {
  let v = nameNumber(wall, rule);
  let s = '';
  for (let i = 0; i < 5; i++) {
    s = LETTERS[v % 20] + s;
    v = Math.floor(v / 20);
  }
  return s;
}

/** `NNNNN$XX.XXX` for a meter serial (8 digits; shorter ones are left-padded with 0) and a reading time. */
export function abntFileName(meterSerial: string, readingTime: WallTime, rule: NameRule = {}): string {
  const digits = meterSerial.replace(/\D/g, '').padStart(5, '0');
  const letters = nameLetters(readingTime, rule);
  return `${digits.slice(-5)}$${letters.slice(0, 2)}.${letters.slice(2)}`;
}

export interface ParsedName {
  serialSuffix: string;
  letters: string;
}

/** The parts of a name that follows the rule (path and case ignored); null for any other name. */
export function parseAbntFileName(name: string): ParsedName | null {
  const base = name.split(/[\\/]/).pop() ?? name;
  const m = NAME_PATTERN.exec(base);
  return m ? { serialSuffix: m[1], letters: `${m[2]}${m[3]}`.toUpperCase() } : null;
}
