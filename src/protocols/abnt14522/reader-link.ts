/**
 * The reader ("leitor") side of the ABNT NBR 14522 link layer (spec §3.7, §11.2) as a sans-I/O state machine: bytes
 * and the current time go in, actions come out (bytes to send, blocks received, the end of an exchange, trace
 * events). It owns no socket, timer or clock: the driver reads `deadline` and calls `timeout(now)` when it passes.
 *
 * A link stays open across many exchanges (one reading session runs several commands on one connection). One
 * exchange = one command and its response block(s); it ends with exactly one `done` or `failed` action, after
 * which the link accepts the next request.
 */
import { FronteiraError } from '../../domain/errors.ts';
import {
  ACK,
  ALO,
  COMMAND_LENGTH,
  COMPOSITE_COMMANDS,
  ENQ,
  isSignal,
  NAK,
  NOT_IMPLEMENTED,
  OCCURRENCE,
  RESPONSE_LENGTH,
  WAIT,
} from './constants.ts';
import { blockCrcOk } from './crc.ts';
import { hex } from './fields.ts';
import { type LinkKind, type LinkLimits, type LinkTimers, resolveLimits, resolveTimers } from './link-timers.ts';

/** Bit 4 of offset 5 marks the last block of a composite response (§8.3). */
const LAST_BLOCK_FLAG = 0x10;
const LAST_BLOCK_OFFSET = 5;
/** [IDOC]: the meter needs one ALO; the reader gives up after five (§3.6). */
const DEFAULT_MAX_ALO = 5;

// Shared one-byte frames; never mutated.
const ACK_FRAME = Uint8Array.of(ACK);
const NAK_FRAME = Uint8Array.of(NAK);
const ALO_FRAME = Uint8Array.of(ALO);

export type ReaderLinkState =
  /** Not connected yet (or the connection attempt failed). */
  | 'closed'
  /** Waiting for the first ENQ (directional: after ALO). */
  | 'connecting'
  /** Open, no exchange in progress; idle ENQs keep the link synchronised. */
  | 'idle'
  /** Exchange pending, no recent ENQ. */
  | 'unsync'
  /** Exchange pending, ENQ seen; the command goes out on the next one. */
  | 'sync'
  /** Command (or ACK/NAK) sent, waiting for the first byte of the answer. */
  | 'command-sent'
  /** WAIT received; the command is re-sent on the next ENQ. */
  | 'wait'
  /** Collecting the 258 bytes of a block. */
  | 'receiving';

export type ReaderTimerName = 'alo' | 'enq' | 'response' | 'inter-char' | 'wait';

/** What happened on the link, for diagnosis. Block numbers are 1-based like the protocol's (§8.3). */
export type ReaderLinkEvent =
  | { kind: 'alo-sent'; attempt: number }
  | { kind: 'connected' }
  | { kind: 'enq'; needed: number }
  | { kind: 'sync-lost'; count: number }
  | { kind: 'command-sent'; code: number; attempt: number }
  | { kind: 'stray-enq-skipped' }
  | { kind: 'stray-signal'; byte: number }
  | { kind: 'ack-sent'; block: number }
  /** An ENQ while we wait for the next block: the meter did not get our ACK (or NAK), so it is sent again. */
  | { kind: 're-ack'; block: number; count: number; signal: 'ACK' | 'NAK' }
  | { kind: 'bad-crc'; block: number; count: number }
  | { kind: 'nak-sent'; block: number; reason: 'bad-crc' }
  | { kind: 'nak-received'; count: number }
  | { kind: 'wait-received'; count: number }
  | { kind: 'timeout'; timer: ReaderTimerName; state: ReaderLinkState }
  | { kind: 'sequence-break'; byte: number; state: ReaderLinkState };

export interface ExchangeStats {
  /** Command code of the exchange. */
  code: number;
  startedAt: number;
  /** `now` of the action that ended the exchange (null while it runs). */
  endedAt: number | null;
  bytesIn: number;
  bytesOut: number;
  /** Times the command went out (1 when all went well). */
  transmissions: number;
  /** Transmissions that got no usable answer: timeouts plus sequence breaks. */
  retries: number;
  timeouts: number;
  sequenceBreaks: number;
  naksSent: number;
  naksReceived: number;
  waits: number;
  reAcks: number;
  blocks: number;
}

