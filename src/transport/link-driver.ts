/**
 * The I/O edge of the link layer: binds a sans-I/O link machine (ReaderLink or MeterLink) to a ByteTransport. It feeds
 * the machine the bytes that arrive, sends what the machine says and keeps ONE timer armed at the machine's deadline;
 * this is the only place in the link layer with real timers and a clock (`performance.now()`).
 *
 * Kept cheap because a benchmark runs thousands at once: the timer is re-armed only when the deadline moves earlier
 * (a later deadline is picked up when the earlier timer fires), so a block arriving in many chunks costs no timer churn.
 */
import { FronteiraError } from '../domain/errors.ts';
import { hex } from '../protocols/abnt14522/fields.ts';
import type { MeterLink, MeterLinkEvent } from '../protocols/abnt14522/meter-link.ts';
import {
  type ExchangeStats,
  type ReaderAction,
  ReaderLink,
  type ReaderLinkEvent,
  type ReaderLinkOptions,
  type RequestOptions,
} from '../protocols/abnt14522/reader-link.ts';
import type { ByteTransport } from './transport.ts';

export type Clock = () => number;

const defaultClock: Clock = () => performance.now();

/** One timer chasing a deadline that moves. */
class DeadlineTimer {
  private handle: ReturnType<typeof setTimeout> | null = null;
  private armedFor = 0;

  constructor(private readonly onFire: () => void) {}

  set(deadline: number | null, now: number): void {
    if (deadline === null) {
      this.clear();
      return;
    }
    // Firing early is harmless (the machine's deadline is checked again), so a later deadline keeps the timer.
    if (this.handle !== null && this.armedFor <= deadline) return;
    this.clear();
    this.armedFor = deadline;
    this.handle = setTimeout(this.fire, Math.max(0, Math.ceil(deadline - now)));
  }

  clear(): void {
    if (this.handle !== null) {
      clearTimeout(this.handle);
      this.handle = null;
    }
  }

  private readonly fire = (): void => {
    this.handle = null;
    this.onFire();
  };
}

export interface TimedLinkEvent {
  /** Milliseconds since the exchange started. */
  atMs: number;
  event: ReaderLinkEvent;
}

export interface ExchangeResult {
  blocks: Uint8Array[];
  trace: TimedLinkEvent[];
  stats: ExchangeStats;
}

export interface ExchangeOptions extends RequestOptions {
  /** Called for every good block as soon as it is ACKed (composite transfers can be long). */
  onBlock?: (block: Uint8Array, index: number) => void;
  signal?: AbortSignal;
}

export interface ReaderConnectionOptions extends ReaderLinkOptions {
  /** Milliseconds, monotonic; defaults to performance.now(). */
  clock?: Clock;
}

