/**
 * Reads an ABNT reading file (format.ts) into the Reading a session would have produced, checking it block by block
 * on the way: length (whole blocks only), CRC (layout 'fk7-crc' only: an 'fk7' block has none to check), block
 * type, meter serial (the same in every block), the fields every decoder needs, the order of the blocks (registers
 * and mass memory need a parameters block before them; 0x52 needs a 0x51, 0x26/0x27 a 0x20/0x21/0x22), and each
 * mass-memory transfer (numbering from 001, last-block flag, block count against the words announced). The first
 * problem is a FRONTEIRA_E_FILE_FORMAT naming the file, the block number and its byte offset; nothing is returned
 * for a file with a bad block, so an importer stores all of a file or none of it.
 *
 * A file holds responses only, so some things a live session knows are absent or inferred here:
 *   - the channel group of a parameters block is not in the response: it is the registered group whose quantity
 *     codes match the block's (offsets 195–197), else the lowest group not yet seen [I];
 *   - there is no reader clock, so no clock drift ('clock' is null), and no commands (no 'tx' frames);
 *   - the period of a 0x25 outage block is 'previous' when the file's mass memory is the previous period (0x27)
 *     and 'current' otherwise, as the reading sequences ask for it.
 *
 * Pure (no I/O, no clock): the reading time comes from the file's own 20/21/22/51 blocks (spec §12).
 */

import type { StepRecord } from '../../collect/session/meter-session.ts';
import type { GroupReading, Reading } from '../../collect/session/reading.ts';
import { type FronteiraError, isFronteiraError } from '../../domain/errors.ts';
import { DEFAULT_ZONE, wallToInstant } from '../../domain/time.ts';
import {
  type AnyCommandSpec,
  COMMANDS,
  type Parameters,
  parseResponse,
  throwIfException,
  visibleChannels,
} from '../../protocols/abnt14522/commands/index.ts';
import { MM_WORDS_PER_BLOCK } from '../../protocols/abnt14522/commands/mass-memory.ts';
import { RESPONSE_LENGTH } from '../../protocols/abnt14522/constants.ts';
import { crc16, sealBlock } from '../../protocols/abnt14522/crc.ts';
import { formatWall, type WallTime } from '../../protocols/abnt14522/fields.ts';
import {
  DEFAULT_PACKING,
  MassMemoryAssembler,
  type MassMemoryPacking,
  markOutages,
  massMemoryTimeline,
} from '../../protocols/abnt14522/mass-memory.ts';
import {
  type AbntFileLayout,
  abntFileName,
  type BlockPosition,
  blockSize,
  detectLayout,
  EXCEPTION_BLOCK_CODES,
  FILE_BLOCK_CODES,
  type FileErrorReason,
  fileError,
  hex2,
  type NameRule,
  PARAMETER_CODES,
  parseAbntFileName,
} from './format.ts';

/** The sequence name of every session imported from a file: it marks the session as such in the store. */
export const FILE_SEQUENCE = 'arquivo';

export interface RegisteredGroup {
  group: number;
  quantityCodes: number[];
}

export interface ReadAbntFileOptions {
  /** The file's name (messages, the name-rule check, the Reading's address). */
  name: string;
  /** Default 'auto' (format.ts detectLayout). */
  layout?: AbntFileLayout | 'auto';
  /** Zone of the meter's clock, to turn the reading time into an instant (default America/Sao_Paulo). */
  zone?: string;
  /** Mass-memory word packing (spec §8.3 [U]); default the codec's. */
  packing?: MassMemoryPacking;
  /** The meter's registered channel groups, to place each parameters block in its group. */
  groups?: readonly RegisteredGroup[];
  nameRule?: NameRule;
}

export interface AbntFileBlock extends BlockPosition {
  code: number;
  /** The response as a sealed 258-byte block (the CRC recomputed for 'fk7', as stored for 'fk7-crc'). */
  bytes: Uint8Array;
}

export interface AbntFileSummary {
  name: string;
  layout: AbntFileLayout;
  blocks: number;
  meterSerial: string;
  /** Meter wall time of the first parameters block: the reading time (spec §12). */
  readingTime: WallTime;
  /** What the §12 rule names this file; differs from `name` when the file was renamed. */
  expectedName: string;
  /** Block count per type, e.g. { '21': 2, '26': 37 }. */
  codes: Record<string, number>;
}

export interface AbntFileReading {
  file: AbntFileSummary;
  reading: Reading;
}

const MAX_GROUP = 32;

interface Ctx {
  name: string;
  warnings: string[];
}