export type ReaderAction =
  | { type: 'send'; bytes: Uint8Array }
  /** The first ENQ arrived after open() (or after a request on a closed link). */
  | { type: 'opened' }
  /** A block with a good CRC, as received (un-complemented in directional mode); the machine already sent its ACK. */
  | { type: 'block'; block: Uint8Array; index: number }
  | { type: 'done'; blocks: Uint8Array[]; stats: ExchangeStats }
  | { type: 'failed'; error: FronteiraError }
  | { type: 'trace'; event: ReaderLinkEvent };

export interface ReaderLinkOptions {
  /** Base timer set; default 'tcp'. */
  kind?: LinkKind;
  timers?: Partial<LinkTimers>;
  limits?: Partial<LinkLimits>;
  /** Directional communication (§11.2): ALO to connect, data bytes complemented on the wire. */
  directional?: boolean;
  /** ALOs sent before giving up (directional). */
  maxAlo?: number;
}

export interface RequestOptions {
  /** Expect several blocks (default: the code is 0x26, 0x27 or 0x52). */
  composite?: boolean;
  /** Extra first bytes accepted as a block start besides the command code, 0x39 and 0x40 (vendor responses). */
  acceptCodes?: readonly number[];
}

interface Exchange {
  code: number;
  wire: Uint8Array;
  composite: boolean;
  accept: readonly number[];
  blocks: Uint8Array[];
  stats: ExchangeStats;
  /** NAKs from the meter for this command. */
  naks: number;
  waits: number;
  syncLosses: number;
  /** Per block. */
  badCrcs: number;
  reAcks: number;
  /** The ACK or NAK we sent for the last block received, repeated if the meter answers it with ENQ. */
  lastAnswer: Uint8Array | null;
}

export class ReaderLink {
  readonly timers: LinkTimers;
  readonly limits: LinkLimits;
  readonly directional: boolean;
  readonly maxAlo: number;
  /** 0xFF in directional mode: XOR with it complements a data byte. */
  private readonly xor: number;

  private _state: ReaderLinkState = 'closed';
  private _deadline: number | null = null;
  private ex: Exchange | null = null;
  private lastEnqAt: number | null = null;
  private enqsNeeded = 0;
  private alos = 0;
  /** Bytes seen while waiting for an ENQ, for the diagnosis of a NO_ENQ failure. */
  private rxWhileWaiting = 0;
  private buf: Uint8Array | null = null;
  private fill = 0;

  constructor(opts: ReaderLinkOptions = {}) {
    this.timers = resolveTimers(opts.kind ?? 'tcp', opts.timers);
    this.limits = resolveLimits(opts.limits);
    this.directional = opts.directional ?? false;
    this.maxAlo = opts.maxAlo ?? DEFAULT_MAX_ALO;
    if (!Number.isInteger(this.maxAlo) || this.maxAlo < 1) {
      throw new FronteiraError('FRONTEIRA_E_LINK_CONFIG', `maxAlo must be an integer ≥ 1, got ${this.maxAlo}`);
    }
    this.xor = this.directional ? 0xff : 0;
  }

  get state(): ReaderLinkState {
    return this._state;
  }

  /** When `timeout(now)` must be called; null when nothing is timed. */
  get deadline(): number | null {
    return this._deadline;
  }

  /** True while an exchange is in progress. */
  get busy(): boolean {
    return this.ex !== null;
  }

  /** Starts the link; a no-op (reporting `opened` again) when it is already open. */
  open(now: number): ReaderAction[] {
    const out: ReaderAction[] = [];
    if (this._state === 'closed') this.startConnect(now, out);
    else if (this._state === 'idle') out.push({ type: 'opened' });
    else if (this.ex) throw this.busyError();
    return out;
  }

