/**
 * The meter ("registrador") side of the ABNT NBR 14522 link layer (spec §3.8, §11.2) as a sans-I/O state machine, for
 * the simulator: it ENQs while idle, collects 66-byte commands, hands good ones to a responder and plays the
 * response block(s) out one per ACK. It can also play the link faults of simulator/faults.ts so readers can be tested
 * against a misbehaving meter. One instance serves one connection; fault counters are per connection.
 */
import { FronteiraError } from '../../domain/errors.ts';
import type { MeterLinkFaults } from '../../simulator/faults.ts';
import { ACK, ALO, COMMAND_LENGTH, ENQ, isSignal, NAK, RESPONSE_LENGTH, WAIT } from './constants.ts';
import { blockCrcOk } from './crc.ts';
import { hex } from './fields.ts';
import { type CommandFrame, decodeCommand } from './frame.ts';

export interface MeterLinkTimers {
  /** Period of idle ENQs (Tminenq..Tmaxenq on a line; spec §3.8 suggests 200–500 ms over TCP). */
  enqIntervalMs: number;
  /** A partial command older than this is discarded (Tmaxcar, relaxed for TCP). */
  interCharTimeoutMs: number;
  /**
   * Wait for ACK after a block before sending ENQ (Tmaxrsp ≈ 502 ms). Keep it below the reader's response timeout, or
   * a reader would give up on a composite transfer before the meter asks for the lost ACK.
   */
  ackTimeoutMs: number;
  /** Directional mode: the meter drops a reader it has heard nothing from for this long (15 s, [IDOC]). */
  disconnectMs: number;
}

export const DEFAULT_METER_TIMERS: Readonly<MeterLinkTimers> = Object.freeze({
  enqIntervalMs: 200,
  interCharTimeoutMs: 1000,
  ackTimeoutMs: 502,
  disconnectMs: 15_000,
});

/** NAKs, ACK timeouts and bad commands the meter tolerates before it goes back to idle ([RGN] simulator: 7). */
const METER_RETRY_LIMIT = 7;
const ENQ_FRAME = Uint8Array.of(ENQ);
const NAK_FRAME = Uint8Array.of(NAK);
const WAIT_FRAME = Uint8Array.of(WAIT);

export type MeterLinkState =
  | 'await-alo'
  /** Sending ENQs, ready for a command. */
  | 'idle'
  /** Collecting a command. */
  | 'command'
  /** Sent WAIT; the ENQ that invites the command again is due. */
  | 'busy'
  /** Sent a response block, waiting for ACK/NAK. */
  | 'await-ack'
  /** Fault `noEnq`: a dead meter. */
  | 'silent'
  | 'disconnected';

export type MeterLinkEvent =
  | { kind: 'alo' }
  | { kind: 'enq'; reason: 'idle' | 'ack-timeout' | 'after-wait' }
  | { kind: 'command'; code: number }
  | { kind: 'partial-command-discarded'; bytes: number }
  | { kind: 'bad-command'; count: number }
  | { kind: 'nak-storm'; left: number }
  | { kind: 'wait-sent'; left: number }
  /** `index` counts response blocks in the connection (1-based, resends excluded); `block` is 1-based in the response. */
  | { kind: 'block-sent'; index: number; block: number; of: number; corrupted: boolean; resend: boolean }
  | { kind: 'ack' }
  | { kind: 'ack-dropped'; left: number }
  | { kind: 'nak'; count: number }
  | { kind: 'ack-timeout'; count: number }
  | { kind: 'gave-up'; reason: string }
  | { kind: 'unexpected'; byte: number; state: MeterLinkState }
  | { kind: 'no-answer'; code: number }
  | { kind: 'disconnect'; silentMs: number };

export type MeterLinkAction =
  | { type: 'send'; bytes: Uint8Array }
  /** Close the connection (directional: the reader went silent). */
  | { type: 'disconnect' }
  | { type: 'trace'; event: MeterLinkEvent };

export interface MeterLinkOptions {
  /**
   * Answers a decoded, CRC-checked command with the sealed 258-byte block(s) to send: one for simple commands, several
   * for composite ones, a 0x39/0x40 block when it refuses. An empty array leaves the command unanswered.
   */
  respond: (command: CommandFrame) => Uint8Array[];
  timers?: Partial<MeterLinkTimers>;
  directional?: boolean;
  faults?: MeterLinkFaults;
}

