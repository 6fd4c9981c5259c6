/**
 * Mass memory ("memória de massa", spec §8): 12-bit pulse counts, one per visible channel per MM interval,
 * packed 166 to a block in the composite answers to 0x26 / 0x27 / 0x52.
 *
 * ┌────────────────────────────────────────────────────────────────────────────────────────────────────────────┐
 * │ THE 12-BIT PACKING IS NOT CONFIRMED BY ANY PUBLIC SOURCE (spec §8.3 [U], §15 item 1).                      │
 * │ 'msn-first' (default) is the spec's hypothesis: a nibble stream, most significant first, like the BCD       │
 * │ everywhere else. 'lsn-first' is little-endian 12-bit packing. One real 0x26 capture settles it: with the   │
 * │ right order consecutive words of a channel are smooth; with the wrong one they are noise.                  │
 * └────────────────────────────────────────────────────────────────────────────────────────────────────────────┘
 *
 * Everything here runs once per word of a meter's history (some 26 000 words per channel group and month), so the loops work on
 * typed arrays with no per-word allocation.
 */
import { FronteiraError } from '../../domain/errors.ts';
import { throwIfException } from './commands/index.ts';
import {
  MM_DATA_LENGTH,
  MM_DATA_OFFSET,
  MM_LAST_BLOCK_FLAG,
  MM_WORDS_PER_BLOCK,
  readBlockHeader,
} from './commands/mass-memory.ts';
import type { ChannelConstant, Parameters } from './commands/parameters.ts';
import { COMPOSITE_COMMANDS, RESPONSE_LENGTH } from './constants.ts';
import { crc16Step, sealBlock } from './crc.ts';
import { FieldReader, formatWall, hex, hexBytes, type WallTime } from './fields.ts';
import { decodeResponse, encodeResponse } from './frame.ts';

export type MassMemoryPacking = 'msn-first' | 'lsn-first';

/** The spec's hypothesis (§8.3): w0 = b0<<4 | b1>>4, w1 = (b1&0x0F)<<8 | b2. Unconfirmed — see the header. */
export const DEFAULT_PACKING: MassMemoryPacking = 'msn-first';

/** 0x26, 0x27, 0x52: the composite commands (§3.3). */
export const MASS_MEMORY_CODES: ReadonlySet<number> = COMPOSITE_COMMANDS;

/** Wire block numbers have 3 digits: the count wraps after 999 ([S]: [SMDI] keeps a "+1000" counter). */
const BLOCK_NUMBER_MODULUS = 1000;

function mmError(message: string, details: Record<string, unknown> = {}, cause?: unknown): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_ABNT_MASS_MEMORY', message, details, cause ? { cause } : undefined);
}

function paramError(field: string, what: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_ABNT_PARAMETER', `mass memory: ${field}: ${what}`, { field });
}

function checkPacking(packing: MassMemoryPacking): void {
  if (packing !== 'msn-first' && packing !== 'lsn-first') {
    throw paramError('packing', `'${String(packing)}' is not 'msn-first' or 'lsn-first'`);
  }
}

/** Unpacks n words of the area starting at src[p] into out[o…]; returns the next output index. */
function unpackArea(src: Uint8Array, p: number, out: Uint16Array, o: number, n: number, msn: boolean): number {
  const pairs = n >> 1;
  if (msn) {
    for (let i = 0; i < pairs; i++, p += 3) {
      const b1 = src[p + 1];
      out[o++] = (src[p] << 4) | (b1 >> 4);
      out[o++] = ((b1 & 0x0f) << 8) | src[p + 2];
    }
    if (n & 1) out[o++] = (src[p] << 4) | (src[p + 1] >> 4);
  } else {
    for (let i = 0; i < pairs; i++, p += 3) {
      const b1 = src[p + 1];
      out[o++] = src[p] | ((b1 & 0x0f) << 8);
      out[o++] = (b1 >> 4) | (src[p + 2] << 4);
    }
    if (n & 1) out[o++] = src[p] | ((src[p + 1] & 0x0f) << 8);
  }
  return o;
}

/**
 * One word stream across block boundaries (166 words per block; intervals straddle blocks). Each element is a
 * 249-byte data area or a whole 258-byte block. Exactly `count` words come back; the padding after them is
 * ignored. Fewer than `count` words in the blocks is FRONTEIRA_E_ABNT_MASS_MEMORY.
 */