  /**
   * Starts one exchange: the sealed 66-byte command goes out right after the next ENQ (after `syncEnqs` ENQs when the
   * link is not synchronised). On a closed link this connects first.
   */
  request(command: Uint8Array, now: number, opts: RequestOptions = {}): ReaderAction[] {
    if (this.ex) throw this.busyError();
    checkCommand(command);
    const code = command[0];
    let wire = command;
    if (this.xor) {
      wire = new Uint8Array(COMMAND_LENGTH);
      for (let i = 0; i < COMMAND_LENGTH; i++) wire[i] = command[i] ^ 0xff;
    }
    this.ex = {
      code,
      wire,
      composite: opts.composite ?? COMPOSITE_COMMANDS.has(code),
      accept: opts.acceptCodes ?? [],
      blocks: [],
      stats: {
        code,
        startedAt: now,
        endedAt: null,
        bytesIn: 0,
        bytesOut: 0,
        transmissions: 0,
        retries: 0,
        timeouts: 0,
        sequenceBreaks: 0,
        naksSent: 0,
        naksReceived: 0,
        waits: 0,
        reAcks: 0,
        blocks: 0,
      },
      naks: 0,
      waits: 0,
      syncLosses: 0,
      badCrcs: 0,
      reAcks: 0,
      lastAnswer: null,
    };
    const out: ReaderAction[] = [];
    if (this._state === 'closed') {
      this.startConnect(now, out);
    } else if (this._state === 'idle') {
      if (this.lastEnqAt !== null && now - this.lastEnqAt <= this.timers.enqTimeoutMs) {
        // Synchronised by a recent ENQ: the next one carries the command.
        this._state = 'sync';
        this.enqsNeeded = 1;
        this._deadline = this.lastEnqAt + this.timers.enqTimeoutMs;
      } else {
        this.unsync(now);
      }
    }
    // 'connecting': the command follows the connection's first ENQ.
    return out;
  }

  /** Ends the current exchange without a word to the meter (the caller gave up); the link becomes unsynchronised. */
  abort(): void {
    this.ex = null;
    this.buf = null;
    this.lastEnqAt = null;
    this._deadline = null;
    if (this._state === 'connecting') this._state = 'closed';
    else if (this._state !== 'closed') this._state = 'idle';
  }

  receive(bytes: Uint8Array, now: number): ReaderAction[] {
    const out: ReaderAction[] = [];
    if (this.ex) this.ex.stats.bytesIn += bytes.length;
    const len = bytes.length;
    let i = 0;
    while (i < len) {
      if (this._state === 'receiving') {
        const buf = this.buf!;
        const n = Math.min(RESPONSE_LENGTH - this.fill, len - i);
        buf.set(bytes.subarray(i, i + n), this.fill);
        this.fill += n;
        i += n;
        if (this.fill === RESPONSE_LENGTH) this.blockComplete(now, out);
        else this._deadline = now + this.timers.interCharTimeoutMs;
      } else if (!this.onByte(bytes[i++], now, out)) {
        break; // sequence break: the rest of what arrived is flushed
      }
    }
    return out;
  }

