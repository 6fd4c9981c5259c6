/**
 * A stored session's raw frames for display: direction, time, command code and name, the bytes in hex, and a short
 * decoded summary (the response decoded by the command catalogue; a command by its code). A frame that does not
 * decode (bad CRC, truncated) is shown with the reason, never an error of the whole request.
 */
import { isFronteiraError } from '../../domain/errors.ts';
import { commandName } from '../../protocols/abnt14522/commands/alterations.ts';
import { COMMANDS, describeBlock } from '../../protocols/abnt14522/commands/index.ts';
import { COMMAND_LENGTH, isSignal } from '../../protocols/abnt14522/constants.ts';
import type { RawFrame } from '../../store/frames.ts';

export interface FrameView {
  index: number;
  direction: 'tx' | 'rx';
  at: string;
  step: number;
  length: number;
  code: number | null;
  name: string | null;
  hex: string;
  summary: string;
  error: string | null;
}

const SIGNALS: Record<number, string> = { 5: 'ENQ', 6: 'ACK', 21: 'NAK', 16: 'WAIT', 255: 'ALO' };
const SUMMARY_MAX = 400;

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** JSON of a decoded value, short: typed arrays as their length, long text cut. */
function brief(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value, (_k, v) => {
      if (ArrayBuffer.isView(v)) return `[${(v as unknown as ArrayLike<number>).length} values]`;
      if (typeof v === 'bigint') return v.toString();
      if (Array.isArray(v) && v.length > 12) return [...v.slice(0, 12), `… ${v.length - 12} more`];
      return v;
    });
  } catch {
    s = String(value);
  }
  s = s ?? '';
  return s.length > SUMMARY_MAX ? `${s.slice(0, SUMMARY_MAX)}…` : s;
}

function nameOf(code: number): string | null {
  return COMMANDS.get(code)?.name ?? commandName(code) ?? null;
}

export function frameView(f: RawFrame, index: number): FrameView {
  const base = {
    index,
    direction: f.direction,
    at: new Date(f.at).toISOString(),
    step: f.step,
    length: f.bytes.length,
    hex: toHex(f.bytes),
  };
  if (f.bytes.length === 0) return { ...base, code: null, name: null, summary: 'empty', error: null };
  const code = f.bytes[0];
  if (f.bytes.length === 1 && isSignal(code)) {
    return { ...base, code, name: SIGNALS[code] ?? null, summary: SIGNALS[code] ?? 'signal', error: null };
  }
  if (f.direction === 'tx' || f.bytes.length === COMMAND_LENGTH) {
    const name = nameOf(code);
    return {
      ...base,
      code,
      name,
      summary: `command 0x${code.toString(16).padStart(2, '0')}${name ? ` ${name}` : ''}`,
      error: null,
    };
  }
  try {
    const d = describeBlock(f.bytes);
    const error = 'error' in d && d.error ? `${d.error.code}: ${d.error.message}` : null;
    const summary = 'value' in d ? brief(d.value) : error ? error : 'raw block (code outside the catalogue)';
    return { ...base, code, name: d.name ?? nameOf(code), summary, error };
  } catch (e) {
    const reason = isFronteiraError(e) ? `${e.code}: ${e.message}` : String(e);
    return { ...base, code, name: nameOf(code), summary: 'undecodable block', error: reason };
  }
}
