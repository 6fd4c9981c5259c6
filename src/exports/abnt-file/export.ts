/**
 * A stored read session as an ABNT reading file: the response blocks it received, in the order received, laid out
 * per format.ts and named by the §12 rule. Commands, signals and blocks with a bad CRC are not responses a file
 * holds; 0x39/0x40 exception answers are left out unless asked for (whether files may carry them is [U]).
 */
import { FronteiraError } from '../../domain/errors.ts';
import { DEFAULT_ZONE, instantToWall } from '../../domain/time.ts';
import { RESPONSE_LENGTH } from '../../protocols/abnt14522/constants.ts';
import { crc16 } from '../../protocols/abnt14522/crc.ts';
import { FieldReader, type WallTime } from '../../protocols/abnt14522/fields.ts';
import type { RawFrame } from '../../store/frames.ts';
import { type Db, meterById, pointById } from '../../store/registry.ts';
import { readSession, readSessionFrames } from '../../store/sessions.ts';
import {
  type AbntFileLayout,
  abntFileName,
  EXCEPTION_BLOCK_CODES,
  FILE_BLOCK_CODES,
  hex2,
  type NameRule,
  PARAMETER_CODES,
} from './format.ts';
import { writeAbntFile } from './write.ts';

export interface AbntFileExportOptions {
  /** Default 'fk7' (256-byte blocks, spec §12). */
  layout?: AbntFileLayout;
  /** Also write 0x39/0x40 exception answers (default false). */
  withExceptions?: boolean;
  nameRule?: NameRule;
}

export interface AbntFileExport {
  name: string;
  bytes: Uint8Array;
  layout: AbntFileLayout;
  blocks: number;
  meterSerial: string;
  /** Meter wall time the name encodes: the first parameters block's clock (else the session start, see warnings). */
  readingTime: WallTime;
  /** What was left out and why; anything that may keep the file from importing. */
  warnings: string[];
}

export interface FramesToFileInput {
  frames: readonly RawFrame[];
  /** Session start, epoch ms: the reading time when no parameters block carries one. */
  startedAt: number;
  zone?: string;
  label?: string;
}

/** The file of a session's frames (pure). FRONTEIRA_E_VALIDATION when there is no response block to write. */
export function abntFileFromFrames(input: FramesToFileInput, opts: AbntFileExportOptions = {}): AbntFileExport {
  const layout = opts.layout ?? 'fk7';
  if (layout !== 'fk7' && layout !== 'fk7-crc') {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `layout '${String(layout)}' is not 'fk7' or 'fk7-crc'`, {
      field: 'layout',
    });
  }
  const label = input.label ?? 'session';
  const warnings: string[] = [];
  const blocks: Uint8Array[] = [];
  let exceptions = 0;
  let badCrc = 0;
  let unknown = 0;
  for (const f of input.frames) {
    if (f.direction !== 'rx' || f.bytes.length !== RESPONSE_LENGTH) continue;
    if (crc16(f.bytes) !== 0) {
      badCrc++;
      continue;
    }
    const code = f.bytes[0];
    if (EXCEPTION_BLOCK_CODES.has(code)) {
      if (opts.withExceptions) blocks.push(f.bytes);
      else exceptions++;
      continue;
    }
    if (!FILE_BLOCK_CODES.has(code)) {
      unknown++;
      continue;
    }
    blocks.push(f.bytes);
  }
  if (exceptions > 0) warnings.push(`${exceptions} exception answer(s) (0x39/0x40) left out`);
  if (badCrc > 0) warnings.push(`${badCrc} received block(s) with a bad CRC left out`);
  if (unknown > 0) warnings.push(`${unknown} block(s) of a type a reading file does not hold left out`);
  if (blocks.length === 0) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${label} received no response block a reading file can hold`, {
      reason: 'no-blocks',
    });
  }
  const serials = new Set(blocks.map((b) => [...b.subarray(1, 5)].map(hex2).join('')));
  const meterSerial = [...serials][0];
  if (serials.size > 1) {
    warnings.push(
      `blocks carry ${serials.size} different meter serials (${[...serials].join(', ')}): the file will not import`,
    );
  }
  let readingTime: WallTime | null = null;
  for (const b of blocks) {
    if (!PARAMETER_CODES.has(b[0])) continue;
    try {
      readingTime = new FieldReader(b, `response 0x${hex2(b[0])}`).dateTime(5, 'current date/time');
    } catch {
      readingTime = null;
    }
    if (readingTime !== null) break;
  }
  if (readingTime === null) {
    readingTime = instantToWall(input.startedAt, input.zone ?? DEFAULT_ZONE);
    warnings.push(
      'no parameters block (20/21/22/51) with a clock: the name uses the session start; the file will not import',
    );
  }
  const bytes = writeAbntFile(blocks, layout);
  return {
    name: abntFileName(meterSerial, readingTime, opts.nameRule),
    bytes,
    layout,
    blocks: blocks.length,
    meterSerial,
    readingTime,
    warnings,
  };
}

/** The file of a stored session; FRONTEIRA_E_NOT_FOUND for an unknown id. */
export async function exportSessionAbntFile(
  db: Db,
  sessionId: number,
  opts: AbntFileExportOptions = {},
): Promise<AbntFileExport & { sessionId: number }> {
  const s = Number.isSafeInteger(sessionId) && sessionId > 0 ? await readSession(db, sessionId) : undefined;
  if (!s) {
    throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `session ${sessionId} does not exist`, {
      entity: 'session',
      key: String(sessionId),
    });
  }
  const meter = await meterById(db, Number(s.meter_id));
  const point = meter ? await pointById(db, Number(meter.point_id)) : undefined;
  const frames = await readSessionFrames(db, Number(s.id));
  const out = abntFileFromFrames(
    { frames, startedAt: s.started_at.getTime(), zone: point?.timezone ?? DEFAULT_ZONE, label: `session ${s.id}` },
    opts,
  );
  if (s.status !== 'ok') {
    out.warnings.unshift(
      `session ${s.id} ${s.status === 'failed' ? `failed${s.failure_step ? ` at step ${s.failure_step}` : ''}` : 'is still running'}: the file holds what it received`,
    );
  }
  return { ...out, sessionId: Number(s.id) };
}
