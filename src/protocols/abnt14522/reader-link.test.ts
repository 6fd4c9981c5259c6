import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FronteiraError, isFronteiraError } from '../../domain/errors.ts';
import { ACK, ALO, ENQ, NAK, WAIT } from './constants.ts';
import { blockCrcOk } from './crc.ts';
import { toBcdByte } from './fields.ts';
import { encodeCommand, encodeResponse } from './frame.ts';
import { type ReaderAction, ReaderLink, type ReaderLinkEvent, type ReaderLinkOptions } from './reader-link.ts';

const T = { enqTimeoutMs: 1000, responseTimeoutMs: 500, interCharTimeoutMs: 100, waitTimeoutMs: 305_000, syncEnqs: 1 };
const ENQ1 = Uint8Array.of(ENQ);

function cmd(code: number): Uint8Array {
  return encodeCommand(code, '123456');
}

function simpleBlock(code: number, marker = 0): Uint8Array {
  return encodeResponse(code, '12345678', (w) => w.u8(10, marker));
}

/** Composite block n (1-based) per §8.3: off 5 = last flag | hundreds, off 6 = BCD tens/units. */
function mmBlock(code: number, n: number, last: boolean): Uint8Array {
  return encodeResponse(code, '12345678', (w) => {
    w.u8(5, (last ? 0x10 : 0) | Math.floor(n / 100));
    w.u8(6, toBcdByte(n % 100));
    w.u8(7, n & 0xff);
  });
}

function corrupt(block: Uint8Array): Uint8Array {
  const b = block.slice();
  b[b.length - 1] ^= 0xff;
  return b;
}

function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

function sent(actions: ReaderAction[]): Uint8Array {
  return cat(...actions.flatMap((a) => (a.type === 'send' ? [a.bytes] : [])));
}

function events(actions: ReaderAction[]): ReaderLinkEvent[] {
  return actions.flatMap((a) => (a.type === 'trace' ? [a.event] : []));
}

function done(actions: ReaderAction[]) {
  const d = actions.find((a) => a.type === 'done');
  return d?.type === 'done' ? d : undefined;
}

function failure(actions: ReaderAction[]): FronteiraError | undefined {
  const f = actions.find((a) => a.type === 'failed');
  return f?.type === 'failed' ? f.error : undefined;
}

/** An open link with command `code` just sent at t=10. */
function commandSent(code = 0x14, opts: ReaderLinkOptions = {}) {
  const r = new ReaderLink({ timers: T, ...opts });
  r.open(0);
  r.receive(ENQ1, 5);
  r.request(cmd(code), 6);
  const a = r.receive(ENQ1, 10);
  assert.deepEqual(sent(a), opts.directional ? cmd(code).map((b) => b ^ 0xff) : cmd(code));
  assert.equal(r.state, 'command-sent');
  return r;
}

test('normal simple exchange: sync on one ENQ, send on the next, ACK the block (serial, syncEnqs 2)', () => {
  const r = new ReaderLink({ kind: 'serial' });
  assert.equal(r.state, 'closed');
  assert.deepEqual(r.request(cmd(0x14), 0), []);
  assert.equal(r.state, 'connecting');
  let a = r.receive(ENQ1, 100);
  assert.ok(a.some((x) => x.type === 'opened'));
  assert.equal(sent(a).length, 0, 'first ENQ only synchronises');
  assert.equal(r.state, 'sync');
  a = r.receive(ENQ1, 300);
  assert.deepEqual(sent(a), cmd(0x14));
  assert.equal(r.deadline, 300 + 1000);
  const blk = simpleBlock(0x14, 7);
  a = r.receive(blk, 400);
  assert.deepEqual(sent(a), Uint8Array.of(ACK));
  const b = a.find((x) => x.type === 'block');
  assert.ok(b?.type === 'block');
  assert.equal(b.index, 0);
  assert.deepEqual(b.block, blk);
  const d = done(a);
  assert.ok(d);
  assert.equal(d.blocks.length, 1);
  assert.equal(d.stats.transmissions, 1);
  assert.equal(d.stats.bytesOut, 66 + 1);
  assert.equal(d.stats.bytesIn, 1 + 1 + 258);
  assert.equal(d.stats.startedAt, 0);
  assert.equal(d.stats.endedAt, 400);
  assert.equal(r.state, 'idle');
  assert.equal(r.deadline, null);
});

