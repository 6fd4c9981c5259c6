/**
 * Reads one meter end to end: connect, wait for the meter's ENQ, run a sequence, close. Never throws for a meter
 * or link problem: the Reading says where it stopped and why, with everything read before that.
 */
import { isFronteiraError } from '../../domain/errors.ts';
import { DEFAULT_ZONE } from '../../domain/time.ts';
import type { MassMemoryPacking } from '../../protocols/abnt14522/mass-memory.ts';
import type { ReaderLinkOptions } from '../../protocols/abnt14522/reader-link.ts';
import { formatAddress, type MeterAddress, openTransport, parseAddress } from '../../transport/address.ts';
import { ReaderConnection } from '../../transport/link-driver.ts';
import type { ByteTransport } from '../../transport/transport.ts';
import { MeterSession } from './meter-session.ts';
import type { Reading } from './reading.ts';
import { type SequenceOptions, sequenceByName } from './sequences.ts';

export interface ReadMeterOptions extends Partial<SequenceOptions> {
  sequence?: string;
  /** 6 digits, logged by the meter in its alteration log. */
  readerSerial?: string;
  link?: ReaderLinkOptions;
  packing?: MassMemoryPacking;
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
  /** Use this transport instead of opening the address (tests, or a line already held by the caller). */
  transport?: ByteTransport;
}

export const DEFAULT_READER_SERIAL = '000001';

export async function readMeter(target: string | MeterAddress, opts: ReadMeterOptions = {}): Promise<Reading> {
  const sequence = sequenceByName(opts.sequence ?? 'verificacao');
  const address = typeof target === 'string' ? parseAddress(target) : target;
  const now = opts.now ?? Date.now;
  const readerSerial = opts.readerSerial ?? DEFAULT_READER_SERIAL;
  const reading: Reading = {
    address: formatAddress(address),
    sequence: sequence.name,
    readerSerial,
    zone: opts.zone ?? DEFAULT_ZONE,
    startedAt: now(),
    endedAt: now(),
    ok: false,
    failure: null,
    meterSerial: null,
    identity: null,
    clock: null,
    groups: [],
    steps: [],
    frames: [],
    warnings: [],
  };
  const stop = (step: string, e: unknown) => {
    if (!isFronteiraError(e)) throw e;
    reading.failure = { step, code: e.code, message: e.message };
    reading.endedAt = now();
    return reading;
  };

  let transport: ByteTransport;
  try {
    transport =
      opts.transport ??
      (await openTransport(address, { connectTimeoutMs: opts.connectTimeoutMs, signal: opts.signal }));
  } catch (e) {
    return stop('connect', e);
  }
  const kind = address.kind === 'serial' ? 'serial' : 'tcp';
  const connection = new ReaderConnection(transport, { kind, ...opts.link });
  const session = new MeterSession(connection, { readerSerial, packing: opts.packing, signal: opts.signal, now });
  try {
    await connection.open();
    await sequence.run({
      session,
      reading,
      now,
      opts: {
        zone: reading.zone,
        groups: opts.groups,
        window: opts.window,
        demandIntervalMinutes: opts.demandIntervalMinutes,
        holidays: opts.holidays,
      },
    });
    reading.ok = true;
  } catch (e) {
    const failed = session.steps.findLast((s) => s.status === 'failed');
    stop(failed?.label ?? (session.steps.length === 0 ? 'open' : 'session'), e);
  } finally {
    connection.close();
    reading.meterSerial = session.meterSerial ?? null;
    reading.steps = session.steps;
    reading.frames = session.frames;
    reading.warnings.unshift(...session.warnings);
    reading.endedAt = now();
  }
  return reading;
}
