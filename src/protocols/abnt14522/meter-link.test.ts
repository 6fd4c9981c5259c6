import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FronteiraError, isFronteiraError } from '../../domain/errors.ts';
import type { MeterLinkFaults } from '../../simulator/faults.ts';
import { ACK, ALO, COMPOSITE_COMMANDS, ENQ, NAK, WAIT } from './constants.ts';
import { blockCrcOk } from './crc.ts';
import { toBcdByte } from './fields.ts';
import { type CommandFrame, encodeCommand, encodeResponse } from './frame.ts';
import { MeterLink, type MeterLinkAction, type MeterLinkEvent, type MeterLinkOptions } from './meter-link.ts';
import { type ExchangeStats, type ReaderAction, ReaderLink, type ReaderLinkOptions } from './reader-link.ts';

const MT = { enqIntervalMs: 200, interCharTimeoutMs: 1000, ackTimeoutMs: 500, disconnectMs: 15_000 };

function cmd(code: number, p0 = 0): Uint8Array {
  return encodeCommand(code, '123456', (w) => w.u8(4, p0));
}

function simpleBlock(code: number, marker = 0): Uint8Array {
  return encodeResponse(code, '12345678', (w) => w.u8(10, marker));
}

function mmBlock(code: number, n: number, last: boolean): Uint8Array {
  return encodeResponse(code, '12345678', (w) => {
    w.u8(5, (last ? 0x10 : 0) | Math.floor(n / 100));
    w.u8(6, toBcdByte(n % 100));
    w.u8(7, n & 0xff);
  });
}

/**
 * A small responder: composite codes answer with `mmBlocks` numbered blocks (§8.3), 0x99 is refused with 0x39, every
 * other command echoes its first payload byte at offset 10.
 */
function responder(mmBlocks = 40) {
  const seen: CommandFrame[] = [];
  const respond = (c: CommandFrame): Uint8Array[] => {
    seen.push(c);
    if (COMPOSITE_COMMANDS.has(c.code)) {
      return Array.from({ length: mmBlocks }, (_, k) => mmBlock(c.code, k + 1, k === mmBlocks - 1));
    }
    if (c.code === 0x99) return [encodeResponse(0x39, '12345678', (w) => w.u8(5, 0x99))];
    return [simpleBlock(c.code, c.payload[0])];
  };
  return { seen, respond };
}

function sent(actions: MeterLinkAction[]): number[] {
  return actions.flatMap((a) => (a.type === 'send' ? Array.from(a.bytes) : []));
}

function mEvents(actions: MeterLinkAction[]): MeterLinkEvent[] {
  return actions.flatMap((a) => (a.type === 'trace' ? [a.event] : []));
}

function meter(opts: Partial<MeterLinkOptions> = {}) {
  const r = responder(opts.faults ? 5 : 3);
  const m = new MeterLink({ respond: r.respond, timers: MT, ...opts });
  return { m, seen: r.seen };
}

// ── the meter machine on its own ────────────────────────────────────────────────────────────────────────────────

test('meter: ENQ at start, then every enqIntervalMs while idle', () => {
  const { m } = meter();
  assert.deepEqual(sent(m.start(0)), [ENQ]);
  assert.equal(m.deadline, 200);
  assert.deepEqual(sent(m.timeout(199)), []);
  assert.deepEqual(sent(m.timeout(200)), [ENQ]);
  assert.equal(m.deadline, 400);
});

test('meter: a command in pieces is decoded and answered; ACK → ENQ at once', () => {
  const { m, seen } = meter();
  m.start(0);
  const c = cmd(0x14, 0x42);
  assert.deepEqual(sent(m.receive(c.subarray(0, 10), 10)), []);
  assert.equal(m.state, 'command');
  assert.equal(m.deadline, 10 + MT.interCharTimeoutMs);
  const a = m.receive(c.subarray(10), 20);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].code, 0x14);
  assert.equal(seen[0].readerSerial, '123456');
  assert.deepEqual(sent(a), Array.from(simpleBlock(0x14, 0x42)));
  assert.equal(m.state, 'await-ack');
  assert.deepEqual(sent(m.receive(Uint8Array.of(ACK), 30)), [ENQ]);
  assert.equal(m.state, 'idle');
});

