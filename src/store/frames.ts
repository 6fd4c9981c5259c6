/**
 * The packed blob of a session's raw frames (read_session_frames.frames): every frame of one reading session in one
 * bytea, so a session costs one row however many blocks it moved, and any stored value can be re-decoded.
 *
 * Layout (all integers little-endian):
 *
 *   header, 16 bytes
 *     0   4  magic 'FRF1' (0x46 0x52 0x46 0x31): the layout version is the last character
 *     4   4  u32  frame count N
 *     8   8  f64  base time: epoch ms of the first frame (0 when N = 0); whole ms, exact in a float64
 *   then N frames, each a 9-byte header followed by the frame bytes
 *     0   4  i32  ms since the previous frame (the first: since the base time); negative if the clock went back
 *     4   1  u8   bit 0: direction (0 tx = sent by the reader, 1 rx = received); other bits 0
 *     5   2  u16  step index (RawFrame.step: the session's steps[] entry)
 *     7   2  u16  length L of the frame in bytes
 *     9   L       the frame as sent or received (blocks of 258 bytes, commands of 66, CRC included)
 *
 * Decoding checks the magic, every length and that nothing trails the last frame; a blob that fails is
 * FRONTEIRA_E_FILE_FORMAT naming the frame and offset.
 */
import { FronteiraError } from '../domain/errors.ts';

/** One frame as a session records it (structurally collect/session's RawFrame; the store does not import collect). */
export interface RawFrame {
  /** Epoch ms. */
  at: number;
  direction: 'tx' | 'rx';
  step: number;
  bytes: Uint8Array;
}

const MAGIC = [0x46, 0x52, 0x46, 0x31];
const HEADER = 16;
const FRAME_HEADER = 9;
const MAX_FRAME = 0xffff;
const MAX_STEP = 0xffff;

function formatError(message: string, details: Record<string, unknown> = {}): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_FILE_FORMAT', `session frames blob: ${message}`, details);
}

export function encodeFrames(frames: readonly RawFrame[]): Uint8Array {
  let size = HEADER;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (!(f.bytes instanceof Uint8Array) || f.bytes.length > MAX_FRAME) {
      throw formatError(`frame ${i} is not a byte array of at most ${MAX_FRAME} bytes`, { index: i });
    }
    if (!Number.isInteger(f.step) || f.step < 0 || f.step > MAX_STEP) {
      throw formatError(`frame ${i}: step ${f.step} is not 0…${MAX_STEP}`, { index: i });
    }
    if (!Number.isFinite(f.at)) throw formatError(`frame ${i}: time ${f.at} is not a number`, { index: i });
    size += FRAME_HEADER + f.bytes.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, frames.length, true);
  const base = frames.length > 0 ? Math.round(frames[0].at) : 0;
  view.setFloat64(8, base, true);
  let prev = base;
  let p = HEADER;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const at = Math.round(f.at);
    const delta = at - prev;
    if (delta > 0x7fffffff || delta < -0x80000000) {
      throw formatError(`frame ${i}: ${delta} ms after the previous one does not fit 32 bits`, { index: i });
    }
    view.setInt32(p, delta, true);
    out[p + 4] = f.direction === 'rx' ? 1 : 0;
    view.setUint16(p + 5, f.step, true);
    view.setUint16(p + 7, f.bytes.length, true);
    out.set(f.bytes, p + FRAME_HEADER);
    p += FRAME_HEADER + f.bytes.length;
    prev = at;
  }
  return out;
}

/** Frame count of a blob without decoding the frames. */
export function frameCount(blob: Uint8Array): number {
  checkHeader(blob);
  return new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(4, true);
}

function checkHeader(blob: Uint8Array): void {
  if (!(blob instanceof Uint8Array) || blob.length < HEADER) {
    throw formatError(`${blob?.length ?? 0} bytes is shorter than the ${HEADER}-byte header`);
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (blob[i] !== MAGIC[i]) throw formatError(`bad magic at offset ${i} (not an 'FRF1' blob)`, { offset: i });
  }
}

export function decodeFrames(blob: Uint8Array): RawFrame[] {
  checkHeader(blob);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const n = view.getUint32(4, true);
  let at = view.getFloat64(8, true);
  const frames: RawFrame[] = [];
  let p = HEADER;
  for (let i = 0; i < n; i++) {
    if (p + FRAME_HEADER > blob.length) {
      throw formatError(`frame ${i} of ${n}: header at offset ${p} runs past the end (${blob.length} bytes)`, {
        index: i,
        offset: p,
      });
    }
    at += view.getInt32(p, true);
    const dir = blob[p + 4];
    if (dir > 1) throw formatError(`frame ${i}: direction byte 0x${dir.toString(16)} at offset ${p + 4}`, { index: i });
    const step = view.getUint16(p + 5, true);
    const len = view.getUint16(p + 7, true);
    const start = p + FRAME_HEADER;
    if (start + len > blob.length) {
      throw formatError(`frame ${i} of ${n}: ${len} bytes at offset ${start} run past the end (${blob.length} bytes)`, {
        index: i,
        offset: start,
      });
    }
    // A copy, and a plain Uint8Array even when the blob is a Buffer from the driver (whose slice() is a view).
    const bytes = new Uint8Array(len);
    bytes.set(blob.subarray(start, start + len));
    frames.push({ at, direction: dir === 1 ? 'rx' : 'tx', step, bytes });
    p = start + len;
  }
  if (p !== blob.length) {
    throw formatError(`${blob.length - p} byte(s) after the last of ${n} frames (offset ${p})`, { offset: p });
  }
  return frames;
}