export function unpackWords(
  data: Uint8Array[],
  count: number,
  packing: MassMemoryPacking = DEFAULT_PACKING,
): Uint16Array {
  checkPacking(packing);
  if (!Number.isInteger(count) || count < 0) throw paramError('count', `${count} is not a word count`);
  const available = data.length * MM_WORDS_PER_BLOCK;
  if (count > available) {
    throw mmError(`mass memory: ${count} words expected but ${data.length} block(s) hold only ${available}`, {
      expected: count,
      available,
      blocks: data.length,
    });
  }
  const out = new Uint16Array(count);
  const msn = packing === 'msn-first';
  let o = 0;
  for (let k = 0; k < data.length && o < count; k++) {
    const blk = data[k];
    let p: number;
    if (blk.length === MM_DATA_LENGTH) p = 0;
    else if (blk.length === RESPONSE_LENGTH) p = MM_DATA_OFFSET;
    else {
      throw new FronteiraError(
        'FRONTEIRA_E_ABNT_FRAME_LENGTH',
        `mass memory: element ${k} is ${blk.length} bytes, expected ${MM_DATA_LENGTH} (data) or ${RESPONSE_LENGTH} (block)`,
        { index: k, actual: blk.length },
      );
    }
    o = unpackArea(blk, p, out, o, Math.min(MM_WORDS_PER_BLOCK, count - o), msn);
  }
  return out;
}

/**
 * Packs words into 249-byte data areas, 166 words each, zero padding after the last word. Always at least one
 * area (a transfer of 0 words is still one block). A word outside 0–4095 is FRONTEIRA_E_ABNT_PARAMETER.
 */
export function packWords(words: ArrayLike<number>, packing: MassMemoryPacking = DEFAULT_PACKING): Uint8Array[] {
  checkPacking(packing);
  const count = words.length;
  for (let i = 0; i < count; i++) {
    const w = words[i];
    if (w >>> 0 !== w || w > 0xfff) throw paramError(`word ${i}`, `${w} is not a 12-bit value (0–4095)`);
  }
  const nAreas = Math.max(1, Math.ceil(count / MM_WORDS_PER_BLOCK));
  const areas: Uint8Array[] = [];
  const msn = packing === 'msn-first';
  let i = 0;
  for (let k = 0; k < nAreas; k++) {
    const a = new Uint8Array(MM_DATA_LENGTH);
    const end = Math.min(count, i + MM_WORDS_PER_BLOCK);
    let p = 0;
    for (; i + 1 < end; i += 2, p += 3) {
      const w0 = words[i];
      const w1 = words[i + 1];
      if (msn) {
        a[p] = w0 >> 4;
        a[p + 1] = ((w0 & 0x0f) << 4) | (w1 >> 8);
        a[p + 2] = w1 & 0xff;
      } else {
        a[p] = w0 & 0xff;
        a[p + 1] = (w0 >> 8) | ((w1 & 0x0f) << 4);
        a[p + 2] = w1 >> 4;
      }
    }
    if (i < end) {
      const w0 = words[i++];
      if (msn) {
        a[p] = w0 >> 4;
        a[p + 1] = (w0 & 0x0f) << 4;
      } else {
        a[p] = w0 & 0xff;
        a[p + 1] = w0 >> 8;
      }
    }
    areas.push(a);
  }
  return areas;
}

/**
 * The sealed 258-byte blocks a meter sends for `words`: numbered from 001 (wrapping 999 → 000 [S]), the last flag
 * on the last one. For 0 words, one block with the last flag and no valid words (what a meter does there is [U]).
 */
export function encodeMassMemoryBlocks(
  code: number,
  meterSerial: string,
  words: ArrayLike<number>,
  packing: MassMemoryPacking = DEFAULT_PACKING,
): Uint8Array[] {
  if (!MASS_MEMORY_CODES.has(code)) throw paramError('code', `0x${hex(code & 0xff)} is not 0x26, 0x27 or 0x52`);
  const areas = packWords(words, packing);
  const template = encodeResponse(code, meterSerial);
  return areas.map((area, k) => {
    const b = template.slice();
    const n = (k + 1) % BLOCK_NUMBER_MODULUS;
    b[5] = (k === areas.length - 1 ? MM_LAST_BLOCK_FLAG : 0) | Math.floor(n / 100);
    const tu = n % 100;
    b[6] = (Math.floor(tu / 10) << 4) | (tu % 10);
    b.set(area, MM_DATA_OFFSET);
    return sealBlock(b);
  });
}

