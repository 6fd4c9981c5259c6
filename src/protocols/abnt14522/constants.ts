/** Signalling bytes ("sinalizadores", spec §3.1) and block sizes (§4). */
export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;
export const WAIT = 0x10;
/** Connection request, directional mode only (§11.2). */
export const ALO = 0xff;

export const COMMAND_LENGTH = 66;
export const RESPONSE_LENGTH = 258;
/** Command payload: offsets 4–63. */
export const COMMAND_PAYLOAD_OFFSET = 4;
export const COMMAND_PAYLOAD_LENGTH = 60;
/** Response data: offsets 5–255. */
export const RESPONSE_DATA_OFFSET = 5;

/** Response codes that replace the normal answer (§7.9). */
export const NOT_IMPLEMENTED = 0x39;
export const OCCURRENCE = 0x40;

/** Commands answered with several blocks (§3.3). */
export const COMPOSITE_COMMANDS: ReadonlySet<number> = new Set([0x26, 0x27, 0x52]);

export function isSignal(b: number): boolean {
  return b === ENQ || b === ACK || b === NAK || b === WAIT;
}