test('syncEnqs: 2 needs two ENQs when unsynchronised, 1 sends on the first; a recent ENQ counts as sync', () => {
  for (const syncEnqs of [1, 2]) {
    const r = new ReaderLink({ timers: { ...T, syncEnqs } });
    r.open(0);
    r.receive(ENQ1, 1);
    // Long after the last ENQ: unsynchronised.
    r.request(cmd(0x14), 5000);
    assert.equal(r.state, 'unsync');
    let a = r.receive(ENQ1, 5100);
    if (syncEnqs === 2) {
      assert.equal(sent(a).length, 0);
      assert.equal(r.state, 'sync');
      a = r.receive(ENQ1, 5300);
    }
    assert.deepEqual(sent(a), cmd(0x14));
    r.receive(simpleBlock(0x14), 5400);
    // Right after an exchange the link is synchronised: the next ENQ carries the next command.
    r.request(cmd(0x20), 5401);
    assert.equal(r.state, 'sync');
    assert.deepEqual(sent(r.receive(ENQ1, 5402)), cmd(0x20));
  }
});

test('composite transfer of 40 blocks; response timer restarts after each ACK', () => {
  const r = commandSent(0x26);
  const blocks: Uint8Array[] = [];
  let now = 20;
  for (let n = 1; n <= 40; n++) {
    const blk = mmBlock(0x26, n, n === 40);
    const a = r.receive(blk, now);
    assert.deepEqual(sent(a), Uint8Array.of(ACK));
    blocks.push(blk);
    if (n < 40) {
      assert.equal(done(a), undefined);
      assert.equal(r.deadline, now + T.responseTimeoutMs);
    } else {
      const d = done(a);
      assert.ok(d);
      assert.equal(d.blocks.length, 40);
      assert.deepEqual(d.blocks, blocks);
      assert.equal(d.stats.blocks, 40);
    }
    now += 300;
  }
});

test('stray ENQs before the response are skipped without restarting Tmaxrsp', () => {
  const r = commandSent();
  const a = r.receive(cat([ENQ, ENQ, ENQ], simpleBlock(0x14)), 50);
  assert.equal(events(a).filter((e) => e.kind === 'stray-enq-skipped').length, 3);
  assert.ok(done(a));
  const r2 = commandSent();
  r2.receive(ENQ1, 400);
  assert.equal(r2.deadline, 10 + T.responseTimeoutMs);
});

test('a block split into 1-byte chunks is reassembled; inter-char timer re-arms per byte', () => {
  const r = commandSent();
  const blk = simpleBlock(0x14, 3);
  let last: ReaderAction[] = [];
  for (let i = 0; i < blk.length; i++) {
    last = r.receive(blk.subarray(i, i + 1), 20 + i);
    if (i > 0 && i < blk.length - 1) assert.equal(r.deadline, 20 + i + T.interCharTimeoutMs);
  }
  const d = done(last);
  assert.ok(d);
  assert.deepEqual(d.blocks[0], blk);
});

test('coalesced input: tail of one block + ENQ + next block in one receive', () => {
  const r = commandSent(0x26);
  const b1 = mmBlock(0x26, 1, false);
  const b2 = mmBlock(0x26, 2, false);
  const b3 = mmBlock(0x26, 3, true);
  let a = r.receive(b1.subarray(0, 100), 20);
  assert.equal(sent(a).length, 0);
  // The ENQ between blocks arrives after our ACK: the meter asks for the ACK again (re-ACK).
  a = r.receive(cat(b1.subarray(100), [ENQ], b2, b3.subarray(0, 10)), 30);
  assert.deepEqual(sent(a), Uint8Array.of(ACK, ACK, ACK));
  assert.equal(events(a).filter((e) => e.kind === 're-ack').length, 1);
  a = r.receive(cat(b3.subarray(10), [ENQ, ENQ]), 40);
  const d = done(a);
  assert.ok(d);
  assert.deepEqual(d.blocks, [b1, b2, b3]);
  assert.equal(d.stats.reAcks, 1);
  assert.equal(r.state, 'idle');
});

