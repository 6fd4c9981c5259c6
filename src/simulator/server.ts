/**
 * Serves one simulated meter: over TCP (one MeterLink + responder per connection, like a transparent modem), or over
 * a serial device such as a pty (one endless line). Transport faults are played here, around the link: byte
 * fragmentation, line-speed pacing, disconnect after n blocks, unreachable windows.
 */
import net from 'node:net';
import type { FronteiraError } from '../domain/errors.ts';
import { instantToWall } from '../domain/time.ts';
import { RESPONSE_LENGTH } from '../protocols/abnt14522/constants.ts';
import type { WallTime } from '../protocols/abnt14522/fields.ts';
import type { MassMemoryPacking } from '../protocols/abnt14522/mass-memory.ts';
import { MeterLink, type MeterLinkTimers } from '../protocols/abnt14522/meter-link.ts';
import { serveMeterLink } from '../transport/link-driver.ts';
import { openSerial } from '../transport/serial.ts';
import { SocketTransport } from '../transport/tcp.ts';
import type { ByteTransport } from '../transport/transport.ts';
import type { MeterFaults, MeterLinkFaults } from './faults.ts';
import type { SimulatedMeter } from './meter-model.ts';
import { LinePacer, type PacedChannel } from './pacing.ts';
import { createResponder } from './responder.ts';

export interface MeterServerOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  faults?: MeterFaults | null;
  packing?: MassMemoryPacking;
  /** TRUE wall time (Brasília) now; default the system clock. */
  now?: () => WallTime;
  meterTimers?: Partial<MeterLinkTimers>;
  directional?: boolean;
  /** Shared pacer (one per fleet); created from faults.pacingBaud when absent. */
  pacer?: LinePacer;
}

export interface MeterServer {
  readonly meter: SimulatedMeter;
  readonly port: number;
  readonly address: string;
  /** Connections accepted so far (refused ones included). */
  readonly accepted: number;
  readonly refused: number;
  close(): Promise<void>;
}

export const systemWallClock = (): WallTime => instantToWall(Date.now());

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** Is the meter unreachable now? Daily windows are in meter-local wall time; absolute ones in instants. */
export function isUnreachable(faults: MeterFaults | null | undefined, wallNow: WallTime, instantNow: number): boolean {
  if (!faults) return false;
  for (const w of faults.unreachable ?? []) if (instantNow >= w.from && instantNow < w.to) return true;
  const minute = Math.floor((wallNow % 86_400_000) / 60_000);
  for (const w of faults.unreachableDaily ?? []) {
    const from = minutesOf(w.from);
    const to = minutesOf(w.to);
    if (from <= to ? minute >= from && minute < to : minute >= from || minute < to) return true;
  }
  return false;
}

/**
 * The simulator's side of a connection with transport faults applied: chunked or paced writes, reads paced at line
 * speed, and a hang-up after n response blocks.
 */
export class FaultyTransport implements ByteTransport {
  private blocksSent = 0;
  private out: PacedChannel | null = null;
  private in: PacedChannel | null = null;
  private chunks: Uint8Array[] = [];
  private draining = false;
  private closing = false;

  constructor(
    private readonly inner: ByteTransport,
    private readonly faults: MeterFaults,
    private readonly pacer: LinePacer | null,
  ) {
    if (pacer) this.out = pacer.channel((b) => this.write(b));
  }

