/**
 * Block framing (spec §4): 66-byte commands (code, reader serial, 60-byte payload, CRC) and 258-byte responses
 * (code, meter serial, 251 data bytes, CRC). Builders seal the CRC; parsers check length and CRC and name what
 * is wrong. Field layouts inside the payload/data live in commands/.
 */
import { FronteiraError } from '../../domain/errors.ts';
import {
  COMMAND_LENGTH,
  COMMAND_PAYLOAD_LENGTH,
  COMMAND_PAYLOAD_OFFSET,
  RESPONSE_DATA_OFFSET,
  RESPONSE_LENGTH,
} from './constants.ts';
import { crc16, sealBlock } from './crc.ts';
import { FieldReader, FieldWriter, hex } from './fields.ts';

export interface CommandFrame {
  code: number;
  /** 6 BCD digits; meters log it in the alteration log (0x28). */
  readerSerial: string;
  /** Offsets 4–63 of the frame (a view into it). */
  payload: Uint8Array;
  /** The whole 66-byte frame, CRC included. */
  block: Uint8Array;
}

export interface ResponseFrame {
  code: number;
  /** 8 BCD digits. */
  meterSerial: string;
  /** The whole 258-byte block, CRC included (kept so any value can be re-decoded). */
  block: Uint8Array;
}

export function encodeCommand(code: number, readerSerial: string, fillPayload?: (w: FieldWriter) => void): Uint8Array {
  const b = new Uint8Array(COMMAND_LENGTH);
  const w = new FieldWriter(b, `command 0x${hex(code)}`);
  w.u8(0, code, 'command code');
  w.digits(1, 3, readerSerial, 'reader serial');
  fillPayload?.(w);
  return sealBlock(b);
}

function checkBlock(bytes: Uint8Array, expected: number, what: string): void {
  if (bytes.length !== expected) {
    throw new FronteiraError(
      'FRONTEIRA_E_ABNT_FRAME_LENGTH',
      `${what} must be ${expected} bytes, got ${bytes.length}`,
      { expected, actual: bytes.length },
    );
  }
  const got = bytes[expected - 2] | (bytes[expected - 1] << 8);
  const want = crc16(bytes, 0, expected - 2);
  if (got !== want) {
    throw new FronteiraError(
      'FRONTEIRA_E_ABNT_CRC',
      `${what} 0x${hex(bytes[0])}: CRC is ${hex(got & 0xff)} ${hex(got >> 8)}, computed ${hex(want & 0xff)} ${hex(want >> 8)}`,
      { code: bytes[0], received: got, computed: want },
    );
  }
}

export function decodeCommand(bytes: Uint8Array): CommandFrame {
  checkBlock(bytes, COMMAND_LENGTH, 'command');
  const r = new FieldReader(bytes, `command 0x${hex(bytes[0])}`);
  return {
    code: bytes[0],
    readerSerial: r.digits(1, 3, 'reader serial'),
    payload: bytes.subarray(COMMAND_PAYLOAD_OFFSET, COMMAND_PAYLOAD_OFFSET + COMMAND_PAYLOAD_LENGTH),
    block: bytes,
  };
}

export function encodeResponse(code: number, meterSerial: string, fillData?: (w: FieldWriter) => void): Uint8Array {
  const b = new Uint8Array(RESPONSE_LENGTH);
  const w = new FieldWriter(b, `response 0x${hex(code)}`);
  w.u8(0, code, 'response code');
  w.digits(1, 4, meterSerial, 'meter serial');
  fillData?.(w);
  return sealBlock(b);
}

export function decodeResponse(bytes: Uint8Array): ResponseFrame {
  checkBlock(bytes, RESPONSE_LENGTH, 'response');
  const r = new FieldReader(bytes, `response 0x${hex(bytes[0])}`);
  return { code: bytes[0], meterSerial: r.digits(1, 4, 'meter serial'), block: bytes };
}

export { RESPONSE_DATA_OFFSET };