test('bad CRC → NAK, good resend → ACK', () => {
  const r = commandSent();
  const blk = simpleBlock(0x14, 9);
  let a = r.receive(corrupt(blk), 20);
  assert.deepEqual(sent(a), Uint8Array.of(NAK));
  assert.deepEqual(
    events(a).map((e) => e.kind),
    ['bad-crc', 'nak-sent'],
  );
  assert.equal(r.state, 'command-sent');
  a = r.receive(blk, 30);
  assert.deepEqual(sent(a), Uint8Array.of(ACK));
  const d = done(a);
  assert.ok(d);
  assert.equal(d.stats.naksSent, 1);
});

test('7 bad CRCs of one block → FRONTEIRA_E_LINK_CRC_LIMIT naming the block', () => {
  const r = commandSent(0x26);
  r.receive(mmBlock(0x26, 1, false), 20);
  const bad = corrupt(mmBlock(0x26, 2, false));
  for (let k = 1; k <= 6; k++) assert.deepEqual(sent(r.receive(bad, 20 + k)), Uint8Array.of(NAK));
  const a = r.receive(bad, 40);
  const err = failure(a);
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_CRC_LIMIT'));
  assert.match(err.message, /block 2 of 0x26: 7 bad CRCs/);
  assert.equal(err.details.blocksReceived, 1);
  assert.equal(r.state, 'idle');
  assert.equal(r.busy, false);
});

test('NAK from the meter → immediate resend; the 7th NAK → FRONTEIRA_E_LINK_NAK_LIMIT', () => {
  const r = commandSent(0x26);
  for (let k = 1; k <= 6; k++) {
    const a = r.receive(Uint8Array.of(NAK), 20 + k);
    assert.deepEqual(sent(a), cmd(0x26));
    assert.ok(events(a).some((e) => e.kind === 'command-sent' && e.attempt === k + 1));
  }
  const err = failure(r.receive(Uint8Array.of(NAK), 40));
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_NAK_LIMIT'));
  assert.match(err.message, /7 NAKs for command 0x26/);
  // The link takes a new request afterwards, unsynchronised.
  r.request(cmd(0x14), 50);
  assert.equal(r.state, 'unsync');
});

test('NAK then a good answer succeeds', () => {
  const r = commandSent();
  r.receive(Uint8Array.of(NAK), 20);
  const d = done(r.receive(simpleBlock(0x14), 30));
  assert.ok(d);
  assert.equal(d.stats.naksReceived, 1);
  assert.equal(d.stats.transmissions, 2);
});

function waitRounds(r: ReaderLink, n: number, start: number): ReaderAction[] {
  let now = start;
  let a: ReaderAction[] = [];
  for (let k = 0; k < n; k++) {
    a = r.receive(Uint8Array.of(WAIT), now);
    if (failure(a)) return a;
    assert.equal(r.state, 'wait');
    assert.equal(r.deadline, now + T.waitTimeoutMs);
    now += 1000;
    a = r.receive(ENQ1, now);
    assert.deepEqual(sent(a), cmd(0x14), 'command re-sent on the ENQ after WAIT');
    now += 10;
  }
  return a;
}

test('WAIT ×12 is tolerated; the response then completes', () => {
  const r = commandSent();
  waitRounds(r, 12, 20);
  const d = done(r.receive(simpleBlock(0x14), 100_000));
  assert.ok(d);
  assert.equal(d.stats.waits, 12);
  assert.equal(d.stats.transmissions, 13);
});

test('WAIT ×13 → FRONTEIRA_E_LINK_WAIT_LIMIT', () => {
  const r = commandSent();
  waitRounds(r, 12, 20);
  const err = failure(r.receive(Uint8Array.of(WAIT), 100_000));
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_WAIT_LIMIT'));
  assert.match(err.message, /13 WAITs/);
});