test('meter: bad command CRC → NAK, the 7th → back to ENQ', () => {
  const { m, seen } = meter();
  m.start(0);
  const bad = cmd(0x14);
  bad[65] ^= 1;
  for (let k = 1; k <= 6; k++) assert.deepEqual(sent(m.receive(bad, k * 10)), [NAK]);
  const a = m.receive(bad, 100);
  assert.deepEqual(sent(a), [ENQ]);
  assert.ok(mEvents(a).some((e) => e.kind === 'gave-up'));
  assert.equal(seen.length, 0);
});

test('meter: a partial command is discarded after the inter-char timeout', () => {
  const { m, seen } = meter();
  m.start(0);
  m.receive(cmd(0x14).subarray(0, 30), 10);
  const a = m.timeout(10 + MT.interCharTimeoutMs);
  assert.deepEqual(sent(a), [ENQ]);
  assert.ok(mEvents(a).some((e) => e.kind === 'partial-command-discarded' && e.bytes === 30));
  m.receive(cmd(0x20), 2000);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].code, 0x20);
});

test('meter: composite blocks flow one per ACK; NAK resends; missing ACK → ENQ ×7 then idle', () => {
  const { m } = meter();
  m.start(0);
  let a = m.receive(cmd(0x26), 10);
  assert.deepEqual(sent(a), Array.from(mmBlock(0x26, 1, false)));
  a = m.receive(Uint8Array.of(NAK), 20);
  assert.deepEqual(sent(a), Array.from(mmBlock(0x26, 1, false)));
  assert.ok(mEvents(a).some((e) => e.kind === 'block-sent' && e.resend && e.block === 1));
  a = m.receive(Uint8Array.of(ACK), 30);
  assert.deepEqual(sent(a), Array.from(mmBlock(0x26, 2, false)));
  let now = 30;
  for (let k = 1; k <= 7; k++) {
    now += MT.ackTimeoutMs;
    a = m.timeout(now);
    assert.deepEqual(sent(a), [ENQ]);
    assert.ok(mEvents(a).some((e) => e.kind === 'ack-timeout' && e.count === k));
  }
  now += MT.ackTimeoutMs;
  a = m.timeout(now);
  assert.ok(mEvents(a).some((e) => e.kind === 'gave-up'));
  assert.equal(m.state, 'idle');
});

test('meter: stray ACK/NAK while idle are ignored; another byte while awaiting ACK starts a command', () => {
  const { m, seen } = meter();
  m.start(0);
  m.receive(Uint8Array.of(ACK, NAK, ALO), 5);
  assert.equal(m.state, 'idle');
  m.receive(cmd(0x14), 10);
  assert.equal(m.state, 'await-ack');
  // The reader took our block (its ACK lost) and sends its next command right away.
  m.receive(cmd(0x20), 20);
  assert.deepEqual(
    seen.map((c) => c.code),
    [0x14, 0x20],
  );
});

test('meter: responder blocks of the wrong size are a simulator error', () => {
  const m = new MeterLink({ respond: () => [new Uint8Array(10)], timers: MT });
  m.start(0);
  assert.throws(
    () => m.receive(cmd(0x14), 1),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_SIMULATOR'),
  );
  assert.throws(
    () => new MeterLink({ respond: () => [], faults: { nakStorm: -1 } }),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_SIMULATOR'),
  );
});

test('meter: an empty answer leaves the command unanswered and resumes ENQs', () => {
  const m = new MeterLink({ respond: () => [], timers: MT });
  m.start(0);
  const a = m.receive(cmd(0x14), 10);
  assert.deepEqual(sent(a), []);
  assert.ok(mEvents(a).some((e) => e.kind === 'no-answer'));
  assert.deepEqual(sent(m.timeout(210)), [ENQ]);
});

test('meter faults: badCrcBlocks once, persistentBadCrcBlocks always', () => {
  const { m } = meter({ faults: { badCrcBlocks: [2], persistentBadCrcBlocks: [3] } });
  m.start(0);
  const blockOf = (a: MeterLinkAction[]) => Uint8Array.from(sent(a));
  let a = m.receive(cmd(0x26), 10);
  assert.ok(blockCrcOk(blockOf(a)), 'block 1 good');
  a = m.receive(Uint8Array.of(ACK), 20);
  assert.equal(blockCrcOk(blockOf(a)), false, 'block 2 corrupted once');
  a = m.receive(Uint8Array.of(NAK), 30);
  assert.ok(blockCrcOk(blockOf(a)), 'block 2 resend good');
  a = m.receive(Uint8Array.of(ACK), 40);
  for (let k = 0; k < 3; k++) {
    assert.equal(blockCrcOk(blockOf(a)), false, 'block 3 always corrupted');
    a = m.receive(Uint8Array.of(NAK), 50 + k);
  }
});

