/**
 * Timers and retry limits of the ABNT NBR 14522 link layer (spec §3.5, §3.6). The norm's values assume a 9600-baud
 * line driven by firmware; a PC reader behind a USB adapter or a TCP modem cannot honour them literally, so every
 * value is configurable and the two defaults below say where they depart from the norm and why.
 */
import { FronteiraError } from '../../domain/errors.ts';

export interface LinkTimers {
  /** Longest wait for an ENQ from the meter (connecting, or synchronising before a command). */
  enqTimeoutMs: number;
  /** Tmaxrsp: from handing over what we sent (command or ACK/NAK) to the first byte of the answer. */
  responseTimeoutMs: number;
  /** Tmaxcar: longest silence inside one 258-byte block. */
  interCharTimeoutMs: number;
  /** Tsemwait: longest silence after a WAIT before giving up. */
  waitTimeoutMs: number;
  /**
   * ENQs to see before sending a command when unsynchronised. [RGN] syncs on one and transmits on the next (2), which
   * guards against a half-received byte on a line just opened; over TCP the stream is clean, so the first ENQ will do.
   */
  syncEnqs: number;
}

export interface LinkLimits {
  /** NAKs received for one command, or bad CRCs of one block, that end the exchange (§3.6: 7). */
  maxNaks: number;
  /** WAITs tolerated for one command; one more ends the exchange (§3.6: 12). */
  maxWaits: number;
  /** Transmissions of a command that got no usable answer (timeouts, sequence breaks), and re-ACKs of one block (7). */
  maxRetries: number;
}

export type LinkKind = 'serial' | 'tcp';

/**
 * Serial line (optical port, RS-232/485) at 9600 bd:
 * - enqTimeoutMs 600: the norm's Tmaxenq is ≈502 ms; [FITEC] declares the link lost after 600 ms, which leaves room for
 *   a USB adapter's latency timer (16 ms on FTDI) and event-loop jitter without masking a dead meter.
 * - responseTimeoutMs 1000: Tmaxrsp is ≈502 ms from the END of our transmission, but this clock starts when the command
 *   is queued; 66 bytes take ≈69 ms to leave at 9600 bd, plus adapter and scheduling latency. 1 s stays well under
 *   [FITEC]'s 2.5 s and, being above the meter's own ≈502 ms ACK timer, lets a meter that lost our ACK send its ENQ
 *   before we give up on the next composite block.
 * - interCharTimeoutMs 50: Tmaxcar (≈6 ms) cannot be observed from user space, where USB adapters deliver bytes in
 *   bursts; 50 ms still detects a block cut short long before the response timer would.
 * - waitTimeoutMs 305 s (Tsemwait), syncEnqs 2 ([RGN]).
 */
export const SERIAL_TIMERS: Readonly<LinkTimers> = Object.freeze({
  enqTimeoutMs: 600,
  responseTimeoutMs: 1000,
  interCharTimeoutMs: 50,
  waitTimeoutMs: 305_000,
  syncEnqs: 2,
});

/** Serial-over-TCP (modems, serial servers): the relaxed values suggested in spec §3.5 [I]. */
export const TCP_TIMERS: Readonly<LinkTimers> = Object.freeze({
  enqTimeoutMs: 5000,
  responseTimeoutMs: 5000,
  interCharTimeoutMs: 2000,
  waitTimeoutMs: 305_000,
  syncEnqs: 1,
});

export const DEFAULT_LIMITS: Readonly<LinkLimits> = Object.freeze({ maxNaks: 7, maxWaits: 12, maxRetries: 7 });

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new FronteiraError(
      'FRONTEIRA_E_LINK_CONFIG',
      `link setting '${name}' must be an integer ≥ ${min}, got ${v}`,
      {
        setting: name,
        value: v,
      },
    );
  }
}

function checkMs(name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new FronteiraError(
      'FRONTEIRA_E_LINK_CONFIG',
      `link timer '${name}' must be a positive number of ms, got ${v}`,
      {
        setting: name,
        value: v,
      },
    );
  }
}

/** The defaults for a kind of line with the given overrides applied (undefined overrides are ignored). */
export function resolveTimers(kind: LinkKind = 'tcp', overrides: Partial<LinkTimers> = {}): LinkTimers {
  const base = kind === 'serial' ? SERIAL_TIMERS : TCP_TIMERS;
  const t: LinkTimers = { ...base };
  for (const k of Object.keys(base) as (keyof LinkTimers)[]) {
    const v = overrides[k];
    if (v !== undefined) t[k] = v;
  }
  checkMs('enqTimeoutMs', t.enqTimeoutMs);
  checkMs('responseTimeoutMs', t.responseTimeoutMs);
  checkMs('interCharTimeoutMs', t.interCharTimeoutMs);
  checkMs('waitTimeoutMs', t.waitTimeoutMs);
  checkCount('syncEnqs', t.syncEnqs, 1);
  return t;
}

export function resolveLimits(overrides: Partial<LinkLimits> = {}): LinkLimits {
  const l: LinkLimits = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(DEFAULT_LIMITS) as (keyof LinkLimits)[]) {
    const v = overrides[k];
    if (v !== undefined) l[k] = v;
  }
  checkCount('maxNaks', l.maxNaks, 1);
  checkCount('maxWaits', l.maxWaits, 0);
  checkCount('maxRetries', l.maxRetries, 1);
  return l;
}
