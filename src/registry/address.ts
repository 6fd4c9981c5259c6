/**
 * Channel addresses in one spelling, so `tcp://Modem-1:4001/` and `tcp://modem-1:4001` are the same channel when an
 * import looks a channel up by its address. Parsing is transport/address.ts's; this only writes the result back.
 */
import { isFronteiraError } from '../domain/errors.ts';
import { parseAddress } from '../transport/address.ts';
import { invalid } from './text.ts';

export function normalizeAddress(field: string, text: string): { address: string; kind: 'tcp' | 'serial' } {
  let a: ReturnType<typeof parseAddress>;
  try {
    a = parseAddress(text);
  } catch (e) {
    if (isFronteiraError(e)) {
      const why = e.message.replace(/^invalid meter address '.*?': /, '');
      throw invalid(field, text, why);
    }
    throw e;
  }
  if (a.kind === 'tcp') {
    const lower = a.host.toLowerCase();
    const host = lower.includes(':') ? `[${lower}]` : lower;
    return { address: `tcp://${host}:${a.port}`, kind: 'tcp' };
  }
  return { address: `serial://${a.path}?baud=${a.baudRate}${a.dtr ? '' : '&dtr=0'}`, kind: 'serial' };
}