/**
 * One pass over a 258-byte block: returns its CRC residue (0 when good) while copying it to dest[at…] and unpacking
 * its 166 words into words[o…]. The CRC is a chain of dependent table lookups; the copy and the unpacking run in its
 * shadow, so checking, keeping and unpacking a block costs about what the CRC alone does.
 */
function checkCopyUnpack(
  src: Uint8Array,
  dest: Uint8Array,
  at: number,
  words: Uint16Array,
  o: number,
  msn: boolean,
): number {
  let crc = 0;
  let i = 0;
  for (; i < MM_DATA_OFFSET; i++) {
    const b = src[i];
    dest[at + i] = b;
    crc = crc16Step(crc, b);
  }
  const dataEnd = MM_DATA_OFFSET + MM_DATA_LENGTH;
  // Two loops rather than a test of `msn` per word: the test would sit on the CRC's critical path.
  if (msn) {
    for (; i < dataEnd; i += 3) {
      const b0 = src[i];
      const b1 = src[i + 1];
      const b2 = src[i + 2];
      dest[at + i] = b0;
      dest[at + i + 1] = b1;
      dest[at + i + 2] = b2;
      crc = crc16Step(crc16Step(crc16Step(crc, b0), b1), b2);
      words[o++] = (b0 << 4) | (b1 >> 4);
      words[o++] = ((b1 & 0x0f) << 8) | b2;
    }
  } else {
    for (; i < dataEnd; i += 3) {
      const b0 = src[i];
      const b1 = src[i + 1];
      const b2 = src[i + 2];
      dest[at + i] = b0;
      dest[at + i + 1] = b1;
      dest[at + i + 2] = b2;
      crc = crc16Step(crc16Step(crc16Step(crc, b0), b1), b2);
      words[o++] = b0 | ((b1 & 0x0f) << 8);
      words[o++] = (b1 >> 4) | (b2 << 4);
    }
  }
  for (; i < RESPONSE_LENGTH; i++) {
    const b = src[i];
    dest[at + i] = b;
    crc = crc16Step(crc, b);
  }
  return crc;
}

export interface MassMemoryAssemblerOptions {
  /** The order words() and partialWords() use by default; blocks are unpacked in it as they arrive. */
  packing?: MassMemoryPacking;
  /** Words the parameters response announced: sizes the buffers once rather than growing them block by block. */
  expectedWords?: number;
}

/** Buffers sized from expectedWords stop here (~600 kB); a longer transfer grows them as it arrives. */
const MAX_PRESIZED_BLOCKS = 1024;

/**
 * Collects the blocks of one composite transfer as they arrive and checks each before it is kept: length, CRC,
 * exception codes (0x39/0x40 raise their own typed errors), command code, meter serial, numbering (previous + 1,
 * wrapping after 999) and nothing after the last block. Every other problem is FRONTEIRA_E_ABNT_MASS_MEMORY
 * naming the block. Blocks are copied, so the caller may reuse its buffer.
 */
export class MassMemoryAssembler {
  /** Odd but harmless header bits, one line per block that had them. */
  readonly warnings: string[] = [];
  readonly packing: MassMemoryPacking;
  /** Accepted blocks back to back (one growing buffer: no allocation per block). */
  private buf: Uint8Array;
  /**
   * Their words in `packing`, unpacked as each block is checked (166 per block). Handed over by words() (null after):
   * a complete transfer cannot change any more, so the caller gets them without a copy.
   */
  private unpacked: Uint16Array | null;
  private n = 0;
  /** Offsets 1–4 of the first block (or of the expected serial) as one integer; -1 until known. */
  private serialKey = -1;
  private lastNumber = 0;
  private done = false;