export class MeterLink {
  readonly timers: MeterLinkTimers;
  readonly directional: boolean;
  private readonly respond: (command: CommandFrame) => Uint8Array[];
  private readonly faults: MeterLinkFaults;
  private readonly badOnce: ReadonlySet<number>;
  private readonly badAlways: ReadonlySet<number>;
  private readonly xor: number;

  private _state: MeterLinkState = 'idle';
  private stateDeadline: number | null = null;
  private lastRxAt = 0;
  private started = false;

  private cmd: Uint8Array | null = null;
  private cmdFill = 0;
  private badCommands = 0;
  private naksLeft: number;
  private waitsLeft: number;
  private acksToDrop: number;

  private pending: Uint8Array[] = [];
  private pos = 0;
  /** Response blocks sent in this connection (resends excluded). */
  private blocksSent = 0;
  private blockNaks = 0;
  private ackTimeouts = 0;

  constructor(opts: MeterLinkOptions) {
    const faults = opts.faults ?? {};
    const t: MeterLinkTimers = { ...DEFAULT_METER_TIMERS };
    for (const k of Object.keys(DEFAULT_METER_TIMERS) as (keyof MeterLinkTimers)[]) {
      const v = opts.timers?.[k];
      if (v !== undefined) t[k] = v;
    }
    if (faults.enqIntervalMs !== undefined) t.enqIntervalMs = faults.enqIntervalMs;
    for (const k of Object.keys(t) as (keyof MeterLinkTimers)[]) {
      if (!Number.isFinite(t[k]) || t[k] <= 0) {
        throw new FronteiraError('FRONTEIRA_E_SIMULATOR', `meter link timer '${k}' must be a positive number of ms`, {
          setting: k,
          value: t[k],
        });
      }
    }
    for (const k of ['nakStorm', 'waitBurst', 'dropAcks'] as const) {
      const v = faults[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
        throw new FronteiraError('FRONTEIRA_E_SIMULATOR', `meter fault '${k}' must be an integer ≥ 0, got ${v}`, {
          fault: k,
          value: v,
        });
      }
    }
    this.timers = t;
    this.directional = opts.directional ?? false;
    this.respond = opts.respond;
    this.faults = faults;
    this.badOnce = new Set(faults.badCrcBlocks ?? []);
    this.badAlways = new Set(faults.persistentBadCrcBlocks ?? []);
    this.xor = this.directional ? 0xff : 0;
    this.naksLeft = faults.nakStorm ?? 0;
    this.waitsLeft = faults.waitBurst ?? 0;
    this.acksToDrop = faults.dropAcks ?? 0;
  }

  get state(): MeterLinkState {
    return this._state;
  }

  get deadline(): number | null {
    if (!this.started || this._state === 'disconnected') return null;
    if (!this.directional) return this.stateDeadline;
    const d = this.lastRxAt + this.timers.disconnectMs;
    return this.stateDeadline === null || d < this.stateDeadline ? d : this.stateDeadline;
  }

  /** The connection is up: a conventional meter starts ENQ-ing at once, a directional one waits for ALO. */
  start(now: number): MeterLinkAction[] {
    const out: MeterLinkAction[] = [];
    if (this.started) return out;
    this.started = true;
    this.lastRxAt = now;
    if (this.directional) {
      this._state = 'await-alo';
      this.stateDeadline = null;
    } else {
      this.goIdle(now, out, true);
    }
    return out;
  }

