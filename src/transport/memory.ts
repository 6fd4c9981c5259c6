/**
 * Two connected in-memory ByteTransports, for tests and benchmarks: what one end sends the other receives, on a
 * later turn of the event loop (never inside send), optionally split into small chunks or coalesced the way TCP
 * does, and optionally cut after a number of bytes to play a dropped connection.
 */
import { FronteiraError } from '../domain/errors.ts';
import type { ByteTransport } from './transport.ts';

export interface MemoryPairOptions {
  /** Split every delivery into chunks of at most this many bytes (1 = byte by byte). */
  chunkSize?: number;
  /** Deliver everything queued since the last delivery as one chunk (before any chunkSize split). */
  coalesce?: boolean;
  /** Drop the connection once this many bytes have been sent, counting both directions together. */
  closeAfterBytes?: number;
  /** Labels of the two ends. */
  labels?: [string, string];
}

interface PairState {
  chunkSize: number;
  coalesce: boolean;
  /** Bytes still allowed through before the drop; Infinity when unlimited. */
  budget: number;
  broken: boolean;
}

class MemoryEnd implements ByteTransport {
  peer!: MemoryEnd;
  private queue: Uint8Array[] = [];
  private onBytes: ((bytes: Uint8Array) => void) | null = null;
  private onClose: ((error?: FronteiraError) => void) | null = null;
  private scheduled = false;
  private _closed = false;
  /** Set when the close must be reported once what is queued has been delivered (peer close or drop). */
  private pendingClose: FronteiraError | null = null;
  /** Local close waiting for its (argument-less) report. */
  private localClosePending = false;

  constructor(
    readonly label: string,
    private readonly pair: PairState,
  ) {}

  get closed(): boolean {
    return this._closed;
  }

  send(bytes: Uint8Array): void {
    if (this._closed || this.pair.broken || bytes.length === 0) return;
    const pair = this.pair;
    let data = bytes.slice();
    if (data.length >= pair.budget) {
      data = data.subarray(0, pair.budget);
      pair.budget = 0;
      pair.broken = true;
      const error = new FronteiraError(
        'FRONTEIRA_E_TRANSPORT_CLOSED',
        `memory link ${this.label} ↔ ${this.peer.label} dropped (closeAfterBytes reached)`,
        { transport: 'memory' },
      );
      if (data.length > 0) this.peer.enqueue(data);
      this.peer.closeLater(error);
      this.closeLater(error);
      return;
    }
    pair.budget -= data.length;
    this.peer.enqueue(data);
  }

  setHandlers(onBytes: (bytes: Uint8Array) => void, onClose: (error?: FronteiraError) => void): void {
    if (this.onBytes) return;
    this.onBytes = onBytes;
    this.onClose = onClose;
    this.schedule();
  }

  close(): void {
    if (this._closed) return;
    this._closed = true;
    this.queue = [];
    this.pendingClose = null;
    this.localClosePending = true;
    if (!this.pair.broken) {
      this.peer.closeLater(
        new FronteiraError('FRONTEIRA_E_TRANSPORT_CLOSED', `${this.label} closed the connection`, {
          transport: 'memory',
        }),
      );
    }
    this.schedule();
  }

  private enqueue(bytes: Uint8Array): void {
    if (this._closed) return;
    this.queue.push(bytes);
    this.schedule();
  }

  private closeLater(error: FronteiraError): void {
    if (this._closed || this.pendingClose) return;
    this.pendingClose = error;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || !this.onBytes) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.localClosePending) {
      this.localClosePending = false;
      this.onClose?.();
      return;
    }
    if (this._closed) return;
    let items = this.queue;
    this.queue = [];
    if (this.pair.coalesce && items.length > 1) items = [concat(items)];
    const size = this.pair.chunkSize;
    for (const item of items) {
      for (let off = 0; off < item.length; off += size) {
        if (this._closed) return;
        this.onBytes!(size >= item.length ? item : item.subarray(off, off + size));
      }
    }
    if (this.pendingClose && !this._closed && this.queue.length === 0) {
      const error = this.pendingClose;
      this.pendingClose = null;
      this._closed = true;
      this.onClose!(error);
    }
  }
}

function concat(items: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const it of items) n += it.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const it of items) {
    out.set(it, off);
    off += it.length;
  }
  return out;
}

export function createMemoryPair(opts: MemoryPairOptions = {}): [ByteTransport, ByteTransport] {
  const chunkSize = opts.chunkSize ?? Number.POSITIVE_INFINITY;
  if (!(chunkSize >= 1)) {
    throw new FronteiraError('FRONTEIRA_E_LINK_CONFIG', `memory pair chunkSize must be ≥ 1, got ${opts.chunkSize}`);
  }
  const budget = opts.closeAfterBytes ?? Number.POSITIVE_INFINITY;
  if (!(budget >= 0)) {
    throw new FronteiraError(
      'FRONTEIRA_E_LINK_CONFIG',
      `memory pair closeAfterBytes must be ≥ 0, got ${opts.closeAfterBytes}`,
    );
  }
  const pair: PairState = { chunkSize, coalesce: opts.coalesce ?? false, budget, broken: false };
  const [la, lb] = opts.labels ?? ['memory:a', 'memory:b'];
  const a = new MemoryEnd(la, pair);
  const b = new MemoryEnd(lb, pair);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