  timeout(now: number): ReaderAction[] {
    const out: ReaderAction[] = [];
    if (this._deadline === null || now < this._deadline) return out;
    const t = this.timers;
    const ex = this.ex;
    switch (this._state) {
      case 'connecting':
        if (this.directional && this.alos < this.maxAlo) {
          this.sendAlo(now, out);
        } else {
          this.trace(out, { kind: 'timeout', timer: this.directional ? 'alo' : 'enq', state: this._state });
          const rx = this.rxWhileWaiting;
          const msg = this.directional
            ? `directional link: no ENQ after ${this.alos} ALOs, ${t.enqTimeoutMs} ms each (${describeRx(rx)})`
            : `no ENQ from the meter within ${t.enqTimeoutMs} ms (${describeRx(rx)})`;
          this.fail(now, out, 'FRONTEIRA_E_LINK_NO_ENQ', msg, {
            stage: 'connecting',
            bytesReceived: rx,
            alos: this.alos,
          });
        }
        break;
      case 'unsync':
        this.trace(out, { kind: 'timeout', timer: 'enq', state: 'unsync' });
        this.fail(
          now,
          out,
          'FRONTEIRA_E_LINK_NO_ENQ',
          `no ENQ from the meter within ${t.enqTimeoutMs} ms before sending command 0x${hex(ex!.code)} (${describeRx(this.rxWhileWaiting)})`,
          { stage: 'unsync', bytesReceived: this.rxWhileWaiting },
        );
        break;
      case 'sync': {
        const x = ex!;
        x.syncLosses++;
        this.trace(out, { kind: 'sync-lost', count: x.syncLosses });
        if (x.syncLosses >= this.limits.maxRetries) {
          this.fail(
            now,
            out,
            'FRONTEIRA_E_LINK_NO_ENQ',
            `command 0x${hex(x.code)}: lost ENQ synchronisation ${x.syncLosses} times (ENQs more than ${t.enqTimeoutMs} ms apart)`,
            { stage: 'sync', syncLosses: x.syncLosses },
          );
        } else {
          this.unsync(now);
        }
        break;
      }
      case 'command-sent': {
        this.trace(out, { kind: 'timeout', timer: 'response', state: 'command-sent' });
        const x = ex!;
        if (compositeStarted(x)) {
          this.abortComposite(
            now,
            out,
            `no block ${x.blocks.length + 1} within ${t.responseTimeoutMs} ms of our ACK`,
            'response-timeout',
          );
        } else {
          this.noAnswer(now, out, 'timeout');
        }
        break;
      }
      case 'receiving': {
        this.trace(out, { kind: 'timeout', timer: 'inter-char', state: 'receiving' });
        const x = ex!;
        const got = this.fill;
        this.buf = null;
        if (compositeStarted(x)) {
          this.abortComposite(
            now,
            out,
            `block ${x.blocks.length + 1} stalled after ${got} of ${RESPONSE_LENGTH} bytes (no byte for ${t.interCharTimeoutMs} ms)`,
            'inter-char-timeout',
          );
        } else {
          this.noAnswer(now, out, 'timeout');
        }
        break;
      }
      case 'wait': {
        this.trace(out, { kind: 'timeout', timer: 'wait', state: 'wait' });
        const x = ex!;
        this.fail(
          now,
          out,
          'FRONTEIRA_E_LINK_WAIT_TIMEOUT',
          `command 0x${hex(x.code)}: no ENQ or WAIT within ${t.waitTimeoutMs} ms after WAIT ${x.waits}`,
          { stage: 'wait' },
        );
        break;
      }
      default:
        this._deadline = null;
    }
    return out;
  }

  // ── byte handling ────────────────────────────────────────────────────────────────────────────────────────────

  /** Handles one byte outside a block; false means a sequence break (flush the rest of the input). */
  private onByte(b: number, now: number, out: ReaderAction[]): boolean {
    switch (this._state) {
      case 'idle':
        if (b === ENQ) this.lastEnqAt = now;
        return true;
      case 'connecting':
        if (b === ENQ) this.connected(now, out);
        else this.rxWhileWaiting++;
        return true;
      case 'unsync':
      case 'sync':
        if (b === ENQ) this.enq(now, out);
        else this.rxWhileWaiting++;
        return true;
      case 'command-sent':
        return this.onAnswerByte(b, now, out);
      case 'wait':
        return this.onWaitByte(b, now, out);
      default:
        return true;
    }
  }

  private onAnswerByte(b: number, now: number, out: ReaderAction[]): boolean {
    const x = this.ex!;
    // [U] §11.2: only data bytes are complemented in directional mode ("bytes de dados"); signalling bytes are
    // compared raw. Unverified against a real directional meter.
    if (b === ENQ) {
      if (x.lastAnswer) this.reAnswer(now, out, x.lastAnswer);
      // A leading ENQ: the meter's idle timer fired while our command was in flight. Tmaxrsp keeps running.
      else this.trace(out, { kind: 'stray-enq-skipped' });
      return true;
    }
    if (b === NAK) {
      if (compositeStarted(x)) {
        this.abortComposite(now, out, `NAK from the meter after block ${x.blocks.length}`, 'nak');
        return true;
      }
      x.naks++;
      x.stats.naksReceived++;
      this.trace(out, { kind: 'nak-received', count: x.naks });
      if (x.naks >= this.limits.maxNaks) {
        this.fail(
          now,
          out,
          'FRONTEIRA_E_LINK_NAK_LIMIT',
          `${x.naks} NAKs for command 0x${hex(x.code)}: the meter keeps rejecting it`,
          { stage: 'command-sent' },
        );
      } else {
        this.sendCommand(now, out);
      }
      return true;
    }
    if (b === WAIT) {
      if (compositeStarted(x)) {
        this.abortComposite(now, out, `WAIT from the meter after block ${x.blocks.length}`, 'wait');
        return true;
      }
      this.onWait(now, out);
      return true;
    }
    if (b === ACK) {
      this.trace(out, { kind: 'stray-signal', byte: b });
      return true;
    }
    const code = b ^ this.xor;
    if (code === x.code || code === NOT_IMPLEMENTED || code === OCCURRENCE || x.accept.includes(code)) {
      this._state = 'receiving';
      this.buf = new Uint8Array(RESPONSE_LENGTH);
      this.buf[0] = b;
      this.fill = 1;
      this._deadline = now + this.timers.interCharTimeoutMs;
      return true;
    }
    return this.sequenceBreak(now, out, b);
  }