  receive(bytes: Uint8Array, now: number): MeterLinkAction[] {
    const out: MeterLinkAction[] = [];
    if (!this.started || this._state === 'disconnected') return out;
    this.lastRxAt = now;
    const len = bytes.length;
    let i = 0;
    while (i < len) {
      const st = this._state;
      if (st === 'command') {
        const cmd = this.cmd!;
        const n = Math.min(COMMAND_LENGTH - this.cmdFill, len - i);
        cmd.set(bytes.subarray(i, i + n), this.cmdFill);
        this.cmdFill += n;
        i += n;
        if (this.cmdFill === COMMAND_LENGTH) this.commandComplete(now, out);
        else this.stateDeadline = now + this.timers.interCharTimeoutMs;
        continue;
      }
      const b = bytes[i];
      if (st === 'await-ack') {
        i++;
        if (b === ACK) this.onAck(now, out);
        else if (b === NAK) this.onNak(now, out);
        else {
          // [I] A reader that sends something else has moved on (typically its next command after our ENQ): go
          // idle and read that byte as the start of a command rather than dropping it.
          this.trace(out, { kind: 'unexpected', byte: b, state: st });
          this.pending = [];
          this.enterIdle(now);
          i--;
        }
        continue;
      }
      i++;
      if (st === 'await-alo') {
        if (b === ALO) {
          this.trace(out, { kind: 'alo' });
          this.goIdle(now, out, true);
        }
      } else if (st === 'idle' || st === 'busy') {
        // Command codes never equal a signalling byte (§3.1): a stray ACK/NAK or an extra ALO is not a command start.
        if (!isSignal(b) && b !== ALO) {
          this.cmd = new Uint8Array(COMMAND_LENGTH);
          this.cmd[0] = b;
          this.cmdFill = 1;
          this._state = 'command';
          this.stateDeadline = now + this.timers.interCharTimeoutMs;
        }
      }
      // 'silent': a dead meter hears nothing.
    }
    return out;
  }

  timeout(now: number): MeterLinkAction[] {
    const out: MeterLinkAction[] = [];
    const deadline = this.deadline;
    if (deadline === null || now < deadline) return out;
    if (this.directional && now >= this.lastRxAt + this.timers.disconnectMs) {
      this.trace(out, { kind: 'disconnect', silentMs: now - this.lastRxAt });
      this._state = 'disconnected';
      this.stateDeadline = null;
      out.push({ type: 'disconnect' });
      return out;
    }
    if (this.stateDeadline === null || now < this.stateDeadline) return out;
    switch (this._state) {
      case 'idle':
        this.sendEnq(out, 'idle');
        this.stateDeadline = now + this.timers.enqIntervalMs;
        break;
      case 'busy':
        this.sendEnq(out, 'after-wait');
        this._state = 'idle';
        this.stateDeadline = now + this.timers.enqIntervalMs;
        break;
      case 'command':
        this.trace(out, { kind: 'partial-command-discarded', bytes: this.cmdFill });
        this.cmd = null;
        this.goIdle(now, out, true);
        break;
      case 'await-ack':
        if (this.ackTimeouts >= METER_RETRY_LIMIT) {
          this.trace(out, { kind: 'gave-up', reason: `no ACK after ${this.ackTimeouts} ENQs` });
          this.pending = [];
          this.goIdle(now, out, true);
        } else {
          this.ackTimeouts++;
          this.trace(out, { kind: 'ack-timeout', count: this.ackTimeouts });
          // §3.3: "o medidor deve enviar ENQ aguardando o recebimento do ACK".
          this.sendEnq(out, 'ack-timeout');
          this.stateDeadline = now + this.timers.ackTimeoutMs;
        }
        break;
      default:
        this.stateDeadline = null;
    }
    return out;
  }

  private commandComplete(now: number, out: MeterLinkAction[]): void {
    const cmd = this.cmd!;
    this.cmd = null;
    if (this.xor) for (let i = 0; i < COMMAND_LENGTH; i++) cmd[i] ^= 0xff;
    if (!blockCrcOk(cmd)) {
      this.badCommands++;
      this.trace(out, { kind: 'bad-command', count: this.badCommands });
      if (this.badCommands >= METER_RETRY_LIMIT) {
        this.badCommands = 0;
        this.trace(out, { kind: 'gave-up', reason: `${METER_RETRY_LIMIT} commands with a bad CRC` });
        this.goIdle(now, out, true);
      } else {
        this.send(out, NAK_FRAME);
        this.enterIdle(now);
      }
      return;
    }
    this.badCommands = 0;
    const frame = decodeCommand(cmd);
    this.trace(out, { kind: 'command', code: frame.code });
    if (this.naksLeft > 0) {
      this.naksLeft--;
      this.trace(out, { kind: 'nak-storm', left: this.naksLeft });
      this.send(out, NAK_FRAME);
      this.enterIdle(now);
      return;
    }
    if (this.waitsLeft > 0) {
      this.waitsLeft--;
      this.trace(out, { kind: 'wait-sent', left: this.waitsLeft });
      this.send(out, WAIT_FRAME);
      this._state = 'busy';
      this.stateDeadline = now + this.timers.enqIntervalMs;
      return;
    }
    // The storms replay for the next command.
    this.naksLeft = this.faults.nakStorm ?? 0;
    this.waitsLeft = this.faults.waitBurst ?? 0;
    const blocks = this.respond(frame);
    for (let k = 0; k < blocks.length; k++) {
      if (!(blocks[k] instanceof Uint8Array) || blocks[k].length !== RESPONSE_LENGTH) {
        throw new FronteiraError(
          'FRONTEIRA_E_SIMULATOR',
          `responder for command 0x${hex(frame.code)}: block ${k + 1} must be ${RESPONSE_LENGTH} bytes, got ${blocks[k]?.length}`,
          { code: frame.code, block: k + 1 },
        );
      }
    }
    if (blocks.length === 0) {
      this.trace(out, { kind: 'no-answer', code: frame.code });
      this.enterIdle(now);
      return;
    }
    this.pending = blocks;
    this.pos = 0;
    this.sendBlock(now, out, false);
  }

