import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FronteiraError, isFronteiraError } from '../domain/errors.ts';
import { createMemoryPair } from './memory.ts';
import type { ByteTransport } from './transport.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

async function settle(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

function listen(t: ByteTransport) {
  const chunks: number[][] = [];
  const closes: (FronteiraError | undefined)[] = [];
  t.setHandlers(
    (b) => chunks.push(Array.from(b)),
    (e) => closes.push(e),
  );
  return { chunks, closes, bytes: () => chunks.flat() };
}

test('delivery is asynchronous, in order, and copies the sender’s buffer', async () => {
  const [a, b] = createMemoryPair();
  const rb = listen(b);
  const buf = Uint8Array.of(1, 2, 3);
  a.send(buf);
  buf[0] = 99; // the sender may reuse its buffer once send returns
  a.send(Uint8Array.of(4));
  assert.equal(rb.chunks.length, 0, 'nothing delivered inside send');
  await settle();
  assert.deepEqual(rb.chunks, [[1, 2, 3], [4]]);
});

test('a handler that answers inside onBytes is not re-entered', async () => {
  const [a, b] = createMemoryPair();
  let depth = 0;
  let maxDepth = 0;
  const ra = listen(a);
  b.setHandlers(
    (bytes) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      b.send(bytes);
      b.send(bytes);
      depth--;
    },
    () => {},
  );
  a.send(Uint8Array.of(7));
  await settle();
  assert.equal(maxDepth, 1);
  assert.deepEqual(ra.bytes(), [7, 7]);
});

test('chunkSize splits every write; 1 = byte by byte', async () => {
  const [a, b] = createMemoryPair({ chunkSize: 1 });
  const rb = listen(b);
  a.send(Uint8Array.of(1, 2, 3, 4, 5));
  await settle();
  assert.deepEqual(rb.chunks, [[1], [2], [3], [4], [5]]);
  const [c, d] = createMemoryPair({ chunkSize: 2 });
  const rd = listen(d);
  c.send(Uint8Array.of(1, 2, 3, 4, 5));
  await settle();
  assert.deepEqual(rd.chunks, [[1, 2], [3, 4], [5]]);
});

test('coalesce delivers several writes as one chunk (then chunkSize applies)', async () => {
  const [a, b] = createMemoryPair({ coalesce: true });
  const rb = listen(b);
  a.send(Uint8Array.of(1));
  a.send(Uint8Array.of(2, 3));
  a.send(Uint8Array.of(4));
  await settle();
  assert.deepEqual(rb.chunks, [[1, 2, 3, 4]]);
  const [c, d] = createMemoryPair({ coalesce: true, chunkSize: 3 });
  const rd = listen(d);
  c.send(Uint8Array.of(1, 2));
  c.send(Uint8Array.of(3, 4));
  await settle();
  assert.deepEqual(rd.chunks, [[1, 2, 3], [4]]);
});

test('bytes sent before setHandlers wait for it', async () => {
  const [a, b] = createMemoryPair();
  a.send(Uint8Array.of(9, 8));
  await settle();
  const rb = listen(b);
  await settle();
  assert.deepEqual(rb.bytes(), [9, 8]);
});

test('close: local side gets onClose() without argument, peer gets TRANSPORT_CLOSED after pending data', async () => {
  const [a, b] = createMemoryPair();
  const ra = listen(a);
  const rb = listen(b);
  a.send(Uint8Array.of(1, 2));
  a.close();
  a.close(); // idempotent
  assert.equal(a.closed, true);
  a.send(Uint8Array.of(3)); // dropped
  await settle();
  assert.deepEqual(ra.closes, [undefined]);
  assert.deepEqual(rb.bytes(), [1, 2], 'data sent before close still arrives');
  assert.equal(rb.closes.length, 1);
  assert.ok(isFronteiraError(rb.closes[0], 'FRONTEIRA_E_TRANSPORT_CLOSED'));
  assert.match(rb.closes[0]!.message, /memory:a closed the connection/);
  assert.equal(b.closed, true);
  b.send(Uint8Array.of(4));
  b.close();
  await settle();
  assert.equal(rb.closes.length, 1, 'onClose exactly once');
  assert.equal(ra.chunks.length, 0);
});

test('closing inside onBytes stops delivery of the rest', async () => {
  const [a, b] = createMemoryPair({ chunkSize: 1 });
  const got: number[] = [];
  const closes: unknown[] = [];
  b.setHandlers(
    (bytes) => {
      got.push(bytes[0]);
      if (bytes[0] === 2) b.close();
    },
    (e) => closes.push(e),
  );
  const ra = listen(a);
  a.send(Uint8Array.of(1, 2, 3, 4));
  await settle();
  assert.deepEqual(got, [1, 2]);
  assert.deepEqual(closes, [undefined]);
  assert.equal(ra.closes.length, 1);
  assert.ok(isFronteiraError(ra.closes[0], 'FRONTEIRA_E_TRANSPORT_CLOSED'));
});

test('closeAfterBytes counts both directions, truncates the last write and closes both ends with an error', async () => {
  const [a, b] = createMemoryPair({ closeAfterBytes: 5 });
  const ra = listen(a);
  const rb = listen(b);
  a.send(Uint8Array.of(1, 2));
  b.send(Uint8Array.of(3, 4));
  a.send(Uint8Array.of(5, 6, 7));
  a.send(Uint8Array.of(8));
  await settle();
  assert.deepEqual(rb.bytes(), [1, 2, 5]);
  assert.deepEqual(ra.bytes(), [3, 4]);
  for (const r of [ra, rb]) {
    assert.equal(r.closes.length, 1);
    assert.ok(isFronteiraError(r.closes[0], 'FRONTEIRA_E_TRANSPORT_CLOSED'));
    assert.match(r.closes[0]!.message, /dropped/);
  }
  assert.ok(a.closed && b.closed);
});

test('invalid options are typed errors', () => {
  assert.throws(
    () => createMemoryPair({ chunkSize: 0 }),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_LINK_CONFIG'),
  );
  assert.throws(
    () => createMemoryPair({ closeAfterBytes: -1 }),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_LINK_CONFIG'),
  );
});