test('consecutive WAITs without ENQ re-arm Tsemwait; silence past it → FRONTEIRA_E_LINK_WAIT_TIMEOUT', () => {
  const r = commandSent();
  r.receive(Uint8Array.of(WAIT), 20);
  r.receive(Uint8Array.of(WAIT), 200_000);
  assert.equal(r.deadline, 200_000 + T.waitTimeoutMs);
  assert.deepEqual(r.timeout(200_000 + T.waitTimeoutMs - 1), [], 'not yet');
  const err = failure(r.timeout(200_000 + T.waitTimeoutMs));
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_WAIT_TIMEOUT'));
  assert.match(err.message, /305000 ms after WAIT 2/);
});

test('response timeout → the command is re-sent on the next ENQ', () => {
  const r = commandSent();
  const a = r.timeout(10 + T.responseTimeoutMs);
  assert.ok(events(a).some((e) => e.kind === 'timeout' && e.timer === 'response'));
  assert.equal(sent(a).length, 0);
  assert.equal(r.state, 'sync');
  const b = r.receive(ENQ1, 600);
  assert.deepEqual(sent(b), cmd(0x14));
  const d = done(r.receive(simpleBlock(0x14), 700));
  assert.ok(d);
  assert.equal(d.stats.retries, 1);
  assert.equal(d.stats.timeouts, 1);
  assert.equal(d.stats.transmissions, 2);
});

test('7 transmissions without answer → FRONTEIRA_E_LINK_NO_RESPONSE', () => {
  const r = commandSent();
  let now = 10;
  let err: FronteiraError | undefined;
  for (let k = 1; k <= 7; k++) {
    now += T.responseTimeoutMs;
    const a = r.timeout(now);
    err = failure(a);
    if (k < 7) {
      assert.equal(err, undefined);
      now += 50;
      assert.deepEqual(sent(r.receive(ENQ1, now)), cmd(0x14));
    }
  }
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_NO_RESPONSE'));
  assert.match(err.message, /0x14 got no valid answer after 7 transmissions \(7 timeouts, 0 sequence breaks\)/);
  assert.equal((err.details.stats as { transmissions: number }).transmissions, 7);
});

test('inter-char timeout inside a block counts as no answer and re-sends on the next ENQ', () => {
  const r = commandSent();
  r.receive(simpleBlock(0x14).subarray(0, 100), 20);
  assert.equal(r.state, 'receiving');
  const a = r.timeout(20 + T.interCharTimeoutMs);
  assert.ok(events(a).some((e) => e.kind === 'timeout' && e.timer === 'inter-char'));
  assert.deepEqual(sent(r.receive(ENQ1, 200)), cmd(0x14));
  assert.ok(done(r.receive(simpleBlock(0x14), 300)));
});

test('garbage → sequence break: input flushed, unsynchronised, command re-sent after ENQ, counted as a retry', () => {
  const r = commandSent(0x14, { timers: { ...T, syncEnqs: 2 } });
  // Garbage followed (in the same read) by an ENQ: the whole read is flushed.
  const a = r.receive(Uint8Array.of(0x77, 0x05, 0x14), 20);
  const brk = events(a).find((e) => e.kind === 'sequence-break');
  assert.ok(brk?.kind === 'sequence-break');
  assert.equal(brk.byte, 0x77);
  assert.equal(r.state, 'unsync');
  assert.equal(sent(r.receive(ENQ1, 30)).length, 0, 'syncEnqs 2: first ENQ only syncs');
  assert.deepEqual(sent(r.receive(ENQ1, 40)), cmd(0x14));
  const d = done(r.receive(simpleBlock(0x14), 50));
  assert.ok(d);
  assert.equal(d.stats.sequenceBreaks, 1);
  assert.equal(d.stats.retries, 1);
});

test('0x39 and 0x40 responses are accepted as the answer; vendor codes only when listed', () => {
  const r = commandSent(0x26);
  const d = done(r.receive(simpleBlock(0x39), 20));
  assert.ok(d, '0x39 ends even a composite exchange');
  const r2 = new ReaderLink({ timers: T });
  r2.open(0);
  r2.receive(ENQ1, 1);
  r2.request(cmd(0x2a), 2, { acceptCodes: [0x2b] });
  r2.receive(ENQ1, 3);
  assert.ok(done(r2.receive(simpleBlock(0x2b), 4)));
});