  /**
   * §3.3: a meter that misses our ACK sends ENQ and keeps waiting for it. The same holds for a NAK, so the last answer
   * is repeated, a bounded number of times per block.
   */
  private reAnswer(now: number, out: ReaderAction[], answer: Uint8Array): void {
    const x = this.ex!;
    x.reAcks++;
    const blockNo = answer === ACK_FRAME ? x.blocks.length : x.blocks.length + 1;
    if (x.reAcks > this.limits.maxRetries) {
      if (compositeStarted(x)) {
        this.abortComposite(
          now,
          out,
          `the meter sent ENQ ${x.reAcks} times instead of block ${x.blocks.length + 1} despite our re-ACKs`,
          're-ack-limit',
        );
        return;
      }
      // The meter went idle after our NAK: its ENQ invites the command again.
      this.noAnswer(now, out, 'timeout');
      if (this.ex) this.sendCommand(now, out);
      return;
    }
    if (answer === ACK_FRAME) x.stats.reAcks++;
    else x.stats.naksSent++;
    this.trace(out, { kind: 're-ack', block: blockNo, count: x.reAcks, signal: answer === ACK_FRAME ? 'ACK' : 'NAK' });
    this.send(out, answer);
    this._deadline = now + this.timers.responseTimeoutMs;
  }

  private onWaitByte(b: number, now: number, out: ReaderAction[]): boolean {
    if (b === ENQ) {
      this.trace(out, { kind: 'enq', needed: 0 });
      this.sendCommand(now, out);
      return true;
    }
    if (b === WAIT) {
      this.onWait(now, out);
      return true;
    }
    return this.sequenceBreak(now, out, b);
  }

  private onWait(now: number, out: ReaderAction[]): void {
    const x = this.ex!;
    x.waits++;
    x.stats.waits++;
    this.trace(out, { kind: 'wait-received', count: x.waits });
    if (x.waits > this.limits.maxWaits) {
      this.fail(
        now,
        out,
        'FRONTEIRA_E_LINK_WAIT_LIMIT',
        `command 0x${hex(x.code)}: ${x.waits} WAITs from the meter (limit ${this.limits.maxWaits})`,
        { stage: 'wait' },
      );
      return;
    }
    this._state = 'wait';
    this._deadline = now + this.timers.waitTimeoutMs;
  }

  private blockComplete(now: number, out: ReaderAction[]): void {
    const x = this.ex!;
    const blk = this.buf!;
    this.buf = null;
    this.fill = 0;
    if (this.xor) for (let i = 0; i < RESPONSE_LENGTH; i++) blk[i] ^= 0xff;
    const blockNo = x.blocks.length + 1;
    if (!blockCrcOk(blk)) {
      x.badCrcs++;
      this.trace(out, { kind: 'bad-crc', block: blockNo, count: x.badCrcs });
      if (x.badCrcs >= this.limits.maxNaks) {
        this.fail(
          now,
          out,
          'FRONTEIRA_E_LINK_CRC_LIMIT',
          `block ${blockNo} of 0x${hex(x.code)}: ${x.badCrcs} bad CRCs`,
          { stage: 'receiving', block: blockNo },
        );
        return;
      }
      this.send(out, NAK_FRAME);
      x.lastAnswer = NAK_FRAME;
      x.stats.naksSent++;
      this.trace(out, { kind: 'nak-sent', block: blockNo, reason: 'bad-crc' });
      this._state = 'command-sent';
      this._deadline = now + this.timers.responseTimeoutMs;
      return;
    }
    this.send(out, ACK_FRAME);
    this.trace(out, { kind: 'ack-sent', block: blockNo });
    x.blocks.push(blk);
    x.stats.blocks++;
    x.lastAnswer = ACK_FRAME;
    x.badCrcs = 0;
    x.reAcks = 0;
    out.push({ type: 'block', block: blk, index: blockNo - 1 });
    if (x.composite && blk[0] === x.code && (blk[LAST_BLOCK_OFFSET] & LAST_BLOCK_FLAG) === 0) {
      // After each ACK the meter sends the next block by itself (§3.3).
      this._state = 'command-sent';
      this._deadline = now + this.timers.responseTimeoutMs;
      return;
    }
    x.stats.endedAt = now;
    this.ex = null;
    this._state = 'idle';
    this._deadline = null;
    // A completed exchange proves synchronisation; the meter ENQs again right after our ACK.
    this.lastEnqAt = now;
    out.push({ type: 'done', blocks: x.blocks, stats: x.stats });
  }

