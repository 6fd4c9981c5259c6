/**
 * CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no final XOR), the checksum of every ABNT NBR 14522 block.
 * It is appended low byte first, so running it over a whole good block (CRC included) leaves 0.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/**
 * One byte of crc16, for loops that do other work on each byte in the same pass (the mass-memory assembler copies and
 * unpacks while it checks): the CRC is a chain of dependent lookups, so that work runs in its shadow nearly free.
 */
export function crc16Step(crc: number, byte: number): number {
  return (crc >>> 8) ^ TABLE[(crc ^ byte) & 0xff];
}

/** Writes the CRC of bytes[0 .. length-2) into the last two bytes, low byte first. */
export function sealBlock(block: Uint8Array): Uint8Array {
  const n = block.length - 2;
  const crc = crc16(block, 0, n);
  block[n] = crc & 0xff;
  block[n + 1] = crc >>> 8;
  return block;
}

/** True when the block's trailing CRC matches its content. */
export function blockCrcOk(block: Uint8Array): boolean {
  return block.length >= 2 && crc16(block) === 0;
}
