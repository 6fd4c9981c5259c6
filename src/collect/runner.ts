/**
 * Executes planned reads: a global limit on sessions at once, ONE session at a time per physical line (in this
 * process by a per-line queue, across processes by line leases), one at a time per meter, retries with exponential
 * backoff for link failures (not for a meter's protocol refusal: 0x39/0x40 would answer the same again), and every
 * session recorded through ingest. Sessions are ingested in batches (many readings per transaction), so the store's
 * connection — a single one on PGlite — is not the bottleneck; a run resolves only when its readings are committed.
 *
 * One Runner per process: several jobs share its limits and its lines.
 */
import { setMaxListeners } from 'node:events';
import { FronteiraError, isFronteiraError } from '../domain/errors.ts';
import { wallToInstant } from '../domain/time.ts';
import type { Logger } from '../logging.ts';
import type { LinkTimers } from '../protocols/abnt14522/link-timers.ts';
import type { ChannelRow } from '../store/registry.ts';
import type { IngestInput, IngestResult } from './ingest.ts';
import { type LeaseClient, lineKey, localLeases, meterKey } from './line-lease.ts';
import type { PlannedRead } from './planner.ts';
import { type ReadMeterOptions, readMeter } from './session/read-meter.ts';
import type { ClockCheck, ClockSet, Reading } from './session/reading.ts';

export type ReadFn = (address: string, opts: ReadMeterOptions) => Promise<Reading>;
export type IngestFn = (inputs: IngestInput[]) => Promise<IngestResult[]>;

export interface RunnerOptions {
  /** Sessions at once in this process (default 128). */
  concurrency: number;
  /** Attempts per read for link failures (default 3). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt, with up to 25 % jitter (default 2 s). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Wait before asking again for a line another process holds (default 1 s). */
  leaseRetryMs: number;
  /** Readings per ingest transaction (default 100). */
  ingestBatch: number;
  /** Longest a reading waits for its batch (default 1 s). */
  ingestFlushMs: number;
  /** Readings waiting for ingest above which no new session starts (memory bound; default 2000). */
  maxIngestBacklog: number;
  connectTimeoutMs: number;
}

export const DEFAULT_RUNNER_OPTIONS: Readonly<RunnerOptions> = Object.freeze({
  concurrency: 128,
  maxAttempts: 3,
  backoffBaseMs: 2000,
  backoffMaxMs: 120_000,
  leaseRetryMs: 1000,
  ingestBatch: 100,
  ingestFlushMs: 1000,
  maxIngestBacklog: 2000,
  connectTimeoutMs: 10_000,
});

export interface RunnerDeps {
  ingest: IngestFn;
  read?: ReadFn;
  leases?: LeaseClient;
  logger?: Logger;
  /** Delay source, for tests (default setTimeout). */
  delay?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

/** What later steps (clock check, gap bookkeeping, meter state) need from a reading, without its frames and data. */
export interface ReadingSummary {
  ok: boolean;
  sequence: string;
  startedAt: number;
  endedAt: number;
  failure: Reading['failure'];
  meterSerial: string | null;
  clock: ClockCheck | null;
  clockSet: ClockSet | null;
  /** Instants from the first parameters response. */
  lastReset: number | null;
  penultimateReset: number | null;
  resetCount: number | null;
  demandIntervalMinutes: number | null;
  /** Holidays the meter reports (wall-time midnights). */
  holidays: number[] | null;
  parametrization: Reading['parametrization'] | null;
  intervals: number;
  warnings: string[];
}

export interface ReadOutcome {
  read: PlannedRead;
  ok: boolean;
  attempts: number;
  sessionIds: number[];
  results: IngestResult[];
  /** Of the last attempt. */
  failure: Reading['failure'];
  summary: ReadingSummary | null;
  /** Set when no session ran (no channel, engine stopping). */
  skipped?: string;
}

export interface RunContext {
  jobId?: string | null;
}

/** Link and transport failures are worth another attempt; a refusal or a bad configuration is not. */
export function isRetryableFailure(code: string): boolean {
  if (code === 'FRONTEIRA_E_LINK_CONFIG' || code === 'FRONTEIRA_E_TRANSPORT_URL') return false;
  return (
    code.startsWith('FRONTEIRA_E_LINK_') ||
    code.startsWith('FRONTEIRA_E_TRANSPORT_') ||
    code === 'FRONTEIRA_E_ABNT_MASS_MEMORY' ||
    code === 'FRONTEIRA_E_ABNT_CRC' ||
    code === 'FRONTEIRA_E_ABNT_FRAME_LENGTH'
  );
}

export function backoffMs(attempt: number, opts: Pick<RunnerOptions, 'backoffBaseMs' | 'backoffMaxMs'>, u = 0): number {
  const base = Math.min(opts.backoffMaxMs, opts.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 + 0.25 * u));
}