test('meter faults: nakStorm, waitBurst, dropAcks, noEnq, enqIntervalMs', () => {
  const storm = meter({ faults: { nakStorm: 2 } }).m;
  storm.start(0);
  assert.deepEqual(sent(storm.receive(cmd(0x14), 1)), [NAK]);
  assert.deepEqual(sent(storm.receive(cmd(0x14), 2)), [NAK]);
  assert.equal(sent(storm.receive(cmd(0x14), 3)).length, 258);
  storm.receive(Uint8Array.of(ACK), 4);
  assert.deepEqual(sent(storm.receive(cmd(0x20), 5)), [NAK], 'the storm replays for the next command');

  const busy = meter({ faults: { waitBurst: 2 } }).m;
  busy.start(0);
  assert.deepEqual(sent(busy.receive(cmd(0x14), 10)), [WAIT]);
  assert.equal(busy.state, 'busy');
  assert.deepEqual(sent(busy.timeout(10 + MT.enqIntervalMs)), [ENQ]);
  assert.deepEqual(sent(busy.receive(cmd(0x14), 300)), [WAIT]);
  busy.timeout(300 + MT.enqIntervalMs);
  assert.equal(sent(busy.receive(cmd(0x14), 600)).length, 258);

  const deaf = meter({ faults: { dropAcks: 1 } }).m;
  deaf.start(0);
  deaf.receive(cmd(0x14), 10);
  const a = deaf.receive(Uint8Array.of(ACK), 20);
  assert.deepEqual(sent(a), []);
  assert.ok(mEvents(a).some((e) => e.kind === 'ack-dropped'));
  assert.deepEqual(sent(deaf.timeout(10 + MT.ackTimeoutMs)), [ENQ]);
  assert.deepEqual(sent(deaf.receive(Uint8Array.of(ACK), 600)), [ENQ]);
  assert.equal(deaf.state, 'idle');

  const dead = meter({ faults: { noEnq: true } }).m;
  assert.deepEqual(sent(dead.start(0)), []);
  assert.equal(dead.deadline, null);
  assert.deepEqual(sent(dead.receive(cmd(0x14), 10)), []);

  const slow = meter({ faults: { enqIntervalMs: 4000 } }).m;
  slow.start(0);
  assert.equal(slow.deadline, 4000);
});

test('meter directional: silent until ALO, complemented blocks, disconnect after 15 s of silence', () => {
  const { m, seen } = meter({ directional: true });
  assert.deepEqual(sent(m.start(0)), []);
  assert.equal(m.state, 'await-alo');
  assert.deepEqual(sent(m.receive(Uint8Array.of(ALO), 100)), [ENQ]);
  const wire = cmd(0x14, 7).map((b) => b ^ 0xff);
  const a = m.receive(wire, 200);
  assert.equal(seen[0].code, 0x14);
  assert.deepEqual(
    sent(a),
    Array.from(simpleBlock(0x14, 7), (b) => b ^ 0xff),
  );
  assert.deepEqual(sent(m.receive(Uint8Array.of(ACK), 300)), [ENQ], 'signals are raw');
  let now = 300;
  let out: MeterLinkAction[] = [];
  for (let k = 0; k < 1000 && !out.some((x) => x.type === 'disconnect'); k++) {
    assert.notEqual(m.deadline, null);
    now = m.deadline!;
    out = m.timeout(now);
  }
  assert.equal(now, 300 + MT.disconnectMs);
  assert.equal(m.state, 'disconnected');
  assert.equal(m.deadline, null);
});

// ── reader against meter, back to back on a fake clock ─────────────────────────────────────────────────────────

/** Two machines joined by a wire with 1 ms latency; time jumps to the next delivery or deadline. */
class Wire {
  now = 0;
  private q: { at: number; toMeter: boolean; bytes: Uint8Array }[] = [];
  outcome: ReaderAction | null = null;
  opened = false;
  disconnected = false;
  blocks: Uint8Array[] = [];
  meterEvents: MeterLinkEvent[] = [];
  toMeterBytes: number[] = [];

  constructor(
    readonly reader: ReaderLink,
    readonly meter: MeterLink,
  ) {}

  fromReader(actions: ReaderAction[]): void {
    for (const a of actions) {
      if (a.type === 'send') {
        this.q.push({ at: this.now + 1, toMeter: true, bytes: a.bytes });
        this.toMeterBytes.push(...a.bytes);
      } else if (a.type === 'block') this.blocks.push(a.block);
      else if (a.type === 'opened') this.opened = true;
      else if (a.type === 'done' || a.type === 'failed') this.outcome = a;
    }
  }