function at(b: AbntFileBlock): BlockPosition {
  return { block: b.block, offset: b.offset };
}

/** Any error out of a decoder, as the file error of block b (field offsets made absolute). */
function asFileError(ctx: Ctx, b: AbntFileBlock, e: unknown, reason: FileErrorReason, prefix = ''): FronteiraError {
  if (isFronteiraError(e, 'FRONTEIRA_E_FILE_FORMAT') && e.details.file === ctx.name) return e;
  const base = `0x${hex2(b.code)}: ${prefix}`;
  if (isFronteiraError(e)) {
    const field = typeof e.details.offset === 'number' ? e.details.offset : null;
    const extra = field === null ? {} : { fieldOffset: field, fileOffset: b.offset + field };
    const where = field === null ? '' : ` [file offset ${b.offset + field}]`;
    const err = fileError(ctx.name, at(b), reason, `${base}${e.message}${where}`, {
      code: b.code,
      cause: e.code,
      ...extra,
    });
    return err;
  }
  // A decoder must never throw untyped on bad bytes; if one does, the file is still refused with a typed error.
  return fileError(ctx.name, at(b), reason, `${base}could not be decoded (${String(e)})`, { code: b.code });
}

/** Splits the file into blocks and checks length, CRC, block type and serial. */
export function splitAbntFile(
  bytes: Uint8Array,
  name: string,
  requested: AbntFileLayout | 'auto' = 'auto',
): { layout: AbntFileLayout; blocks: AbntFileBlock[]; meterSerial: string } {
  if (!(bytes instanceof Uint8Array)) throw fileError(name, null, 'empty', 'the content is not bytes');
  if (bytes.length === 0) throw fileError(name, null, 'empty', 'the file is empty');
  if (requested !== 'auto' && requested !== 'fk7' && requested !== 'fk7-crc') {
    throw fileError(name, null, 'layout', `layout '${String(requested)}' is not 'auto', 'fk7' or 'fk7-crc'`);
  }
  const layout = detectLayout(bytes, requested);
  const size = blockSize(layout);
  const whole = Math.floor(bytes.length / size);
  if (bytes.length % size !== 0) {
    const rest = bytes.length - whole * size;
    throw fileError(
      name,
      { block: whole + 1, offset: whole * size },
      'truncated',
      `${bytes.length} bytes is not a whole number of ${size}-byte blocks (layout ${layout}): ` +
        `the last block has only ${rest} byte(s)`,
      { layout, length: bytes.length, blockSize: size, remainder: rest },
    );
  }
  const blocks: AbntFileBlock[] = [];
  let serialBytes: Uint8Array | null = null;
  let serial = '';
  for (let k = 0; k < whole; k++) {
    const offset = k * size;
    const pos = { block: k + 1, offset };
    const raw = bytes.subarray(offset, offset + size);
    if (layout === 'fk7-crc') {
      const residue = crc16(raw);
      if (residue !== 0) {
        const got = raw[256] | (raw[257] << 8);
        const want = crc16(raw, 0, 256);
        throw fileError(
          name,
          pos,
          'crc',
          `0x${hex2(raw[0])}: CRC at offset ${offset + 256} is ${hex2(got & 0xff)} ${hex2(got >> 8)}, ` +
            `computed ${hex2(want & 0xff)} ${hex2(want >> 8)}`,
          { code: raw[0], received: got, computed: want, fileOffset: offset + 256 },
        );
      }
    }
    const code = raw[0];
    if (!FILE_BLOCK_CODES.has(code) && !EXCEPTION_BLOCK_CODES.has(code)) {
      throw fileError(
        name,
        pos,
        'code',
        `first byte 0x${hex2(code)} is not a reading-file block type ` +
          `(${[...FILE_BLOCK_CODES].map(hex2).join(' ')}, or 39/40)`,
        { code },
      );
    }
    const s = raw.subarray(1, 5);
    for (let i = 0; i < 4; i++) {
      if ((s[i] & 0x0f) > 9 || s[i] >> 4 > 9) {
        throw fileError(
          name,
          pos,
          'serial',
          `0x${hex2(code)}: meter serial byte 0x${hex2(s[i])} at offset ${offset + 1 + i} is not BCD`,
          { code, fileOffset: offset + 1 + i },
        );
      }
    }
    const text = [...s].map(hex2).join('');
    if (serialBytes === null) {
      serialBytes = s;
      serial = text;
    } else if (text !== serial) {
      throw fileError(name, pos, 'serial', `0x${hex2(code)}: meter serial ${text}, but block 1 has ${serial}`, {
        code,
        serial: text,
        expected: serial,
        fileOffset: offset + 1,
      });
    }
    let sealed: Uint8Array;
    if (layout === 'fk7-crc') sealed = raw.slice();
    else {
      sealed = new Uint8Array(RESPONSE_LENGTH);
      sealed.set(raw);
      sealBlock(sealed);
    }
    blocks.push({ block: k + 1, offset, code, bytes: sealed });
  }
  return { layout, blocks, meterSerial: serial };
}

