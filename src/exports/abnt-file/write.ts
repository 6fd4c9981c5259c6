/**
 * Lays response blocks out as an ABNT reading file (format.ts): each 258-byte block as received, cut to 256 bytes
 * for 'fk7' or kept whole for 'fk7-crc'. Only sound blocks are written: a block of another length or with a bad
 * CRC is a typed error naming its position, since a file must never carry bytes the meter did not send.
 */
import { FronteiraError } from '../../domain/errors.ts';
import { RESPONSE_LENGTH } from '../../protocols/abnt14522/constants.ts';
import { crc16 } from '../../protocols/abnt14522/crc.ts';
import { type AbntFileLayout, blockSize, hex2 } from './format.ts';

export function writeAbntFile(blocks: readonly Uint8Array[], layout: AbntFileLayout = 'fk7'): Uint8Array {
  const size = blockSize(layout);
  const out = new Uint8Array(blocks.length * size);
  blocks.forEach((b, i) => {
    if (!(b instanceof Uint8Array) || b.length !== RESPONSE_LENGTH) {
      throw new FronteiraError(
        'FRONTEIRA_E_ABNT_FRAME_LENGTH',
        `reading file: response ${i + 1} is ${b?.length ?? 0} bytes, expected ${RESPONSE_LENGTH}`,
        { index: i, expected: RESPONSE_LENGTH, actual: b?.length ?? 0 },
      );
    }
    if (crc16(b) !== 0) {
      throw new FronteiraError(
        'FRONTEIRA_E_ABNT_CRC',
        `reading file: response ${i + 1} (code 0x${hex2(b[0])}) has a bad CRC; only blocks as received are written`,
        { index: i, code: b[0] },
      );
    }
    out.set(b.subarray(0, size), i * size);
  });
  return out;
}