export function summarize(reading: Reading, zone: string): ReadingSummary {
  const p = reading.groups[0]?.parameters;
  const toInstant = (w: number | null | undefined) => (w === null || w === undefined ? null : wallToInstant(w, zone));
  let intervals = 0;
  for (const g of reading.groups) intervals += g.massMemory?.timeline.count ?? 0;
  return {
    ok: reading.ok,
    sequence: reading.sequence,
    startedAt: reading.startedAt,
    endedAt: reading.endedAt,
    failure: reading.failure,
    meterSerial: reading.meterSerial,
    clock: reading.clock,
    clockSet: reading.clockSet ?? null,
    lastReset: toInstant(p?.lastReset),
    penultimateReset: toInstant(p?.penultimateReset),
    resetCount: p?.resetCount ?? null,
    demandIntervalMinutes: p?.demandIntervalMinutes.current ?? null,
    holidays: p ? p.holidays.filter((h): h is number => h !== null) : null,
    parametrization: reading.parametrization ?? null,
    intervals,
    warnings: reading.warnings.slice(0, 20),
  };
}

/** A Reading for a session that could not even start (bad address, unexpected exception): still recorded. */
function failedReading(read: PlannedRead, channel: ChannelRow, e: unknown, at: number): Reading {
  const code = isFronteiraError(e) ? e.code : 'INTERNAL';
  const message = e instanceof Error ? e.message : String(e);
  return {
    address: channel.address,
    sequence: read.sequence,
    readerSerial: channel.reader_serial,
    zone: read.point.timezone,
    startedAt: at,
    endedAt: at,
    ok: false,
    failure: { step: 'connect', code, message },
    meterSerial: null,
    identity: null,
    clock: null,
    groups: [],
    steps: [],
    frames: [],
    warnings: [],
  };
}

interface ReadState {
  read: PlannedRead;
  ctx: RunContext;
  attempt: number;
  outcome: ReadOutcome;
  ingests: Promise<void>[];
  finish: () => void;
}

/** Groups readings into one ingest transaction per `batch` readings or per `flushMs`, one transaction at a time. */
export class IngestBatcher {
  private queue: { input: IngestInput; resolve: (r: IngestResult) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly ingest: IngestFn,
    private readonly opts: { batch: number; flushMs: number; onDrain?: () => void },
  ) {}

  /** Readings queued or being written. */
  get backlog(): number {
    return this.queue.length + this.inFlight;
  }

  add(input: IngestInput): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.opts.batch) this.kick();
      else if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.kick();
        }, this.opts.flushMs);
      }
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.loop().finally(() => {
      this.flushing = null;
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      const batch = this.queue.splice(0, this.opts.batch);
      this.inFlight = batch.length;
      try {
        const results = await this.ingest(batch.map((b) => b.input));
        if (results.length !== batch.length) {
          throw new FronteiraError(
            'FRONTEIRA_E_CONFLICT',
            `ingest returned ${results.length} results for ${batch.length} readings`,
          );
        }
        for (const [i, b] of batch.entries()) b.resolve(results[i]);
      } catch (e) {
        for (const b of batch) b.reject(e);
      } finally {
        this.inFlight = 0;
      }
      this.opts.onDrain?.();
    }
  }

  /** Starts writing what is queued without waiting for the batch to fill. */
  flushSoon(): void {
    if (this.queue.length > 0) this.kick();
  }

  /** Writes whatever is queued now and waits for it. */
  async flush(): Promise<void> {
    this.kick();
    while (this.flushing) await this.flushing;
  }
}

export class Runner {
  readonly opts: RunnerOptions;
  private readonly read: ReadFn;
  private readonly leases: LeaseClient;
  private readonly logger: Logger | undefined;
  private readonly delay: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly batcher: IngestBatcher;
  /** Attempts waiting for their line, per concurrency group. */
  private readonly byLine = new Map<string, ReadState[]>();
  /** Lines with waiting attempts that may start now, in arrival order. */
  private readonly ready = new Set<string>();
  /** Lines that only wait for a busy meter (per-meter exclusivity), re-examined when a meter frees. */
  private readonly meterBlocked = new Set<string>();
  private readonly busyLines = new Set<string>();
  private readonly busyMeters = new Set<number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Reads between two attempts (backoff), so a stop can end them. */
  private readonly backingOff = new Map<NodeJS.Timeout, ReadState>();
  /** Lines another process holds: not asked for again until their retry timer fires. */
  private readonly deferred = new Set<string>();
  /** Lease releases not yet written (awaited by close). */
  private readonly releasing = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private active = 0;
  private stopping = false;
  private pumping = false;