  fromMeter(actions: MeterLinkAction[]): void {
    for (const a of actions) {
      if (a.type === 'send') this.q.push({ at: this.now + 1, toMeter: false, bytes: a.bytes });
      else if (a.type === 'disconnect') this.disconnected = true;
      else this.meterEvents.push(a.event);
    }
  }

  run(until: () => boolean): void {
    for (let steps = 0; !until(); steps++) {
      assert.ok(steps < 1_000_000, 'wire: too many steps');
      const tq = this.q.length > 0 ? this.q[0].at : Number.POSITIVE_INFINITY;
      const tr = this.reader.deadline ?? Number.POSITIVE_INFINITY;
      const tm = this.meter.deadline ?? Number.POSITIVE_INFINITY;
      const t = Math.min(tq, tr, tm);
      assert.ok(Number.isFinite(t), 'wire: nothing left to happen');
      this.now = Math.max(this.now, t);
      if (tq === t) {
        const m = this.q.shift()!;
        if (m.toMeter) this.fromMeter(this.meter.receive(m.bytes, this.now));
        else this.fromReader(this.reader.receive(m.bytes, this.now));
      } else if (tr === t) this.fromReader(this.reader.timeout(this.now));
      else this.fromMeter(this.meter.timeout(this.now));
    }
  }

  start(): this {
    this.fromMeter(this.meter.start(this.now));
    this.fromReader(this.reader.open(this.now));
    this.run(() => this.opened || this.outcome !== null);
    return this;
  }

  exchange(code: number): { blocks: Uint8Array[]; stats: ExchangeStats } | FronteiraError {
    this.outcome = null;
    this.blocks = [];
    this.fromReader(this.reader.request(cmd(code), this.now));
    this.run(() => this.outcome !== null);
    const o = this.outcome as ReaderAction | null;
    if (o?.type === 'failed') return o.error;
    assert.ok(o?.type === 'done');
    assert.deepEqual(o.blocks, this.blocks, 'block actions match the done action');
    return { blocks: o.blocks, stats: o.stats };
  }
}

function pair(faults: MeterLinkFaults = {}, readerOpts: ReaderLinkOptions = {}, mmBlocks = 10, directional = false) {
  const { respond } = responder(mmBlocks);
  const reader = new ReaderLink({ kind: 'tcp', directional, ...readerOpts });
  const meterLink = new MeterLink({ respond, timers: MT, faults, directional });
  return new Wire(reader, meterLink).start();
}

function ok(r: ReturnType<Wire['exchange']>): { blocks: Uint8Array[]; stats: ExchangeStats } {
  if (r instanceof Error) assert.fail(`exchange failed: ${r.code}: ${r.message}`);
  return r;
}

function failed(r: ReturnType<Wire['exchange']>, code: FronteiraError['code']): FronteiraError {
  assert.ok(r instanceof Error, 'expected the exchange to fail');
  assert.equal(r.code, code, r.message);
  return r;
}

test('pair: several exchanges in sequence on one connection (simple, composite of 40, 0x39 refusal)', () => {
  const w = pair({}, { kind: 'serial' }, 40);
  const a = ok(w.exchange(0x14));
  assert.equal(a.blocks.length, 1);
  assert.equal(a.blocks[0][0], 0x14);
  const b = ok(w.exchange(0x26));
  assert.equal(b.blocks.length, 40);
  b.blocks.forEach((blk, k) => {
    assert.equal(blk[6], toBcdByte((k + 1) % 100));
    assert.equal((blk[5] & 0x10) !== 0, k === 39);
  });
  const c = ok(w.exchange(0x99));
  assert.equal(c.blocks[0][0], 0x39);
  assert.equal(c.blocks[0][5], 0x99);
  assert.equal(ok(w.exchange(0x20)).stats.transmissions, 1);
});

test('pair fault badCrcBlocks: NAK and good resend, within limits', () => {
  const w = pair({ badCrcBlocks: [1, 3, 5] });
  const r = ok(w.exchange(0x26));
  assert.equal(r.blocks.length, 10);
  assert.equal(r.stats.naksSent, 3);
  assert.ok(r.blocks.every(blockCrcOk));
  // Block indexes count across the connection: the 11th block overall is fine, nothing corrupted any more.
  assert.equal(ok(w.exchange(0x14)).stats.naksSent, 0);
});

