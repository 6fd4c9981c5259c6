/**
 * The command catalogue and the frame-level entry points: build a command or response block from a typed value,
 * parse a block back (length, CRC, exception codes, expected code), and describe any block for diagnostics and
 * raw-frame logs. The reader uses buildCommand/parseResponse, the simulator parseRequest/buildResponse.
 */
import { FronteiraError, isFronteiraError } from '../../../domain/errors.ts';
import { NOT_IMPLEMENTED, OCCURRENCE } from '../constants.ts';
import { FieldReader, hex, hexBytes } from '../fields.ts';
import { decodeCommand, decodeResponse, encodeCommand, encodeResponse } from '../frame.ts';
import { cmd28, commandName } from './alterations.ts';
import { cmd39, cmd40, describeOccurrence } from './exceptions.ts';
import { cmd14 } from './instant.ts';
import { cmd26, cmd27, cmd52 } from './mass-memory.ts';
import { cmd80 } from './measurement.ts';
import { cmd25 } from './outages.ts';
import { cmd20, cmd21, cmd22, cmd51 } from './parameters.ts';
import { cmd41, cmd42, cmd43, cmd44, cmd45, cmd46 } from './partial-registers.ts';
import { cmd23, cmd24 } from './registers.ts';
import { cmd11, cmd13 } from './session.ts';
import type { CommandSpec } from './types.ts';
import { cmd29, cmd30, cmd31, cmd32, cmd33, cmd35, cmd37, cmd38 } from './writes.ts';

/**
 * A spec of any command. Method parameters are bivariant, so every typed spec fits; values come out `unknown`
 * and callers narrow by code or use the typed spec constants (cmd14, cmd21, …) directly.
 */
export type AnyCommandSpec = CommandSpec<unknown, unknown>;

const ALL: AnyCommandSpec[] = [
  cmd11,
  cmd13,
  cmd14,
  cmd20,
  cmd21,
  cmd22,
  cmd23,
  cmd24,
  cmd25,
  cmd26,
  cmd27,
  cmd28,
  cmd29,
  cmd30,
  cmd31,
  cmd32,
  cmd33,
  cmd35,
  cmd37,
  cmd38,
  cmd39,
  cmd40,
  cmd41,
  cmd42,
  cmd43,
  cmd44,
  cmd45,
  cmd46,
  cmd51,
  cmd52,
  cmd80,
];

/** Every command with a known layout, by code. 0x39 and 0x40 are here so any block can be described. */
export const COMMANDS: ReadonlyMap<number, AnyCommandSpec> = new Map(ALL.map((s) => [s.code, s]));

/** Codes a meter sends but a reader never does (§7.9): parseRequest treats them as unknown. */
export const RESPONSE_ONLY_CODES: ReadonlySet<number> = new Set([NOT_IMPLEMENTED, OCCURRENCE]);

/** A sealed 66-byte command. */
export function buildCommand<Req, Res>(spec: CommandSpec<Req, Res>, readerSerial: string, req: Req): Uint8Array {
  return encodeCommand(spec.code, readerSerial, (w) => spec.encodeRequest(w, req));
}

/** A sealed 258-byte response block. */
export function buildResponse<Req, Res>(spec: CommandSpec<Req, Res>, meterSerial: string, res: Res): Uint8Array {
  return encodeResponse(spec.code, meterSerial, (w) => spec.encodeResponse(w, res));
}

export interface ParsedResponse<Res> {
  meterSerial: string;
  value: Res;
  /** Lenient-field problems (odd bytes that did not stop the decode). */
  warnings: string[];
}

function label(code: number): string {
  const name = commandName(code);
  return name ? `0x${hex(code)} (${name})` : `0x${hex(code)}`;
}

/**
 * Throws the typed error a 0x39 or 0x40 block stands for; returns for any other code. The block must already have
 * passed the length and CRC check. `expected` is the command that was sent, for the message.
 */
export function throwIfException(block: Uint8Array, expected?: number): void {
  const code = block[0];
  if (code !== NOT_IMPLEMENTED && code !== OCCURRENCE) return;
  const r = new FieldReader(block, `response 0x${hex(code)}`);
  const meterSerial = r.digits(1, 4, 'meter serial');
  const sent = expected === undefined ? '' : ` in answer to ${label(expected)}`;
  if (code === NOT_IMPLEMENTED) {
    const { command } = cmd39.decodeResponse(r);
    throw new FronteiraError(
      'FRONTEIRA_E_ABNT_NOT_IMPLEMENTED',
      `meter ${meterSerial} does not implement command ${label(command)} (0x39 response${sent})`,
      { command, commandName: commandName(command), meterSerial, expected },
    );
  }
  const { occurrence, subCode } = cmd40.decodeResponse(r);
  throw new FronteiraError(
    'FRONTEIRA_E_ABNT_OCCURRENCE',
    `meter ${meterSerial} reported occurrence ${describeOccurrence(occurrence.code)}, sub-code 0x${hex(subCode)}${sent}`,
    { occurrence: occurrence.code, occurrenceName: occurrence.name, subCode, meterSerial, expected },
  );
}