  /** Asking words() or partialWords() for the other packing than opts.packing still works (it unpacks again). */
  constructor(
    readonly code: number,
    expectedSerial?: string,
    opts: MassMemoryAssemblerOptions = {},
  ) {
    if (!MASS_MEMORY_CODES.has(code)) throw paramError('code', `0x${hex(code & 0xff)} is not 0x26, 0x27 or 0x52`);
    this.packing = opts.packing ?? DEFAULT_PACKING;
    checkPacking(this.packing);
    const hint = opts.expectedWords;
    if (hint !== undefined && (!Number.isInteger(hint) || hint < 0)) {
      throw paramError('expected words', `${hint} is not a word count`);
    }
    const slots =
      hint === undefined ? 16 : Math.min(MAX_PRESIZED_BLOCKS, Math.max(1, Math.ceil(hint / MM_WORDS_PER_BLOCK)));
    this.buf = new Uint8Array(RESPONSE_LENGTH * slots);
    this.unpacked = new Uint16Array(MM_WORDS_PER_BLOCK * slots);
    if (expectedSerial !== undefined) {
      if (!/^\d{8}$/.test(expectedSerial)) throw paramError('expected serial', `'${expectedSerial}' is not 8 digits`);
      this.serialKey = Number.parseInt(expectedSerial, 16);
    }
  }

  add(block: Uint8Array): void {
    const position = this.n + 1;
    const expected = this.expectedNumber();
    if (this.done) {
      const last = pad3(this.lastNumber);
      throw mmError(`mass memory 0x${hex(this.code)}: block #${position} arrived after the last block (${last})`, {
        position,
        reason: 'after-last',
      });
    }
    // Checked while being copied and unpacked into the next free slot, which only counts once the block is accepted.
    let crcOk = false;
    if (block.length === RESPONSE_LENGTH) {
      if ((this.n + 1) * RESPONSE_LENGTH > this.buf.length) {
        const grown = new Uint8Array(this.buf.length * 2);
        grown.set(this.buf);
        this.buf = grown;
        // Not null: words() hands it over only once the transfer is done, and then add() stops above.
        const unpacked = this.unpacked!;
        const grownWords = new Uint16Array(unpacked.length * 2);
        grownWords.set(unpacked);
        this.unpacked = grownWords;
      }
      const msn = this.packing === 'msn-first';
      const residue = checkCopyUnpack(
        block,
        this.buf,
        this.n * RESPONSE_LENGTH,
        this.unpacked!,
        this.n * MM_WORDS_PER_BLOCK,
        msn,
      );
      crcOk = residue === 0;
    }
    if (!crcOk) {
      try {
        decodeResponse(block);
      } catch (e) {
        const reason = block.length !== RESPONSE_LENGTH ? 'length' : 'crc';
        throw mmError(`${this.where(position, expected)}: ${(e as Error).message}`, { position, expected, reason }, e);
      }
    }
    throwIfException(block, this.code);
    if (block[0] !== this.code) {
      throw mmError(
        `${this.where(position, expected)}: response code 0x${hex(block[0])} instead of 0x${hex(this.code)}`,
        {
          position,
          expected,
          reason: 'code',
          actual: block[0],
        },
      );
    }
    const b5 = block[5];
    const b6 = block[6];
    let blockNumber: number;
    let last: boolean;
    if ((b5 & 0xef) <= 9 && b6 >> 4 <= 9 && (b6 & 0x0f) <= 9) {
      blockNumber = (b5 & 0x0f) * 100 + (b6 >> 4) * 10 + (b6 & 0x0f);
      last = (b5 & MM_LAST_BLOCK_FLAG) !== 0;
    } else {
      // Rare: let the header reader name the bad nibble or record the stray bits.
      const r = new FieldReader(block, `response 0x${hex(this.code)} block #${position}`);
      try {
        ({ blockNumber, last } = readBlockHeader(r));
      } catch (e) {
        throw mmError(
          `${this.where(position, expected)}: block number is not BCD: ${(e as Error).message}`,
          { position, expected, reason: 'number' },
          e,
        );
      }
      this.warnings.push(...r.warnings);
    }
    const key = ((block[1] << 24) | (block[2] << 16) | (block[3] << 8) | block[4]) >>> 0;
    if (this.serialKey === -1) this.serialKey = key;
    else if (key !== this.serialKey) {
      const serial = hexBytes(block.subarray(1, 5), '');
      const want = this.serialKey.toString(16).padStart(8, '0');
      throw mmError(
        `${this.where(position, expected)}, number ${pad3(blockNumber)}: meter serial ${serial}, expected ${want}`,
        {
          position,
          blockNumber,
          reason: 'serial',
        },
      );
    }
    if (blockNumber !== expected) {
      const what =
        blockNumber === this.lastNumber && position > 1 ? `duplicate of block ${pad3(blockNumber)}` : 'out of sequence';
      throw mmError(`${this.where(position, expected)}: got block number ${pad3(blockNumber)} (${what})`, {
        position,
        blockNumber,
        expected,
        reason: 'sequence',
      });
    }
    this.n++;
    this.lastNumber = blockNumber;
    this.done = last;
  }