  // ── transitions ──────────────────────────────────────────────────────────────────────────────────────────────

  private startConnect(now: number, out: ReaderAction[]): void {
    this._state = 'connecting';
    this.alos = 0;
    this.rxWhileWaiting = 0;
    if (this.directional) this.sendAlo(now, out);
    else this._deadline = now + this.timers.enqTimeoutMs;
  }

  private sendAlo(now: number, out: ReaderAction[]): void {
    this.alos++;
    this.send(out, ALO_FRAME);
    this.trace(out, { kind: 'alo-sent', attempt: this.alos });
    this._deadline = now + this.timers.enqTimeoutMs;
  }

  private connected(now: number, out: ReaderAction[]): void {
    this.lastEnqAt = now;
    this.trace(out, { kind: 'connected' });
    out.push({ type: 'opened' });
    if (!this.ex) {
      this._state = 'idle';
      this._deadline = null;
      return;
    }
    // The connecting ENQ is the first of the synchronising ones.
    this.enqsNeeded = this.timers.syncEnqs - 1;
    if (this.enqsNeeded === 0) {
      this.sendCommand(now, out);
    } else {
      this._state = 'sync';
      this._deadline = now + this.timers.enqTimeoutMs;
    }
  }

  private unsync(now: number): void {
    this._state = 'unsync';
    this.enqsNeeded = this.timers.syncEnqs;
    this.rxWhileWaiting = 0;
    this._deadline = now + this.timers.enqTimeoutMs;
  }

  private enq(now: number, out: ReaderAction[]): void {
    this.lastEnqAt = now;
    this.enqsNeeded--;
    this.trace(out, { kind: 'enq', needed: this.enqsNeeded });
    if (this.enqsNeeded <= 0) {
      this.sendCommand(now, out);
    } else {
      this._state = 'sync';
      this._deadline = now + this.timers.enqTimeoutMs;
    }
  }

  private sendCommand(now: number, out: ReaderAction[]): void {
    const x = this.ex!;
    x.stats.transmissions++;
    x.lastAnswer = null;
    x.reAcks = 0;
    this.send(out, x.wire);
    this.trace(out, { kind: 'command-sent', code: x.code, attempt: x.stats.transmissions });
    this._state = 'command-sent';
    this._deadline = now + this.timers.responseTimeoutMs;
  }

  /** The command got no usable answer: count it and re-send on the next ENQ, up to maxRetries transmissions. */
  private noAnswer(now: number, out: ReaderAction[], why: 'timeout' | 'sequence-break'): void {
    const x = this.ex!;
    x.stats.retries++;
    if (why === 'timeout') x.stats.timeouts++;
    else x.stats.sequenceBreaks++;
    if (x.stats.retries >= this.limits.maxRetries) {
      this.fail(
        now,
        out,
        'FRONTEIRA_E_LINK_NO_RESPONSE',
        `command 0x${hex(x.code)} got no valid answer after ${x.stats.transmissions} transmissions ` +
          `(${x.stats.timeouts} timeouts, ${x.stats.sequenceBreaks} sequence breaks)`,
        { stage: this._state },
      );
      return;
    }
    if (why === 'timeout') {
      this._state = 'sync';
      this.enqsNeeded = 1;
      this._deadline = now + this.timers.enqTimeoutMs;
    } else {
      this.unsync(now);
    }
  }

