/**
 * Meter addresses as users write them: `tcp://HOST:PORT` or `serial:///dev/ttyUSB0?baud=9600[&dtr=0]`.
 */
import { FronteiraError } from '../domain/errors.ts';
import { openSerial } from './serial.ts';
import { connectTcp } from './tcp.ts';
import type { ByteTransport } from './transport.ts';

export type MeterAddress =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'serial'; path: string; baudRate: number; dtr: boolean };

export function parseAddress(text: string): MeterAddress {
  const bad = (why: string) =>
    new FronteiraError(
      'FRONTEIRA_E_TRANSPORT_URL',
      `invalid meter address '${text}': ${why} (use tcp://HOST:PORT or serial:///dev/ttyX?baud=9600)`,
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol === 'tcp:') {
    const port = Number(url.port);
    if (!url.hostname) throw bad('missing host');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('missing or invalid port');
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  if (url.protocol === 'serial:') {
    const path = decodeURIComponent(url.pathname);
    if (!path || path === '/') throw bad('missing device path');
    const baudText = url.searchParams.get('baud') ?? '9600';
    const baudRate = Number(baudText);
    if (!Number.isInteger(baudRate) || baudRate < 50 || baudRate > 4_000_000) throw bad(`invalid baud '${baudText}'`);
    const dtr = url.searchParams.get('dtr') !== '0';
    return { kind: 'serial', path, baudRate, dtr };
  }
  throw bad(`unknown scheme '${url.protocol}'`);
}

export function formatAddress(a: MeterAddress): string {
  return a.kind === 'tcp' ? `tcp://${a.host}:${a.port}` : `serial://${a.path}?baud=${a.baudRate}`;
}

export async function openTransport(
  address: MeterAddress,
  opts: { connectTimeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ByteTransport> {
  if (address.kind === 'tcp') return connectTcp(address.host, address.port, opts);
  return openSerial({ path: address.path, baudRate: address.baudRate, dtr: address.dtr });
}