  get label(): string {
    return this.inner.label;
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  setHandlers(onBytes: (bytes: Uint8Array) => void, onClose: (error?: FronteiraError) => void): void {
    // The reader's bytes also take line time to arrive (66 bytes ≈ 69 ms at 9600 baud).
    if (this.pacer) this.in = this.pacer.channel(onBytes);
    this.inner.setHandlers(
      (b) => (this.in ? this.in.push(b.slice()) : onBytes(b)),
      (e) => {
        this.out?.close();
        this.in?.close();
        onClose(e);
      },
    );
  }

  send(bytes: Uint8Array): void {
    if (this.inner.closed || this.closing) return;
    if (bytes.length === RESPONSE_LENGTH) this.blocksSent++;
    if (this.out) this.out.push(bytes);
    else this.write(bytes);
    const limit = this.faults.disconnectAfterBlocks;
    if (limit !== undefined && this.blocksSent >= limit && bytes.length === RESPONSE_LENGTH) {
      this.closing = true;
      const wait = this.out ? this.out.drainMs() + 10 : 5;
      setTimeout(() => this.inner.close(), wait);
    }
  }

  private write(bytes: Uint8Array): void {
    const n = this.faults.fragmentBytes;
    if (!n || n >= bytes.length) {
      this.chunks.push(bytes);
    } else {
      for (let i = 0; i < bytes.length; i += n) this.chunks.push(bytes.subarray(i, i + n));
    }
    if (n) this.drain();
    else this.inner.send(this.chunks.shift()!);
  }

  /** Fragmented writes go out one chunk per event-loop turn, so TCP cannot merge them back. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    const step = () => {
      const c = this.chunks.shift();
      if (!c || this.inner.closed) {
        this.draining = false;
        this.chunks.length = 0;
        return;
      }
      this.inner.send(c);
      setImmediate(step);
    };
    setImmediate(step);
  }

  close(): void {
    this.out?.close();
    this.in?.close();
    this.inner.close();
  }
}

function linkFaults(f: MeterFaults | null | undefined): MeterLinkFaults | undefined {
  if (!f) return undefined;
  const { badCrcBlocks, persistentBadCrcBlocks, nakStorm, waitBurst, dropAcks, enqIntervalMs, noEnq } = f;
  return { badCrcBlocks, persistentBadCrcBlocks, nakStorm, waitBurst, dropAcks, enqIntervalMs, noEnq };
}

function hasTransportFaults(f: MeterFaults | null | undefined): f is MeterFaults {
  return !!f && (f.fragmentBytes !== undefined || f.disconnectAfterBlocks !== undefined || f.pacingBaud !== undefined);
}

/** Wires a meter (link + responder) onto one transport; returns the stop handle. */
export function serveMeter(
  meter: SimulatedMeter,
  transport: ByteTransport,
  opts: MeterServerOptions,
): { stop(): void } {
  const now = opts.now ?? systemWallClock;
  const faults = opts.faults ?? null;
  const pacer = opts.pacer ?? (faults?.pacingBaud ? new LinePacer(faults.pacingBaud) : null);
  const t = hasTransportFaults(faults) || pacer ? new FaultyTransport(transport, faults ?? {}, pacer) : transport;
  const timers = { ...opts.meterTimers };
  if (faults?.enqIntervalMs !== undefined) timers.enqIntervalMs = faults.enqIntervalMs;
  const link = new MeterLink({
    respond: createResponder(meter, { now, packing: opts.packing }),
    timers,
    directional: opts.directional,
    faults: linkFaults(faults),
  });
  return serveMeterLink(t, link);
}

export function startMeterServer(meter: SimulatedMeter, opts: MeterServerOptions = {}): Promise<MeterServer> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? systemWallClock;
  let accepted = 0;
  let refused = 0;
  const live = new Set<{ stop(): void }>();
  /** tcp://host:port once listening (no call arrives before). */
  let address = '';
  const server = net.createServer((socket) => {
    accepted++;
    if (isUnreachable(opts.faults, now(), Date.now())) {
      refused++;
      socket.destroy();
      return;
    }
    // Named by the meter's own address and the call's number: the reader's address would cost a getpeername
    // system call per connection, which shows when thousands of readers dial in at once.
    const transport = new SocketTransport(socket, `${address} call ${accepted}`);
    const handle = serveMeter(meter, transport, opts);
    live.add(handle);
    socket.once('close', () => live.delete(handle));
  });
  server.maxConnections = 4; // a modem takes one call; a few extra let tests probe "busy"
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      const port = (server.address() as net.AddressInfo).port;
      address = `tcp://${host}:${port}`;
      resolve({
        meter,
        port,
        address,
        get accepted() {
          return accepted;
        },
        get refused() {
          return refused;
        },
        close: () =>
          new Promise<void>((res) => {
            for (const h of live) h.stop();
            live.clear();
            server.close(() => res());
          }),
      });
    });
  });
}

/** Serves a meter on a serial device (e.g. one end of a pty pair) until stop(). */
export async function serveMeterOnSerial(
  meter: SimulatedMeter,
  path: string,
  opts: MeterServerOptions & { baudRate?: number } = {},
): Promise<{ stop(): void }> {
  const transport = await openSerial({ path, baudRate: opts.baudRate ?? 9600, dtr: false });
  return serveMeter(meter, transport, opts);
}