  constructor(deps: RunnerDeps, opts: Partial<RunnerOptions> = {}) {
    this.opts = { ...DEFAULT_RUNNER_OPTIONS, ...opts };
    if (!Number.isInteger(this.opts.concurrency) || this.opts.concurrency < 1) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `runner concurrency must be ≥ 1, got ${opts.concurrency}`);
    }
    this.read = deps.read ?? ((address, o) => readMeter(address, o));
    this.leases = deps.leases ?? localLeases;
    this.logger = deps.logger;
    this.delay = deps.delay ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = deps.random ?? Math.random;
    // Every session in progress listens to the one stop signal.
    setMaxListeners(0, this.abort.signal);
    this.batcher = new IngestBatcher(deps.ingest, {
      batch: this.opts.ingestBatch,
      flushMs: this.opts.ingestFlushMs,
      onDrain: () => this.pump(),
    });
  }

  /** Sessions running now. */
  get running(): number {
    return this.active;
  }

  /** Attempts waiting for a line, a meter or a slot. */
  get waiting(): number {
    let n = 0;
    for (const q of this.byLine.values()) n += q.length;
    return n;
  }

  /** Runs every read (retries included) and resolves when all their sessions are committed. */
  async run(reads: PlannedRead[], ctx: RunContext = {}): Promise<ReadOutcome[]> {
    const states: ReadState[] = [];
    const done: Promise<void>[] = [];
    for (const read of reads) {
      const outcome: ReadOutcome = {
        read,
        ok: false,
        attempts: 0,
        sessionIds: [],
        results: [],
        failure: null,
        summary: null,
      };
      let finish!: () => void;
      done.push(new Promise<void>((r) => (finish = r)));
      const state: ReadState = { read, ctx, attempt: 0, outcome, ingests: [], finish };
      states.push(state);
      if (read.channels.length === 0) {
        this.skip(state, 'no enabled communication channel');
      } else if (this.stopping) {
        this.skip(state, 'engine stopping');
      } else {
        this.enqueue(state);
      }
    }
    this.pump();
    await Promise.all(done);
    const settled = await Promise.allSettled(states.flatMap((s) => s.ingests));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return states.map((s) => s.outcome);
  }

  private skip(state: ReadState, reason: string): void {
    state.outcome.skipped = reason;
    state.finish();
  }

  private channelOf(state: ReadState): ChannelRow {
    const chans = state.read.channels;
    return chans[state.attempt % chans.length];
  }

  private enqueue(state: ReadState): void {
    const line = this.channelOf(state).concurrency_group;
    const q = this.byLine.get(line);
    if (q) q.push(state);
    else this.byLine.set(line, [state]);
    if (!this.busyLines.has(line) && !this.deferred.has(line)) this.ready.add(line);
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopping && this.active < this.opts.concurrency && this.ready.size > 0) {
        if (this.batcher.backlog >= this.opts.maxIngestBacklog) break;
        const line = this.ready.values().next().value as string;
        this.ready.delete(line);
        const q = this.byLine.get(line);
        if (!q || q.length === 0 || this.busyLines.has(line)) continue;
        const i = q.findIndex((s) => !this.busyMeters.has(s.read.meter.id));
        if (i < 0) {
          this.meterBlocked.add(line);
          continue;
        }
        const [state] = q.splice(i, 1);
        if (q.length === 0) this.byLine.delete(line);
        this.busyLines.add(line);
        this.busyMeters.add(state.read.meter.id);
        this.active++;
        this.attempt(state, line).catch((e) => this.crashed(state, e));
      }
      if (this.stopping) this.dropWaiting();
    } finally {
      this.pumping = false;
    }
  }

  private freeLine(line: string, meterId: number): void {
    this.busyLines.delete(line);
    this.busyMeters.delete(meterId);
    this.active--;
    if (this.byLine.get(line)?.length && !this.deferred.has(line)) this.ready.add(line);
    for (const l of this.meterBlocked) {
      if (this.byLine.get(l)?.length && !this.busyLines.has(l) && !this.deferred.has(l)) this.ready.add(l);
    }
    this.meterBlocked.clear();
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private async attempt(state: ReadState, line: string): Promise<void> {
    const { read } = state;
    const channel = this.channelOf(state);
    const keys = [lineKey(line), meterKey(read.meter.id)];
    let leased: boolean;
    try {
      leased = await this.leases.acquire(keys);
    } catch (e) {
      this.logger?.warn({ err: e, line }, 'line lease request failed; retrying');
      leased = false;
    }
    if (!leased) {
      // Another process holds the line or the meter: give the slot back and ask again later.
      this.deferred.add(line);
      this.freeLine(line, read.meter.id);
      this.byLine.set(line, [state, ...(this.byLine.get(line) ?? [])]);
      this.later(this.opts.leaseRetryMs, () => {
        this.deferred.delete(line);
        if (!this.busyLines.has(line) && this.byLine.get(line)?.length) this.ready.add(line);
        this.pump();
      });
      this.pump();
      return;
    }
    state.outcome.attempts++;
    let reading: Reading;
    const started = Date.now();
    try {
      reading = await this.read(channel.address, {
        sequence: read.sequence,
        window: read.window,
        groups: read.groups,
        zone: read.point.timezone,
        readerSerial: channel.reader_serial,
        packing: channel.packing,
        link: { timers: channel.timers as Partial<LinkTimers>, directional: channel.directional },
        connectTimeoutMs: this.opts.connectTimeoutMs,
        signal: this.abort.signal,
        demandIntervalMinutes: read.write?.demandIntervalMinutes,
        holidays: read.write?.holidays,
      });
    } catch (e) {
      reading = failedReading(read, channel, e, started);
    } finally {
      const released = this.leases
        .release(keys)
        .catch((e) => this.logger?.warn({ err: e, line }, 'line lease release failed'))
        .finally(() => this.releasing.delete(released));
      this.releasing.add(released);
      this.freeLine(line, read.meter.id);
      this.pump();
    }
    const summary = summarize(reading, read.point.timezone);
    state.outcome.summary = summary;
    state.outcome.ok = reading.ok;
    state.outcome.failure = reading.failure;
    const retry =
      !reading.ok &&
      reading.failure !== null &&
      isRetryableFailure(reading.failure.code) &&
      state.attempt + 1 < (read.maxAttempts ?? this.opts.maxAttempts) &&
      !this.stopping;
    this.logger?.debug(
      {
        meter: read.meter.serial,
        point: read.point.code,
        purpose: read.purpose,
        sequence: read.sequence,
        attempt: state.attempt + 1,
        ok: reading.ok,
        failure: reading.failure ?? undefined,
        intervals: summary.intervals,
        ms: reading.endedAt - reading.startedAt,
      },
      'session',
    );
    const ingest = this.batcher
      .add({
        meter: read.meter,
        point: read.point,
        channel,
        purpose: read.purpose,
        reading,
        jobId: state.ctx.jobId ?? null,
      })
      .then((r) => {
        state.outcome.results.push(r);
        state.outcome.sessionIds.push(r.sessionId);
      });
    state.ingests.push(ingest);
    // A failed batch is reported by run() once every read is over; until then it must not count as unhandled.
    ingest.catch(() => {});
    // Nothing else is about to be read: no reason to wait for the batch to fill.
    if (this.active === 0 && this.ready.size === 0 && this.backingOff.size === 0) this.batcher.flushSoon();
    if (retry) {
      const wait = backoffMs(state.attempt + 1, this.opts, this.random());
      state.attempt++;
      const t = this.later(wait, () => {
        this.backingOff.delete(t);
        if (this.stopping) {
          this.skipAfterAttempt(state);
          return;
        }
        this.enqueue(state);
        this.pump();
      });
      this.backingOff.set(t, state);
      return;
    }
    // The read is over once its last session is committed (or failed to be).
    ingest.then(state.finish, state.finish);
  }

  /** A bug, not a meter problem: the read ends failed instead of hanging its job. */
  private crashed(state: ReadState, e: unknown): void {
    this.logger?.error({ err: e, meter: state.read.meter.serial }, 'runner error');
    state.outcome.ok = false;
    state.outcome.failure = { step: 'runner', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
    this.skipAfterAttempt(state);
  }

  private skipAfterAttempt(state: ReadState): void {
    Promise.allSettled(state.ingests).then(() => state.finish());
  }

  private dropWaiting(): void {
    for (const q of this.byLine.values()) {
      for (const s of q) {
        if (s.outcome.attempts === 0) s.outcome.skipped = 'engine stopping';
        this.skipAfterAttempt(s);
      }
    }
    this.byLine.clear();
    this.ready.clear();
    this.meterBlocked.clear();
  }

  /**
   * Stops starting sessions; reads not started end as skipped. Sessions in progress get `graceMs` to finish before
   * they are aborted; every reading already taken is still committed.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) {
      clearTimeout(t);
    }
    this.timers.clear();
    for (const s of this.backingOff.values()) this.skipAfterAttempt(s);
    this.backingOff.clear();
    this.deferred.clear();
    this.dropWaiting();
    const deadline = Date.now() + graceMs;
    while (this.active > 0 && Date.now() < deadline) await this.delay(20);
    if (this.active > 0) this.abort.abort();
    while (this.active > 0) await this.delay(20);
    await this.batcher.flush();
    await Promise.all([...this.releasing]);
  }
}