  /** Not a closure in add(): it would be allocated for every block. */
  private where(position: number, expected: number): string {
    return `mass memory 0x${hex(this.code)}: block #${position} (expected number ${pad3(expected)})`;
  }

  private expectedNumber(): number {
    return (this.lastNumber + 1) % BLOCK_NUMBER_MODULUS;
  }

  /** The last block has arrived. */
  get complete(): boolean {
    return this.done;
  }

  get blockCount(): number {
    return this.n;
  }

  /** From the constructor or the first block; undefined before either. */
  get meterSerial(): string | undefined {
    return this.serialKey === -1 ? undefined : this.serialKey.toString(16).padStart(8, '0').toUpperCase();
  }

  /** The raw 258-byte blocks as received (CRC included), for storage and re-decoding. */
  get blocks(): Uint8Array[] {
    return Array.from({ length: this.n }, (_, k) => this.buf.slice(k * RESPONSE_LENGTH, (k + 1) * RESPONSE_LENGTH));
  }

  /**
   * Exactly `count` words (from the preceding parameters response). Needs the last block. The first call in the
   * constructor's packing hands over the words unpacked on arrival (a view of a buffer no one else holds, without a
   * copy); later calls unpack the kept blocks again.
   */
  words(count: number, packing: MassMemoryPacking = this.packing): Uint16Array {
    if (!this.done) {
      throw mmError(`mass memory 0x${hex(this.code)}: transfer incomplete, ${this.n} block(s) and no last block`, {
        reason: 'incomplete',
        blocks: this.n,
      });
    }
    return this.collect(count, packing, true);
  }

  /** Words the blocks received so far can hold (166 per block), complete or not. */
  partialWordCapacity(): number {
    return this.n * MM_WORDS_PER_BLOCK;
  }

  /**
   * The first `count` words of a transfer that may have been cut short (to keep what did arrive). `count` must not
   * exceed partialWordCapacity(); words() is the checked call for a complete transfer.
   */
  partialWords(count: number, packing: MassMemoryPacking = this.packing): Uint16Array {
    return this.collect(count, packing, false);
  }

  private collect(count: number, packing: MassMemoryPacking, handOver: boolean): Uint16Array {
    checkPacking(packing);
    if (!Number.isInteger(count) || count < 0) throw paramError('count', `${count} is not a word count`);
    const available = this.n * MM_WORDS_PER_BLOCK;
    if (count > available) {
      throw mmError(
        `mass memory 0x${hex(this.code)}: ${count} words expected but ${this.n} block(s) hold only ${available}`,
        { expected: count, available, blocks: this.n, reason: 'short' },
      );
    }
    const unpacked = this.unpacked;
    if (packing === this.packing && unpacked !== null) {
      if (!handOver) return unpacked.slice(0, count);
      this.unpacked = null;
      return unpacked.subarray(0, count);
    }
    const out = new Uint16Array(count);
    const msn = packing === 'msn-first';
    const buf = this.buf;
    let o = 0;
    for (let p = MM_DATA_OFFSET; o < count; p += RESPONSE_LENGTH) {
      o = unpackArea(buf, p, out, o, Math.min(MM_WORDS_PER_BLOCK, count - o), msn);
    }
    return out;
  }
}

function pad3(n: number): string {
  return String(n).padStart(3, '0');
}

export interface MassMemoryTimelineInput {
  /** 0x26 = 'current', 0x27 = 'previous', 0x52 = 'window'. */
  source: 'current' | 'previous' | 'window';
  /** The parameters response (0x21/0x22/0x20 or 0x51) read just before the mass memory. */
  params: Parameters;
  words: Uint16Array;
  /** Words per interval (default 3: one per visible channel). */
  channels?: number;
  /**
   * The words are only the start of the transfer (it was cut short). The count and last-end cross-checks are
   * skipped, and a window is still anchored on the announced word count, since its oldest words came first.
   */
  partial?: boolean;
}