  private sendBlock(now: number, out: MeterLinkAction[], resend: boolean): void {
    if (!resend) {
      this.blocksSent++;
      this.blockNaks = 0;
      this.ackTimeouts = 0;
    }
    const index = this.blocksSent;
    const blk = this.pending[this.pos];
    const corrupted = this.badAlways.has(index) || (!resend && this.badOnce.has(index));
    let wire = blk;
    // Directional mode complements the whole block, CRC included, and no signalling byte: [U]/[I] in spec §11.2.
    if (corrupted || this.xor) {
      wire = blk.slice();
      if (corrupted) wire[RESPONSE_LENGTH - 1] ^= 0xff;
      if (this.xor) for (let i = 0; i < RESPONSE_LENGTH; i++) wire[i] ^= 0xff;
    }
    this.send(out, wire);
    this.trace(out, { kind: 'block-sent', index, block: this.pos + 1, of: this.pending.length, corrupted, resend });
    this._state = 'await-ack';
    this.stateDeadline = now + this.timers.ackTimeoutMs;
  }

  private onAck(now: number, out: MeterLinkAction[]): void {
    if (this.acksToDrop > 0) {
      this.acksToDrop--;
      this.trace(out, { kind: 'ack-dropped', left: this.acksToDrop });
      return;
    }
    this.trace(out, { kind: 'ack' });
    this.pos++;
    if (this.pos < this.pending.length) {
      this.sendBlock(now, out, false);
    } else {
      this.pending = [];
      this.goIdle(now, out, true);
    }
  }

  private onNak(now: number, out: MeterLinkAction[]): void {
    this.blockNaks++;
    this.trace(out, { kind: 'nak', count: this.blockNaks });
    if (this.blockNaks > METER_RETRY_LIMIT) {
      this.trace(out, { kind: 'gave-up', reason: `${this.blockNaks} NAKs for block ${this.pos + 1}` });
      this.pending = [];
      this.goIdle(now, out, true);
      return;
    }
    this.sendBlock(now, out, true);
  }

  /** Idle, sending ENQ now when asked, then every enqIntervalMs. */
  private goIdle(now: number, out: MeterLinkAction[], enqNow: boolean): void {
    if (this.faults.noEnq) {
      this._state = 'silent';
      this.stateDeadline = null;
      return;
    }
    this._state = 'idle';
    if (enqNow) this.sendEnq(out, 'idle');
    this.stateDeadline = now + this.timers.enqIntervalMs;
  }

  /** Idle without an immediate ENQ (after a NAK or WAIT the reader re-sends on its own). */
  private enterIdle(now: number): void {
    this._state = 'idle';
    this.stateDeadline = now + this.timers.enqIntervalMs;
  }

  private sendEnq(out: MeterLinkAction[], reason: 'idle' | 'ack-timeout' | 'after-wait'): void {
    this.send(out, ENQ_FRAME);
    this.trace(out, { kind: 'enq', reason });
  }

  private send(out: MeterLinkAction[], bytes: Uint8Array): void {
    out.push({ type: 'send', bytes });
  }

  private trace(out: MeterLinkAction[], event: MeterLinkEvent): void {
    out.push({ type: 'trace', event });
  }
}