function sourceOf(code: number): 'current' | 'previous' | 'window' {
  return code === 0x26 ? 'current' : code === 0x27 ? 'previous' : 'window';
}

interface Transfer {
  code: number;
  first: AbntFileBlock;
  lastBlock: AbntFileBlock;
  group: GroupReading;
  step: StepRecord;
  assembler: MassMemoryAssembler;
  words: number;
}

/** The group of a parameters block: the registered group with these quantity codes, else the lowest unseen. */
function groupOf(codes: number[], used: Set<number>, registered: readonly RegisteredGroup[]): number {
  const same = registered.find(
    (g) => !used.has(g.group) && g.quantityCodes.length === 3 && g.quantityCodes.every((c, i) => c === codes[i]),
  );
  if (same) return same.group;
  let g = 0;
  while (used.has(g)) g++;
  return g;
}

/**
 * Parses, checks and decodes a whole file. Throws the first problem as FRONTEIRA_E_FILE_FORMAT (block number and
 * offset in message and details); returns the Reading an importer hands to ingest.
 */
export function readAbntFile(bytes: Uint8Array, opts: ReadAbntFileOptions): AbntFileReading {
  const name = opts.name;
  const ctx: Ctx = { name, warnings: [] };
  const zone = opts.zone ?? DEFAULT_ZONE;
  const packing = opts.packing ?? DEFAULT_PACKING;
  const registered = opts.groups ?? [];
  const { layout, blocks, meterSerial } = splitAbntFile(bytes, name, opts.layout ?? 'auto');

  const groups: GroupReading[] = [];
  const used = new Set<number>();
  const steps: StepRecord[] = [];
  const frames: Reading['frames'] = [];
  const codes: Record<string, number> = {};
  const partial: Partial<Pick<Reading, 'measurement' | 'alterations' | 'instant' | 'identity'>> = {};
  let outages: Reading['outages'];
  let current: GroupReading | null = null;
  let transfer: Transfer | null = null;
  let readingTime: WallTime | null = null;
  let lastTime: WallTime | null = null;

  const step = (b: AbntFileBlock, label: string, code = b.code): StepRecord => {
    const s: StepRecord = { index: steps.length, label, code, startedAt: 0, endedAt: 0, status: 'ok', blocks: 1 };
    s.note = `file block ${b.block}`;
    steps.push(s);
    return s;
  };
  const frame = (b: AbntFileBlock, s: StepRecord) => {
    frames.push({ at: 0, direction: 'rx', step: s.index, bytes: b.bytes });
  };
  const decode = <T>(b: AbntFileBlock, label: string): { value: T; warnings: string[] } => {
    const spec = COMMANDS.get(b.code) as AnyCommandSpec;
    try {
      const parsed = parseResponse(spec, b.bytes);
      for (const w of parsed.warnings) ctx.warnings.push(`${label} (file block ${b.block}): ${w}`);
      return { value: parsed.value as T, warnings: parsed.warnings };
    } catch (e) {
      throw asFileError(ctx, b, e, 'field');
    }
  };
  const closeTransfer = () => {
    const t = transfer;
    if (!t) return;
    transfer = null;
    const where = `mass memory 0x${hex2(t.code)} begun at block ${t.first.block}`;
    if (!t.assembler.complete) {
      throw fileError(
        name,
        at(t.lastBlock),
        'mass-memory',
        `${where} ends here without its last block (offset 5 bit 0x10 never set)`,
        { code: t.code, firstBlock: t.first.block },
      );
    }
    const needed = Math.max(1, Math.ceil(t.words / MM_WORDS_PER_BLOCK));
    if (t.assembler.blockCount !== needed) {
      throw fileError(
        name,
        at(t.lastBlock),
        'mass-memory',
        `${where} has ${t.assembler.blockCount} block(s) but the parameters announce ${t.words} words ` +
          `(${needed} block(s))`,
        { code: t.code, firstBlock: t.first.block, blocks: t.assembler.blockCount, words: t.words, expected: needed },
      );
    }
    try {
      const words = t.assembler.words(t.words, packing);
      const timeline = massMemoryTimeline({ source: sourceOf(t.code), params: t.group.parameters, words, channels: 3 });
      for (const w of [...t.assembler.warnings, ...timeline.warnings]) ctx.warnings.push(`${t.step.label}: ${w}`);
      t.group.massMemory = {
        source: sourceOf(t.code),
        code: t.code,
        expectedWords: t.words,
        timeline,
        partial: false,
        blocks: t.assembler.blockCount,
      };
    } catch (e) {
      throw asFileError(ctx, t.first, e, 'mass-memory', `${where}: `);
    }
    t.step.blocks = t.assembler.blockCount;
    t.step.note = `file blocks ${t.first.block}–${t.lastBlock.block}`;
  };

  for (const b of blocks) {
    codes[hex2(b.code)] = (codes[hex2(b.code)] ?? 0) + 1;
    if (transfer && b.code === transfer.code && !transfer.assembler.complete) {
      const t: Transfer = transfer;
      try {
        t.assembler.add(b.bytes);
      } catch (e) {
        throw asFileError(
          ctx,
          b,
          e,
          isFronteiraError(e) && e.details.reason === 'sequence' ? 'sequence' : 'mass-memory',
        );
      }
      t.lastBlock = b;
      frame(b, t.step);
      continue;
    }
    closeTransfer();

    if (EXCEPTION_BLOCK_CODES.has(b.code)) {
      // Kept as the failed step a live session records (ingest turns a 0x40 into an 'occurrence' event).
      let err: FronteiraError | null = null;
      try {
        throwIfException(b.bytes);
      } catch (e) {
        if (!isFronteiraError(e)) throw asFileError(ctx, b, e, 'field');
        err = e;
      }
      const refused = b.code === 0x39 ? b.bytes[5] : b.code;
      const s = step(b, `${hex2(refused)} (exception 0x${hex2(b.code)})`, refused);
      s.status = 'failed';
      if (err) s.error = { code: err.code, message: err.message };
      frame(b, s);
      ctx.warnings.push(`file block ${b.block}: ${err?.message ?? `exception 0x${hex2(b.code)}`}`);
      continue;
    }

    if (PARAMETER_CODES.has(b.code)) {
      if (b.bytes.subarray(5, 11).every((x) => x === 0)) {
        throw fileError(
          name,
          at(b),
          'field',
          `0x${hex2(b.code)}: current date/time (offset ${b.offset + 5}) is all zeros`,
          {
            code: b.code,
            fileOffset: b.offset + 5,
          },
        );
      }
      const { value: p } = decode<Parameters>(b, `0x${hex2(b.code)}`);
      const g = groupOf(p.quantityCodes, used, registered);
      if (g > MAX_GROUP) {
        throw fileError(
          name,
          at(b),
          'sequence',
          `0x${hex2(b.code)}: more than ${MAX_GROUP + 1} channel groups in one file`,
        );
      }
      used.add(g);
      const label = `${hex2(b.code)} g${g}`;
      const s = step(b, label);
      frame(b, s);
      current = { group: g, parametersCode: b.code, parameters: p, channels: visibleChannels(p, g) };
      groups.push(current);
      if (readingTime === null) {
        readingTime = p.meterTime;
        partial.identity = { model: p.model, softwareVersion: p.softwareVersion };
      }
      if (lastTime === null || p.meterTime > lastTime) lastTime = p.meterTime;
      continue;
    }

    const needGroup = (what: string): GroupReading => {
      if (current) return current;
      throw fileError(
        name,
        at(b),
        'sequence',
        `0x${hex2(b.code)} (${what}) comes before any parameters block (20/21/22/51): its channel group is unknown`,
        { code: b.code },
      );
    };

    switch (b.code) {
      case 0x23:
      case 0x24: {
        const g = needGroup('registers');
        if (g.registers) {
          throw fileError(name, at(b), 'sequence', `0x${hex2(b.code)}: a second registers block for group ${g.group}`, {
            code: b.code,
          });
        }
        const label = `${hex2(b.code)} g${g.group}`;
        const { value } = decode<NonNullable<GroupReading['registers']>['value']>(b, label);
        g.registers = { code: b.code, value };
        frame(b, step(b, label));
        break;
      }
      case 0x26:
      case 0x27:
      case 0x52: {
        const g = needGroup('mass memory');
        const wants = b.code === 0x52 ? [0x51] : [0x20, 0x21, 0x22];
        if (!wants.includes(g.parametersCode)) {
          throw fileError(
            name,
            at(b),
            'sequence',
            `mass memory 0x${hex2(b.code)} follows a 0x${hex2(g.parametersCode)} block; it needs ` +
              `${wants.map((c) => `0x${hex2(c)}`).join('/')} before it`,
            { code: b.code, parametersCode: g.parametersCode },
          );
        }
        if (g.massMemory) {
          throw fileError(name, at(b), 'sequence', `mass memory 0x${hex2(b.code)}: group ${g.group} already has one`, {
            code: b.code,
          });
        }
        const words = b.code === 0x27 ? g.parameters.massMemoryWords.previous : g.parameters.massMemoryWords.current;
        const s = step(b, `${hex2(b.code)} g${g.group}`);
        const assembler = new MassMemoryAssembler(b.code, meterSerial, { packing, expectedWords: words });
        const t: Transfer = { code: b.code, first: b, lastBlock: b, group: g, step: s, assembler, words };
        transfer = t;
        try {
          assembler.add(b.bytes);
        } catch (e) {
          throw asFileError(
            ctx,
            b,
            e,
            isFronteiraError(e) && e.details.reason === 'sequence' ? 'sequence' : 'mass-memory',
          );
        }
        frame(b, s);
        break;
      }
      case 0x25: {
        const { value } = decode<NonNullable<Reading['outages']>['value']>(b, '0x25');
        outages = { period: 'current', value };
        frame(b, step(b, '25'));
        break;
      }
      case 0x28: {
        partial.alterations = decode<NonNullable<Reading['alterations']>>(b, '0x28').value;
        frame(b, step(b, '28'));
        break;
      }
      case 0x80: {
        partial.measurement = decode<NonNullable<Reading['measurement']>>(b, '0x80').value;
        frame(b, step(b, '80'));
        break;
      }
      case 0x14: {
        partial.instant = decode<NonNullable<Reading['instant']>>(b, '0x14').value;
        frame(b, step(b, '14'));
        break;
      }
      default: {
        // 0x41–0x46 partial registers: checked by their decoder, kept as raw frames (no Reading field holds them).
        decode<unknown>(b, `0x${hex2(b.code)}`);
        frame(b, step(b, hex2(b.code)));
      }
    }
  }
  closeTransfer();

  if (readingTime === null || lastTime === null) {
    throw fileError(
      name,
      null,
      'no-parameters',
      `none of the ${blocks.length} block(s) is a parameters block (20/21/22/51): the reading time is unknown`,
      { blocks: blocks.length },
    );
  }
  if (outages && groups.some((g) => g.massMemory?.source === 'previous')) outages.period = 'previous';
  for (const g of groups) {
    if (g.massMemory) {
      g.flags = markOutages(g.massMemory.timeline, outages?.value.records ?? [], partial.alterations?.entries ?? []);
    }
  }

  const expectedName = abntFileName(meterSerial, readingTime, opts.nameRule);
  const parsedName = parseAbntFileName(name);
  if (parsedName && parsedName.serialSuffix !== meterSerial.slice(-5)) {
    ctx.warnings.push(
      `file name '${name}' names meter …${parsedName.serialSuffix}; the blocks are from ${meterSerial}`,
    );
  } else if (
    parsedName &&
    `${parsedName.serialSuffix}$${parsedName.letters.slice(0, 2)}.${parsedName.letters.slice(2)}` !== expectedName
  ) {
    ctx.warnings.push(
      `file name '${name}' does not encode the reading time ${formatWall(readingTime)} (expected ${expectedName})`,
    );
  }

  const startedAt = wallToInstant(readingTime, zone);
  const endedAt = Math.max(startedAt, wallToInstant(lastTime, zone));
  for (const s of steps) {
    s.startedAt = startedAt;
    s.endedAt = startedAt;
  }
  for (const f of frames) f.at = startedAt;

  const reading: Reading = {
    address: `file:${name}`,
    sequence: FILE_SEQUENCE,
    // A file holds no command, hence no reader serial.
    readerSerial: '000000',
    zone,
    startedAt,
    endedAt,
    ok: true,
    failure: null,
    meterSerial,
    identity: partial.identity ?? null,
    clock: null,
    groups,
    ...(partial.measurement ? { measurement: partial.measurement } : {}),
    ...(outages ? { outages } : {}),
    ...(partial.alterations ? { alterations: partial.alterations } : {}),
    ...(partial.instant ? { instant: partial.instant } : {}),
    steps,
    frames,
    warnings: [
      `imported from ABNT reading file '${name}' (${blocks.length} blocks, layout ${layout})`,
      ...ctx.warnings,
    ],
  };
  return {
    file: { name, layout, blocks: blocks.length, meterSerial, readingTime, expectedName, codes },
    reading,
  };
}
