import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { COMPOSITE_COMMANDS } from '../protocols/abnt14522/constants.ts';
import { blockCrcOk } from '../protocols/abnt14522/crc.ts';
import { toBcdByte } from '../protocols/abnt14522/fields.ts';
import { type CommandFrame, encodeCommand, encodeResponse } from '../protocols/abnt14522/frame.ts';
import type { LinkLimits, LinkTimers } from '../protocols/abnt14522/link-timers.ts';
import { MeterLink } from '../protocols/abnt14522/meter-link.ts';
import type { MeterLinkFaults } from '../simulator/faults.ts';
import { partialBlocks, ReaderConnection, serveMeterLink } from './link-driver.ts';
import { createMemoryPair, type MemoryPairOptions } from './memory.ts';

// Small real timers: generous enough for a loaded machine, short enough to keep the failure paths quick.
const READER: Partial<LinkTimers> = {
  enqTimeoutMs: 1000,
  responseTimeoutMs: 600,
  interCharTimeoutMs: 300,
  waitTimeoutMs: 2000,
  syncEnqs: 1,
};
const METER = { enqIntervalMs: 20, ackTimeoutMs: 60, interCharTimeoutMs: 300, disconnectMs: 2000 };

function cmd(code: number): Uint8Array {
  return encodeCommand(code, '123456');
}

function mmBlock(code: number, n: number, last: boolean): Uint8Array {
  return encodeResponse(code, '12345678', (w) => {
    w.u8(5, (last ? 0x10 : 0) | Math.floor(n / 100));
    w.u8(6, toBcdByte(n % 100));
  });
}

function respondWith(mmBlocks: number) {
  return (c: CommandFrame): Uint8Array[] => {
    if (COMPOSITE_COMMANDS.has(c.code)) {
      return Array.from({ length: mmBlocks }, (_, k) => mmBlock(c.code, k + 1, k === mmBlocks - 1));
    }
    if (c.code === 0x99) return [encodeResponse(0x39, '12345678', (w) => w.u8(5, 0x99))];
    return [encodeResponse(c.code, '12345678')];
  };
}

interface Setup {
  faults?: MeterLinkFaults;
  pair?: MemoryPairOptions;
  directional?: boolean;
  mmBlocks?: number;
  reader?: Partial<LinkTimers>;
  limits?: Partial<LinkLimits>;
  respond?: (c: CommandFrame) => Uint8Array[];
  onError?: (e: unknown) => void;
}