test('composite: ENQ instead of the next block → ACK again', () => {
  const r = commandSent(0x26);
  r.receive(mmBlock(0x26, 1, false), 20);
  const a = r.receive(ENQ1, 400);
  assert.deepEqual(sent(a), Uint8Array.of(ACK));
  assert.ok(events(a).some((e) => e.kind === 're-ack' && e.block === 1 && e.signal === 'ACK'));
  assert.equal(r.deadline, 400 + T.responseTimeoutMs);
  const d = done(r.receive(mmBlock(0x26, 2, true), 500));
  assert.ok(d);
  assert.equal(d.stats.reAcks, 1);
});

test('ENQ after our NAK: the NAK is repeated', () => {
  const r = commandSent();
  r.receive(corrupt(simpleBlock(0x14)), 20);
  const a = r.receive(ENQ1, 300);
  assert.deepEqual(sent(a), Uint8Array.of(NAK));
  assert.ok(done(r.receive(simpleBlock(0x14), 400)));
});

test('composite: NAK from the meter mid-transfer → FRONTEIRA_E_LINK_ABORTED', () => {
  const r = commandSent(0x26);
  r.receive(mmBlock(0x26, 1, false), 20);
  r.receive(mmBlock(0x26, 2, false), 30);
  const err = failure(r.receive(Uint8Array.of(NAK), 40));
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_ABORTED'));
  assert.match(err.message, /0x26 aborted after 2 blocks: NAK from the meter/);
  assert.equal(err.details.blocksReceived, 2);
});

test('composite: no next block within Tmaxrsp → FRONTEIRA_E_LINK_ABORTED', () => {
  const r = commandSent(0x27);
  r.receive(mmBlock(0x27, 1, false), 20);
  const err = failure(r.timeout(20 + T.responseTimeoutMs));
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_ABORTED'));
  assert.match(err.message, /no block 2 within 500 ms/);
});

test('composite: endless ENQs despite re-ACKs → FRONTEIRA_E_LINK_ABORTED', () => {
  const r = commandSent(0x26);
  r.receive(mmBlock(0x26, 1, false), 20);
  let err: FronteiraError | undefined;
  for (let k = 0; k < 8 && !err; k++) err = failure(r.receive(ENQ1, 30 + k));
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_ABORTED'));
  assert.match(err.message, /ENQ 8 times instead of block 2/);
});

test('no ENQ → FRONTEIRA_E_LINK_NO_ENQ with what was received', () => {
  const r = new ReaderLink({ timers: T });
  r.open(0);
  assert.equal(r.deadline, 1000);
  r.receive(Uint8Array.of(0xfa, 0xfa), 10);
  const err = failure(r.timeout(1000));
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_NO_ENQ'));
  assert.equal(err.message, 'no ENQ from the meter within 1000 ms (2 bytes received, none of them ENQ)');
  assert.equal(r.state, 'closed');
  // Unsynchronised request on an open link that never sees an ENQ.
  const r2 = new ReaderLink({ timers: T });
  r2.open(0);
  r2.receive(ENQ1, 1);
  r2.request(cmd(0x14), 5000);
  const err2 = failure(r2.timeout(6000));
  assert.ok(isFronteiraError(err2, 'FRONTEIRA_E_LINK_NO_ENQ'));
  assert.match(err2.message, /within 1000 ms before sending command 0x14 \(0 bytes received\)/);
});

test('ENQs too far apart: sync is lost repeatedly → FRONTEIRA_E_LINK_NO_ENQ', () => {
  const r = new ReaderLink({ timers: { ...T, syncEnqs: 2 } });
  r.open(0);
  r.receive(ENQ1, 1);
  r.request(cmd(0x14), 5000);
  let now = 5000;
  let err: FronteiraError | undefined;
  for (let k = 0; k < 20 && !err; k++) {
    now += 900;
    r.receive(ENQ1, now); // syncs
    err = failure(r.timeout(r.deadline!)); // …but the next ENQ is later than enqTimeoutMs
  }
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_NO_ENQ'));
  assert.match(err.message, /lost ENQ synchronisation 7 times/);
});