export interface MassMemoryTimeline {
  intervalSeconds: number;
  /** End of the first interval (CCEE labels an interval by its end). */
  firstEnd: WallTime;
  /** Interval length in ms. */
  step: number;
  count: number;
  /** One array per channel, oldest interval first: values[c][i] ends at firstEnd + i·step. */
  values: Uint16Array[];
  warnings: string[];
}

/**
 * Times the words (spec §8.4): interval-major, channel-minor, oldest first [I]. The current period ends at
 * lastReset + k·Δ, the previous at penultimateReset + k·Δ (its last end should be the last reset [C]); a 0x52
 * window counts back from the end of the last interval (offsets 12–17 of 0x51) [I]. Inconsistencies with the
 * parameters are warnings; a zero interval or a missing anchor time is FRONTEIRA_E_ABNT_MASS_MEMORY.
 */
export function massMemoryTimeline(input: MassMemoryTimelineInput): MassMemoryTimeline {
  const { source, params, words } = input;
  const channels = input.channels ?? 3;
  if (!Number.isInteger(channels) || channels < 1) throw paramError('channels', `${channels} is not a channel count`);
  const intervalSeconds = params.massMemoryIntervalSeconds;
  if (!(intervalSeconds > 0) || !Number.isFinite(intervalSeconds)) {
    throw mmError(
      `mass memory: the parameters give an MM interval of ${intervalSeconds} s; intervals cannot be timed`,
      {
        intervalSeconds,
        reason: 'interval',
      },
    );
  }
  const step = Math.round(intervalSeconds * 1000);
  const warnings: string[] = [];
  const count = Math.floor(words.length / channels);
  const leftover = words.length - count * channels;
  if (leftover !== 0) {
    warnings.push(
      `${words.length} words is not a multiple of ${channels}: the last ${leftover} word(s) of a partial interval were dropped`,
    );
  }
  const partial = input.partial === true;
  const announced = source === 'previous' ? params.massMemoryWords.previous : params.massMemoryWords.current;
  if (partial && words.length > announced) {
    warnings.push(`${words.length} words kept from a cut-short transfer but the parameters announce only ${announced}`);
  } else if (!partial && announced !== words.length) {
    warnings.push(`${words.length} words decoded but the parameters announce ${announced} (${source})`);
  }

  const need = (t: WallTime | null, what: string): WallTime => {
    if (t === null) {
      throw mmError(`mass memory (${source}): the parameters have no ${what}, so the intervals cannot be timed`, {
        source,
        reason: 'anchor',
      });
    }
    return t;
  };
  let firstEnd: WallTime;
  let expectedLastEnd: WallTime | null;
  let expectedName: string;
  if (source === 'current') {
    firstEnd = need(params.lastReset, 'last reset time') + step;
    expectedLastEnd = params.lastIntervalEnd;
    expectedName = 'end of the last interval';
  } else if (source === 'previous') {
    firstEnd = need(params.penultimateReset, 'penultimate reset time') + step;
    expectedLastEnd = params.lastReset;
    expectedName = 'last reset';
  } else {
    const total = partial ? Math.max(count, Math.floor(announced / channels)) : count;
    firstEnd = need(params.lastIntervalEnd, 'end of the last interval') - (total - 1) * step;
    expectedLastEnd = null;
    expectedName = '';
  }
  if (expectedLastEnd !== null && count > 0 && !partial) {
    const lastEnd = firstEnd + (count - 1) * step;
    if (lastEnd !== expectedLastEnd) {
      warnings.push(
        `the last interval ends at ${formatWall(lastEnd)} but the ${expectedName} is ${formatWall(expectedLastEnd)}`,
      );
    }
  }

  const values: Uint16Array[] = [];
  for (let c = 0; c < channels; c++) values.push(new Uint16Array(count));
  if (channels === 3) {
    // The usual case in one pass over the words rather than one per channel.
    const [v0, v1, v2] = values;
    for (let i = 0, j = 0; i < count; i++, j += 3) {
      v0[i] = words[j];
      v1[i] = words[j + 1];
      v2[i] = words[j + 2];
    }
  } else {
    for (let c = 0; c < channels; c++) {
      const v = values[c];
      for (let i = 0, j = c; i < count; i++, j += channels) v[i] = words[j];
    }
  }
  return { intervalSeconds, firstEnd, step, count, values, warnings };
}