function setup(s: Setup = {}) {
  const [readerEnd, meterEnd] = createMemoryPair({ labels: ['reader', 'meter'], ...s.pair });
  const meter = new MeterLink({
    respond: s.respond ?? respondWith(s.mmBlocks ?? 8),
    timers: METER,
    faults: s.faults,
    directional: s.directional,
  });
  const server = serveMeterLink(meterEnd, meter, { onError: s.onError });
  const conn = new ReaderConnection(readerEnd, {
    timers: { ...READER, ...s.reader },
    limits: s.limits,
    directional: s.directional,
  });
  return { conn, server, meter, readerEnd, meterEnd };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('driver: open, then several exchanges in sequence on one connection', async () => {
  const { conn, server } = setup({ mmBlocks: 40 });
  await conn.open();
  const a = await conn.exchange(cmd(0x14));
  assert.equal(a.blocks.length, 1);
  assert.equal(a.stats.transmissions, 1);
  assert.ok(a.trace.some((t) => t.event.kind === 'command-sent'));
  assert.ok(a.trace.every((t) => t.atMs >= 0));
  const seen: number[] = [];
  const b = await conn.exchange(cmd(0x26), { onBlock: (_b, i) => seen.push(i) });
  assert.equal(b.blocks.length, 40);
  assert.deepEqual(
    seen,
    Array.from({ length: 40 }, (_, i) => i),
  );
  assert.ok(b.blocks.every(blockCrcOk));
  const c = await conn.exchange(cmd(0x99));
  assert.equal(c.blocks[0][0], 0x39);
  await conn.exchange(cmd(0x20));
  conn.close();
  server.stop();
});

test('driver: byte-by-byte fragmentation and coalescing through the memory pair', async () => {
  for (const pair of [{ chunkSize: 1 }, { coalesce: true }, { coalesce: true, chunkSize: 100 }]) {
    const { conn, server } = setup({ pair, mmBlocks: 40 });
    const r = await conn.exchange(cmd(0x26));
    assert.equal(r.blocks.length, 40, JSON.stringify(pair));
    assert.equal(r.blocks[39][5] & 0x10, 0x10);
    assert.equal((await conn.exchange(cmd(0x14))).blocks.length, 1);
    conn.close();
    server.stop();
  }
});

test('driver: every meter link fault within limits is recovered', async () => {
  const cases: [MeterLinkFaults, (s: Awaited<ReturnType<ReaderConnection['exchange']>>['stats']) => void][] = [
    [{ badCrcBlocks: [2, 4] }, (s) => assert.equal(s.naksSent, 2)],
    [{ nakStorm: 3 }, (s) => assert.equal(s.naksReceived, 3)],
    [{ waitBurst: 3 }, (s) => assert.equal(s.waits, 3)],
    [{ dropAcks: 2 }, (s) => assert.equal(s.reAcks, 2)],
    [{ enqIntervalMs: 300 }, (s) => assert.equal(s.blocks, 8)],
  ];
  for (const [faults, check] of cases) {
    const { conn, server } = setup({ faults });
    const r = await conn.exchange(cmd(0x26));
    assert.equal(r.blocks.length, 8, JSON.stringify(faults));
    check(r.stats);
    conn.close();
    server.stop();
  }
});

test('driver: meter link faults beyond limits end with the right typed error', async () => {
  const cases: [Setup, string][] = [
    [{ faults: { persistentBadCrcBlocks: [3] } }, 'FRONTEIRA_E_LINK_CRC_LIMIT'],
    [{ faults: { nakStorm: 7 } }, 'FRONTEIRA_E_LINK_NAK_LIMIT'],
    [{ faults: { waitBurst: 3 }, limits: { maxWaits: 2 } }, 'FRONTEIRA_E_LINK_WAIT_LIMIT'],
    [{ faults: { dropAcks: 20 } }, 'FRONTEIRA_E_LINK_ABORTED'],
    [{ faults: { enqIntervalMs: 400 }, reader: { enqTimeoutMs: 150, syncEnqs: 2 } }, 'FRONTEIRA_E_LINK_NO_ENQ'],
    [{ faults: { noEnq: true }, reader: { enqTimeoutMs: 150 } }, 'FRONTEIRA_E_LINK_NO_ENQ'],
  ];
  for (const [s, code] of cases) {
    const { conn, server } = setup(s);
    const got: number[] = [];
    await assert.rejects(conn.exchange(cmd(0x26), { onBlock: (_b, i) => got.push(i) }), (e) => {
      assert.ok(isFronteiraError(e), String(e));
      assert.equal(e.code, code, e.message);
      assert.equal(partialBlocks(e).length, got.length, 'blocks received before the failure ride on the error');
      return true;
    });
    conn.close();
    server.stop();
  }
});

test('driver: open() rejects with NO_ENQ against a dead meter', async () => {
  const { conn, server } = setup({ faults: { noEnq: true }, reader: { enqTimeoutMs: 100 } });
  await assert.rejects(conn.open(), (e) => isFronteiraError(e, 'FRONTEIRA_E_LINK_NO_ENQ'));
  conn.close();
  server.stop();
});

test('driver: disconnect mid-composite → TRANSPORT_CLOSED with the blocks received so far', async () => {
  // ENQ + command + 5 full blocks and their ACKs, then the line drops inside block 6.
  const { conn, server } = setup({ mmBlocks: 40, pair: { closeAfterBytes: 1 + 66 + 5 * 259 + 100 } });
  const got: Uint8Array[] = [];
  await assert.rejects(conn.exchange(cmd(0x26), { onBlock: (b) => got.push(b) }), (e) => {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_TRANSPORT_CLOSED'), String(e));
    assert.match(e.message, new RegExp(`closed during command 0x26 after ${got.length} blocks`));
    assert.equal(e.details.blocksReceived, got.length);
    assert.deepEqual(partialBlocks(e), got);
    assert.ok(isFronteiraError(e.cause, 'FRONTEIRA_E_TRANSPORT_CLOSED'));
    return true;
  });
  // Exactly 5 unless an extra idle ENQ slipped in before the command on a loaded machine.
  assert.ok(got.length >= 4 && got.length <= 5, `${got.length} blocks`);
  assert.equal(conn.closed, true);
  await assert.rejects(conn.exchange(cmd(0x14)), (e) => isFronteiraError(e, 'FRONTEIRA_E_TRANSPORT_CLOSED'));
  server.stop();
});

test('driver: abort signal → SESSION_ABORTED, listener removed, the connection stays usable', async () => {
  const { conn, server } = setup({ faults: { waitBurst: 1 }, reader: { waitTimeoutMs: 5000 } });
  const ac = new AbortController();
  const p = conn.exchange(cmd(0x14), { signal: ac.signal });
  setTimeout(() => ac.abort(new Error('operator cancelled')), 5);
  await assert.rejects(p, (e) => isFronteiraError(e, 'FRONTEIRA_E_SESSION_ABORTED'));
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  const done = new AbortController();
  const r = await conn.exchange(cmd(0x20), { signal: done.signal });
  assert.equal(r.blocks.length, 1);
  assert.equal(getEventListeners(done.signal, 'abort').length, 0, 'listener removed after success too');
  await assert.rejects(conn.exchange(cmd(0x20), { signal: ac.signal }), (e) =>
    isFronteiraError(e, 'FRONTEIRA_E_SESSION_ABORTED'),
  );
  conn.close();
  server.stop();
});

test('driver: a second exchange while one runs is LINK_BUSY', async () => {
  const { conn, server } = setup();
  const p = conn.exchange(cmd(0x26));
  await assert.rejects(conn.exchange(cmd(0x14)), (e) => isFronteiraError(e, 'FRONTEIRA_E_LINK_BUSY'));
  assert.equal((await p).blocks.length, 8);
  conn.close();
  server.stop();
});

test('driver: close() mid-exchange rejects it and leaves no timer behind', async () => {
  const before = timeouts();
  const { conn, server } = setup({ faults: { waitBurst: 5 }, reader: { waitTimeoutMs: 60_000 } });
  const p = conn.exchange(cmd(0x14));
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(timeouts() > before, 'timers are armed while the exchange runs');
  conn.close();
  await assert.rejects(p, (e) => isFronteiraError(e, 'FRONTEIRA_E_SESSION_ABORTED'));
  await settle();
  assert.equal(timeouts(), before, 'no timer left after close (the meter side stopped when the peer closed)');
  server.stop();
  conn.close();
});

test('driver: directional round trip (ALO, complemented blocks) and idle disconnect by the meter', async () => {
  const before = timeouts();
  const { conn, meter } = setup({ directional: true, mmBlocks: 5 });
  await conn.open();
  const r = await conn.exchange(cmd(0x26));
  assert.equal(r.blocks.length, 5);
  assert.ok(r.blocks.every(blockCrcOk));
  assert.equal(r.blocks[0][0], 0x26);
  // The reader now stays silent; the meter hangs up after disconnectMs (2 s here).
  await new Promise<void>((resolve) => {
    const iv = setInterval(() => {
      if (conn.closed) {
        clearInterval(iv);
        resolve();
      }
    }, 50);
  });
  assert.equal(meter.state, 'disconnected');
  await settle();
  assert.equal(timeouts(), before);
});

test('driver: a responder that throws closes the meter side; the reader sees TRANSPORT_CLOSED', async () => {
  const errors: unknown[] = [];
  const { conn } = setup({
    respond: () => {
      throw new Error('responder bug');
    },
    onError: (e) => errors.push(e),
  });
  await assert.rejects(conn.exchange(cmd(0x14)), (e) => isFronteiraError(e, 'FRONTEIRA_E_TRANSPORT_CLOSED'));
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /responder bug/);
});