test('directional: ALO up to 5 times, then FRONTEIRA_E_LINK_NO_ENQ', () => {
  const r = new ReaderLink({ timers: T, directional: true });
  let a = r.open(0);
  assert.deepEqual(sent(a), Uint8Array.of(ALO));
  let now = 0;
  for (let k = 2; k <= 5; k++) {
    now += T.enqTimeoutMs;
    a = r.timeout(now);
    assert.deepEqual(sent(a), Uint8Array.of(ALO));
    assert.ok(events(a).some((e) => e.kind === 'alo-sent' && e.attempt === k));
  }
  const err = failure(r.timeout(now + T.enqTimeoutMs));
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_LINK_NO_ENQ'));
  assert.match(err.message, /directional link: no ENQ after 5 ALOs, 1000 ms each/);
});

test('directional: command and response complemented on the wire, signals raw, block delivered plain', () => {
  const r = commandSent(0x26, { directional: true });
  const b1 = mmBlock(0x26, 1, false);
  const b2 = mmBlock(0x26, 2, true);
  const wire = (b: Uint8Array) => b.map((x) => x ^ 0xff);
  let a = r.receive(wire(b1), 20);
  assert.deepEqual(sent(a), Uint8Array.of(ACK), 'ACK is not complemented');
  a = r.receive(wire(b2), 30);
  const d = done(a);
  assert.ok(d);
  assert.deepEqual(d.blocks, [b1, b2]);
  assert.ok(blockCrcOk(d.blocks[1]));
  // An uncomplemented block is not a block start in directional mode: 0x14 is garbage there.
  const r2 = commandSent(0x14, { directional: true });
  assert.ok(events(r2.receive(simpleBlock(0x14), 20)).some((e) => e.kind === 'sequence-break'));
});

test('request validation: busy link, wrong length, unsealed frame, signalling code', () => {
  const r = commandSent();
  assert.throws(
    () => r.request(cmd(0x20), 20),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_LINK_BUSY'),
  );
  assert.throws(
    () => r.open(20),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_LINK_BUSY'),
  );
  const idle = new ReaderLink({ timers: T });
  assert.throws(
    () => idle.request(new Uint8Array(10), 0),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_ABNT_FRAME_LENGTH'),
  );
  const unsealed = cmd(0x14);
  unsealed[20] = 1;
  assert.throws(
    () => idle.request(unsealed, 0),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_ABNT_CRC'),
  );
  const enqCode = new Uint8Array(66);
  enqCode[0] = ENQ;
  assert.throws(
    () => idle.request(enqCode, 0),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_ABNT_PARAMETER'),
  );
  assert.throws(
    () => new ReaderLink({ timers: { enqTimeoutMs: -1 } }),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_LINK_CONFIG'),
  );
});

test('abort() ends the exchange silently and leaves the link unsynchronised', () => {
  const r = commandSent(0x26);
  r.receive(mmBlock(0x26, 1, false), 20);
  r.abort();
  assert.equal(r.state, 'idle');
  assert.equal(r.deadline, null);
  assert.equal(r.busy, false);
  // Leftover blocks of the aborted transfer are ignored while idle.
  assert.deepEqual(r.receive(mmBlock(0x26, 2, true), 30), []);
  r.request(cmd(0x14), 5000);
  assert.equal(r.state, 'unsync');
});

test('random input never throws; every failure is a typed link error', () => {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let round = 0; round < 200; round++) {
    const r = new ReaderLink({ timers: T });
    r.request(cmd(0x26), 0);
    let now = 0;
    let ended = false;
    for (let step = 0; step < 400 && !ended; step++) {
      now += Math.floor(rnd() * 300);
      let a: ReaderAction[];
      if (rnd() < 0.2 && r.deadline !== null) {
        now = Math.max(now, r.deadline);
        a = r.timeout(now);
      } else {
        const n = 1 + Math.floor(rnd() * 300);
        const bytes = new Uint8Array(n);
        for (let i = 0; i < n; i++) bytes[i] = rnd() < 0.3 ? [ENQ, NAK, WAIT, 0x26][i % 4] : Math.floor(rnd() * 256);
        a = r.receive(bytes, now);
      }
      const f = failure(a);
      if (f) assert.match(f.code, /^FRONTEIRA_E_LINK_/);
      if (f || done(a)) ended = true;
    }
  }
});