/** End of interval `index` (0-based, as in values[c][index]). */
export function intervalEnd(timeline: Pick<MassMemoryTimeline, 'firstEnd' | 'step'>, index: number): WallTime {
  return timeline.firstEnd + index * timeline.step;
}

/** Flag bits from markOutages. */
export const MM_FLAG_POWER_OFF = 0x01;
export const MM_FLAG_CLOCK_SUSPECT = 0x02;

/** Codes whose log entries move the meter clock (§7.6). */
const CLOCK_ALTERATION_CODES: ReadonlySet<number> = new Set([0x29, 0x30]);

/**
 * Per-interval flags (spec §8.5 [I]): MM_FLAG_POWER_OFF where the interval overlaps an outage from 0x25 (an
 * outage without an end runs to the end of the timeline; one without a start, from its beginning), and
 * MM_FLAG_CLOCK_SUSPECT on the interval holding a date/time alteration from 0x28 and on its two neighbours,
 * since the clock jumped there and the labels around it cannot be trusted.
 */
export function markOutages(
  timeline: Pick<MassMemoryTimeline, 'firstEnd' | 'step' | 'count'>,
  outages: readonly { start: WallTime | null; end: WallTime | null }[],
  alterations: readonly { code: number; time: WallTime | null }[] = [],
): Uint8Array {
  const { firstEnd, step, count } = timeline;
  const flags = new Uint8Array(count);
  if (count === 0) return flags;
  // Interval i covers [firstEnd + (i−1)·step, firstEnd + i·step).
  const indexOf = (t: number) => Math.floor((t - firstEnd) / step) + 1;
  const fill = (from: number, to: number, bit: number) => {
    const a = Math.max(0, from);
    const b = Math.min(count - 1, to);
    for (let i = a; i <= b; i++) flags[i] |= bit;
  };
  for (const o of outages) {
    if (o.start === null && o.end === null) continue;
    let s = o.start ?? -Infinity;
    let e = o.end ?? Infinity;
    if (e < s) [s, e] = [e, s];
    const from = s === -Infinity ? 0 : indexOf(s);
    // An outage that starts and ends within the same second still touched its interval.
    const to = e === Infinity ? count - 1 : Math.ceil((Math.max(e, s + 1) - firstEnd) / step);
    fill(from, to, MM_FLAG_POWER_OFF);
  }
  for (const a of alterations) {
    if (a.time === null || !CLOCK_ALTERATION_CODES.has(a.code)) continue;
    const i = indexOf(a.time);
    fill(i - 1, i + 1, MM_FLAG_CLOCK_SUSPECT);
  }
  return flags;
}

/**
 * Pulses to energy: pulses × numerator ÷ denominator × factor. The convention is [I] (spec §8.6): whether num/den
 * already folds in TP×TC, and whether the unit is kWh or Wh, is unconfirmed; `factor` carries TP×TC (or a unit
 * change) when the installation registry says the constant does not include them.
 */
export function pulsesToEnergy(pulses: ArrayLike<number>, constant: ChannelConstant, factor = 1): Float64Array {
  const { numerator, denominator } = constant;
  if (!Number.isFinite(numerator) || numerator < 0) throw paramError('numerator', `${numerator} is not a constant`);
  if (!Number.isFinite(denominator) || denominator <= 0) {
    throw paramError('denominator', `${denominator} is not a positive constant`);
  }
  if (!Number.isFinite(factor)) throw paramError('factor', `${factor} is not a number`);
  const out = new Float64Array(pulses.length);
  // Multiply before dividing: integer pulses × numerator stays exact, so each value is one correctly rounded
  // division (3 × 1/10 gives 0.3, not 0.30000000000000004).
  if (factor === 1) for (let i = 0; i < out.length; i++) out[i] = (pulses[i] * numerator) / denominator;
  else for (let i = 0; i < out.length; i++) out[i] = ((pulses[i] * numerator) / denominator) * factor;
  return out;
}