interface PendingExchange {
  code: number;
  startedAt: number;
  blocks: Uint8Array[];
  trace: TimedLinkEvent[];
  onBlock: ((block: Uint8Array, index: number) => void) | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
  resolve: (r: ExchangeResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Blocks and trace gathered before a failure ride on the error as `details.blocks` and `details.trace`, so no good
 * data is lost; they are not enumerable, to keep the error's JSON small.
 */
function attachPartial(error: FronteiraError, ex: PendingExchange): FronteiraError {
  Object.defineProperty(error.details, 'blocks', { value: ex.blocks, enumerable: false, configurable: true });
  Object.defineProperty(error.details, 'trace', { value: ex.trace, enumerable: false, configurable: true });
  return error;
}

/** The blocks an exchange had received before it failed (empty when the error carries none). */
export function partialBlocks(error: unknown): Uint8Array[] {
  if (!(error instanceof FronteiraError)) return [];
  const b = error.details.blocks;
  return Array.isArray(b) ? (b as Uint8Array[]) : [];
}

/** The reader's end of one connection to a meter: one exchange at a time, many exchanges per connection. */
export class ReaderConnection {
  readonly link: ReaderLink;
  private readonly clock: Clock;
  private readonly timer: DeadlineTimer;
  private current: PendingExchange | null = null;
  private opening: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;
  private _closed = false;

  constructor(
    private readonly transport: ByteTransport,
    opts: ReaderConnectionOptions = {},
  ) {
    this.link = new ReaderLink(opts);
    this.clock = opts.clock ?? defaultClock;
    this.timer = new DeadlineTimer(this.onTimer);
    transport.setHandlers(this.onBytes, this.onClose);
  }

  get closed(): boolean {
    return this._closed;
  }

  /** Resolves on the meter's first ENQ (directional: after ALO); rejects with FRONTEIRA_E_LINK_NO_ENQ. */
  open(): Promise<void> {
    if (this._closed) return Promise.reject(this.closedError('opening the link', null));
    if (this.opening) return this.opening.promise;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.opening = { promise, resolve, reject };
    const now = this.clock();
    try {
      this.apply(this.link.open(now), now);
    } catch (e) {
      this.opening = null;
      return Promise.reject(e);
    }
    return promise;
  }

  /** Runs one command; opens the link first if needed. */
  exchange(command: Uint8Array, opts: ExchangeOptions = {}): Promise<ExchangeResult> {
    if (this._closed) return Promise.reject(this.closedError(`sending command 0x${hex(command[0] ?? 0)}`, null));
    if (opts.signal?.aborted) {
      return Promise.reject(
        new FronteiraError(
          'FRONTEIRA_E_SESSION_ABORTED',
          `command 0x${hex(command[0] ?? 0)} aborted before it started`,
        ),
      );
    }
    const now = this.clock();
    let actions: ReaderAction[];
    try {
      actions = this.link.request(command, now, opts);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<ExchangeResult>((resolve, reject) => {
      const ex: PendingExchange = {
        code: command[0],
        startedAt: now,
        blocks: [],
        trace: [],
        onBlock: opts.onBlock,
        signal: opts.signal,
        onAbort: null,
        resolve,
        reject,
      };
      if (opts.signal) {
        ex.onAbort = () => this.abortExchange(ex);
        opts.signal.addEventListener('abort', ex.onAbort, { once: true });
      }
      this.current = ex;
      this.apply(actions, now);
    });
  }

  /** Closes the transport; a pending open or exchange rejects with FRONTEIRA_E_SESSION_ABORTED. Idempotent. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    this.timer.clear();
    this.link.abort();
    const ex = this.current;
    if (ex) {
      this.settle(ex);
      ex.reject(
        attachPartial(
          new FronteiraError(
            'FRONTEIRA_E_SESSION_ABORTED',
            `connection to ${this.transport.label} closed locally during command 0x${hex(ex.code)} after ${ex.blocks.length} blocks`,
            { command: ex.code, blocksReceived: ex.blocks.length },
          ),
          ex,
        ),
      );
    }
    // Only when someone waits: an error captures a stack trace, too dear for every normal close.
    if (this.opening) {
      this.rejectOpening(
        new FronteiraError('FRONTEIRA_E_SESSION_ABORTED', `connection to ${this.transport.label} closed while opening`),
      );
    }
    this.transport.close();
  }

  private readonly onBytes = (bytes: Uint8Array): void => {
    if (this._closed) return;
    const now = this.clock();
    this.apply(this.link.receive(bytes, now), now);
  };

  private readonly onTimer = (): void => {
    if (this._closed) return;
    const now = this.clock();
    const d = this.link.deadline;
    if (d !== null && now >= d) this.apply(this.link.timeout(now), now);
    else this.timer.set(d, now);
  };

  private readonly onClose = (error?: FronteiraError): void => {
    if (this._closed) return; // our own close() already settled everything
    this._closed = true;
    this.timer.clear();
    this.link.abort();
    const ex = this.current;
    if (ex) {
      this.settle(ex);
      ex.reject(attachPartial(this.closedError(`command 0x${hex(ex.code)}`, ex, error), ex));
    }
    if (this.opening) this.rejectOpening(this.closedError('opening the link', null, error));
  };

  private closedError(during: string, ex: PendingExchange | null, cause?: FronteiraError): FronteiraError {
    const n = ex ? ex.blocks.length : 0;
    const got = ex ? ` after ${n} block${n === 1 ? '' : 's'}` : '';
    return new FronteiraError(
      'FRONTEIRA_E_TRANSPORT_CLOSED',
      `connection to ${this.transport.label} closed during ${during}${got}`,
      ex ? { command: ex.code, blocksReceived: n } : {},
      cause ? { cause } : undefined,
    );
  }

  private apply(actions: ReaderAction[], now: number): void {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i];
      switch (a.type) {
        case 'send':
          this.transport.send(a.bytes);
          break;
        case 'trace': {
          const ex = this.current;
          if (ex) ex.trace.push({ atMs: now - ex.startedAt, event: a.event });
          break;
        }
        case 'block': {
          const ex = this.current;
          if (!ex) break;
          ex.blocks.push(a.block);
          if (ex.onBlock) {
            try {
              ex.onBlock(a.block, a.index);
            } catch (e) {
              // The caller cannot take this block: end the exchange with its error, keeping what arrived.
              this.link.abort();
              this.settle(ex);
              ex.reject(e instanceof FronteiraError ? attachPartial(e, ex) : e);
              this.timer.set(this.link.deadline, now);
              return;
            }
          }
          break;
        }
        case 'opened':
          if (this.opening) {
            const o = this.opening;
            this.opening = null;
            o.resolve();
          }
          break;
        case 'done': {
          const ex = this.current;
          if (ex) {
            this.settle(ex);
            ex.resolve({ blocks: a.blocks, trace: ex.trace, stats: a.stats });
          }
          break;
        }
        case 'failed': {
          const ex = this.current;
          if (ex) {
            this.settle(ex);
            ex.reject(attachPartial(a.error, ex));
          }
          this.rejectOpening(a.error);
          break;
        }
      }
    }
    if (!this._closed) this.timer.set(this.link.deadline, now);
  }

  private abortExchange(ex: PendingExchange): void {
    if (this.current !== ex) return;
    this.link.abort();
    this.timer.set(this.link.deadline, this.clock());
    this.settle(ex);
    ex.reject(
      attachPartial(
        new FronteiraError(
          'FRONTEIRA_E_SESSION_ABORTED',
          `command 0x${hex(ex.code)} aborted by the caller after ${ex.blocks.length} blocks`,
          { command: ex.code, blocksReceived: ex.blocks.length, reason: String(ex.signal?.reason ?? '') },
        ),
        ex,
      ),
    );
  }

  private settle(ex: PendingExchange): void {
    if (ex.onAbort) ex.signal!.removeEventListener('abort', ex.onAbort);
    ex.onAbort = null;
    if (this.current === ex) this.current = null;
  }

  private rejectOpening(error: FronteiraError): void {
    const o = this.opening;
    if (!o) return;
    this.opening = null;
    o.reject(error);
  }
}

export interface ServeMeterOptions {
  clock?: Clock;
  onTrace?: (event: MeterLinkEvent, now: number) => void;
  /** A responder failure (the connection is closed after it). */
  onError?: (error: unknown) => void;
}

/** Pumps one MeterLink over a transport until the transport closes, the machine disconnects, or stop() is called. */
export function serveMeterLink(
  transport: ByteTransport,
  link: MeterLink,
  opts: ServeMeterOptions = {},
): { stop(): void } {
  const clock = opts.clock ?? defaultClock;
  const onTrace = opts.onTrace;
  let stopped = false;

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    timer.clear();
    transport.close();
  };

  const apply = (actions: ReturnType<MeterLink['receive']>, now: number): void => {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i];
      if (a.type === 'send') transport.send(a.bytes);
      else if (a.type === 'trace') onTrace?.(a.event, now);
      else if (a.type === 'disconnect') {
        stop();
        return;
      }
    }
    if (!stopped) timer.set(link.deadline, now);
  };

  const run = (step: (now: number) => ReturnType<MeterLink['receive']>): void => {
    if (stopped) return;
    const now = clock();
    try {
      apply(step(now), now);
    } catch (e) {
      opts.onError?.(e);
      stop();
    }
  };

  const timer = new DeadlineTimer(() => {
    run((now) => {
      const d = link.deadline;
      if (d !== null && now >= d) return link.timeout(now);
      timer.set(d, now);
      return [];
    });
  });

  transport.setHandlers(
    (bytes) => run((now) => link.receive(bytes, now)),
    () => {
      stopped = true;
      timer.clear();
    },
  );
  run((now) => link.start(now));
  return { stop };
}