test('pair fault persistentBadCrcBlocks: 7 bad CRCs → CRC_LIMIT; the connection still serves the next command', () => {
  const w = pair({ persistentBadCrcBlocks: [4] });
  const e = failed(w.exchange(0x26), 'FRONTEIRA_E_LINK_CRC_LIMIT');
  assert.match(e.message, /block 4 of 0x26: 7 bad CRCs/);
  assert.equal(e.details.blocksReceived, 3);
  assert.equal(w.blocks.length, 3, 'the good blocks were delivered before the failure');
  assert.equal(ok(w.exchange(0x14)).blocks.length, 1);
});

test('pair fault nakStorm: 6 NAKs recovered, 7 → NAK_LIMIT', () => {
  const r = ok(pair({ nakStorm: 6 }).exchange(0x14));
  assert.equal(r.stats.naksReceived, 6);
  assert.equal(r.stats.transmissions, 7);
  failed(pair({ nakStorm: 7 }).exchange(0x14), 'FRONTEIRA_E_LINK_NAK_LIMIT');
});

test('pair fault waitBurst: 12 WAITs recovered, 13 → WAIT_LIMIT', () => {
  const r = ok(pair({ waitBurst: 12 }).exchange(0x26));
  assert.equal(r.stats.waits, 12);
  assert.equal(r.blocks.length, 10);
  failed(pair({ waitBurst: 13 }).exchange(0x14), 'FRONTEIRA_E_LINK_WAIT_LIMIT');
});

test('pair fault dropAcks: re-ACK on the meter’s ENQ keeps a composite going; too many → ABORTED', () => {
  const w = pair({ dropAcks: 3 });
  const r = ok(w.exchange(0x26));
  assert.equal(r.blocks.length, 10);
  assert.equal(r.stats.reAcks, 3);
  assert.equal(w.meterEvents.filter((e) => e.kind === 'ack-dropped').length, 3);
  // A dropped ACK on the last block of a simple exchange: the next command still goes through.
  const w2 = pair({ dropAcks: 1 });
  ok(w2.exchange(0x14));
  ok(w2.exchange(0x20));
  const e = failed(pair({ dropAcks: 8 }).exchange(0x26), 'FRONTEIRA_E_LINK_ABORTED');
  assert.match(e.message, /instead of block 2/);
});

test('pair fault enqIntervalMs: slow ENQs within enqTimeoutMs work, slower ones → NO_ENQ', () => {
  const w = pair({ enqIntervalMs: 4000 }, { timers: { syncEnqs: 2 } });
  ok(w.exchange(0x14));
  ok(w.exchange(0x20));
  const e = failed(
    pair({ enqIntervalMs: 6000 }, { timers: { syncEnqs: 2 } }).exchange(0x14),
    'FRONTEIRA_E_LINK_NO_ENQ',
  );
  assert.match(e.message, /lost ENQ synchronisation/);
});

test('pair fault noEnq: open fails with NO_ENQ', () => {
  const w = pair({ noEnq: true });
  assert.equal(w.opened, false);
  const o = w.outcome;
  assert.ok(o?.type === 'failed');
  assert.ok(isFronteiraError(o.error, 'FRONTEIRA_E_LINK_NO_ENQ'));
  assert.match(o.error.message, /no ENQ from the meter within 5000 ms \(0 bytes received\)/);
});

test('pair directional: ALO opens, complemented frames round-trip, meter drops a silent reader after 15 s', () => {
  const w = pair({}, {}, 5, true);
  assert.ok(w.opened);
  assert.equal(w.toMeterBytes[0], ALO);
  const r = ok(w.exchange(0x26));
  assert.equal(r.blocks.length, 5);
  assert.ok(r.blocks.every(blockCrcOk));
  assert.equal(r.blocks[0][0], 0x26, 'delivered uncomplemented');
  assert.ok(w.toMeterBytes.includes(0x26 ^ 0xff), 'command complemented on the wire');
  ok(w.exchange(0x14));
  const t0 = w.now;
  w.run(() => w.disconnected);
  assert.ok(w.now - t0 >= 15_000 - 1);
});

test('pair: conventional reader against a directional meter → NO_ENQ', () => {
  const { respond } = responder();
  const w = new Wire(new ReaderLink({}), new MeterLink({ respond, timers: MT, directional: true })).start();
  const o = w.outcome;
  assert.ok(o?.type === 'failed');
  assert.equal(o.error.code, 'FRONTEIRA_E_LINK_NO_ENQ');
});