/**
 * Checks length and CRC, turns 0x39/0x40 into FRONTEIRA_E_ABNT_NOT_IMPLEMENTED / _OCCURRENCE, rejects any other
 * code than the spec's (FRONTEIRA_E_ABNT_UNEXPECTED_CODE), then decodes the data.
 */
export function parseResponse<Req, Res>(spec: CommandSpec<Req, Res>, block: Uint8Array): ParsedResponse<Res> {
  decodeResponse(block);
  throwIfException(block, spec.code);
  const code = block[0];
  if (code !== spec.code) {
    throw new FronteiraError(
      'FRONTEIRA_E_ABNT_UNEXPECTED_CODE',
      `expected a response to ${label(spec.code)}, got code ${label(code)}`,
      { expected: spec.code, actual: code },
    );
  }
  const r = new FieldReader(block, `response 0x${hex(code)}`);
  const meterSerial = r.digits(1, 4, 'meter serial');
  const value = spec.decodeResponse(r);
  return { meterSerial, value, warnings: r.warnings };
}

export type BlockDescription =
  | { code: number; name: string; meterSerial: string; value: unknown; warnings: string[] }
  | {
      code: number;
      /** Null for codes outside the catalogue (vendor commands). */
      name: string | null;
      meterSerial: string;
      /** The whole block as hex, when it could not be decoded. */
      raw: string;
      warnings: string[];
      /** Why a known code did not decode; null for unknown codes. */
      error: { code: string; message: string } | null;
    };

/**
 * Decodes any 258-byte response for diagnostics and raw-frame logs, exception blocks included. A bad length or CRC
 * is a typed error; a known code whose data does not decode comes back raw with the error, so a log never fails.
 */
export function describeBlock(block: Uint8Array): BlockDescription {
  decodeResponse(block);
  const code = block[0];
  const r = new FieldReader(block, `response 0x${hex(code)}`);
  const meterSerial = r.digits(1, 4, 'meter serial');
  const spec = COMMANDS.get(code);
  if (!spec) return { code, name: null, meterSerial, raw: hexBytes(block), warnings: r.warnings, error: null };
  try {
    return { code, name: spec.name, meterSerial, value: spec.decodeResponse(r), warnings: r.warnings };
  } catch (e) {
    if (!isFronteiraError(e)) throw e;
    return {
      code,
      name: spec.name,
      meterSerial,
      raw: hexBytes(block),
      warnings: r.warnings,
      error: { code: e.code, message: e.message },
    };
  }
}

export interface ParsedRequest {
  /** Null for codes outside the catalogue (vendor commands) and for response-only codes. */
  spec: AnyCommandSpec | null;
  code: number;
  readerSerial: string;
  /** The decoded payload; null when spec is null. */
  request: unknown;
  /** Offsets 4–63, for vendor commands the catalogue does not know. */
  payload: Uint8Array;
  warnings: string[];
}

/**
 * The simulator's entry: checks length and CRC, finds the spec and decodes the payload. A known command with an
 * invalid payload throws the typed error (the simulator answers it with 0x40/0x46).
 */
export function parseRequest(block: Uint8Array): ParsedRequest {
  const frame = decodeCommand(block);
  const r = new FieldReader(block, `command 0x${hex(frame.code)}`);
  const readerSerial = r.digits(1, 3, 'reader serial');
  const spec = RESPONSE_ONLY_CODES.has(frame.code) ? null : (COMMANDS.get(frame.code) ?? null);
  const request = spec ? spec.decodeRequest(r) : null;
  return { spec, code: frame.code, readerSerial, request, payload: frame.payload, warnings: r.warnings };
}

export * from './alterations.ts';
export * from './exceptions.ts';
export * from './instant.ts';
export * from './mass-memory.ts';
export * from './measurement.ts';
export * from './outages.ts';
export * from './parameters.ts';
export * from './partial-registers.ts';
export * from './registers.ts';
export * from './session.ts';
export * from './types.ts';
export * from './writes.ts';