  /** §3.2 "quebra de sequência": something that is neither a signal nor a block. */
  private sequenceBreak(now: number, out: ReaderAction[], b: number): false {
    const x = this.ex!;
    this.trace(out, { kind: 'sequence-break', byte: b, state: this._state });
    if (compositeStarted(x)) {
      x.stats.sequenceBreaks++;
      this.abortComposite(
        now,
        out,
        `unexpected byte 0x${hex(b)} instead of block ${x.blocks.length + 1}`,
        'sequence-break',
      );
    } else {
      this.noAnswer(now, out, 'sequence-break');
    }
    return false;
  }

  private abortComposite(now: number, out: ReaderAction[], why: string, reason: string): void {
    const x = this.ex!;
    this.fail(
      now,
      out,
      'FRONTEIRA_E_LINK_ABORTED',
      `composite transfer of 0x${hex(x.code)} aborted after ${x.blocks.length} blocks: ${why}`,
      { stage: this._state, reason },
    );
  }

  private fail(
    now: number,
    out: ReaderAction[],
    code: LinkFailureCode,
    message: string,
    extra: Record<string, unknown>,
  ): void {
    const x = this.ex;
    const details: Record<string, unknown> = { ...extra };
    if (x) {
      x.stats.endedAt = now;
      details.command = x.code;
      details.blocksReceived = x.blocks.length;
      details.stats = x.stats;
    }
    this.ex = null;
    this.buf = null;
    this.lastEnqAt = null;
    this._deadline = null;
    this._state = this._state === 'connecting' ? 'closed' : 'idle';
    out.push({ type: 'failed', error: new FronteiraError(code, message, details) });
  }

  private send(out: ReaderAction[], bytes: Uint8Array): void {
    if (this.ex) this.ex.stats.bytesOut += bytes.length;
    out.push({ type: 'send', bytes });
  }

  private trace(out: ReaderAction[], event: ReaderLinkEvent): void {
    out.push({ type: 'trace', event });
  }

  private busyError(): FronteiraError {
    return new FronteiraError(
      'FRONTEIRA_E_LINK_BUSY',
      `an exchange of command 0x${hex(this.ex!.code)} is in progress (state ${this._state})`,
      { command: this.ex!.code, state: this._state },
    );
  }
}

type LinkFailureCode =
  | 'FRONTEIRA_E_LINK_NO_ENQ'
  | 'FRONTEIRA_E_LINK_NO_RESPONSE'
  | 'FRONTEIRA_E_LINK_NAK_LIMIT'
  | 'FRONTEIRA_E_LINK_CRC_LIMIT'
  | 'FRONTEIRA_E_LINK_WAIT_LIMIT'
  | 'FRONTEIRA_E_LINK_WAIT_TIMEOUT'
  | 'FRONTEIRA_E_LINK_ABORTED';

function compositeStarted(x: Exchange): boolean {
  return x.composite && x.blocks.length > 0;
}

function describeRx(n: number): string {
  return n === 0 ? '0 bytes received' : `${n} bytes received, none of them ENQ`;
}

function checkCommand(command: Uint8Array): void {
  if (!(command instanceof Uint8Array) || command.length !== COMMAND_LENGTH) {
    const len = command instanceof Uint8Array ? command.length : typeof command;
    throw new FronteiraError('FRONTEIRA_E_ABNT_FRAME_LENGTH', `command must be ${COMMAND_LENGTH} bytes, got ${len}`, {
      expected: COMMAND_LENGTH,
      actual: len,
    });
  }
  if (isSignal(command[0]) || command[0] === ALO) {
    throw new FronteiraError(
      'FRONTEIRA_E_ABNT_PARAMETER',
      `command code 0x${hex(command[0])} is a signalling byte and cannot start a block`,
      { code: command[0] },
    );
  }
  if (!blockCrcOk(command)) {
    throw new FronteiraError(
      'FRONTEIRA_E_ABNT_CRC',
      `command 0x${hex(command[0])} is not sealed: its CRC (offsets 64–65) does not match`,
      { code: command[0] },
    );
  }
}
