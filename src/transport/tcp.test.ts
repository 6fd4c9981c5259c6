import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { connectTcp } from './tcp.ts';

function listen(onSocket: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer(onSocket);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

test('bytes flow both ways; bytes that arrive before handlers are kept', async () => {
  const server = await listen((s) => {
    s.write(Buffer.from([5, 5]));
    s.on('data', (d) => s.write(d));
  });
  const t = await connectTcp('127.0.0.1', portOf(server));
  await new Promise((r) => setTimeout(r, 50));
  const got: number[] = [];
  const done = new Promise<void>((resolve) => {
    t.setHandlers(
      (b) => {
        got.push(...b);
        if (got.length === 5) resolve();
      },
      () => {},
    );
  });
  t.send(Uint8Array.from([1, 2, 3]));
  await done;
  assert.deepEqual(got, [5, 5, 1, 2, 3]);
  t.close();
  assert.equal(t.closed, true);
  server.close();
});

test('peer close is reported once as FRONTEIRA_E_TRANSPORT_CLOSED; local close reports no error', async () => {
  const server = await listen((s) => setTimeout(() => s.destroy(), 20));
  const t = await connectTcp('127.0.0.1', portOf(server));
  const err = await new Promise((resolve) => t.setHandlers(() => {}, resolve));
  assert.ok(isFronteiraError(err, 'FRONTEIRA_E_TRANSPORT_CLOSED'), String(err));
  const t2 = await connectTcp('127.0.0.1', portOf(server));
  const calls: unknown[] = [];
  t2.setHandlers(
    () => {},
    (e) => calls.push(e),
  );
  t2.close();
  t2.close();
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(calls, [undefined]);
  t2.send(Uint8Array.of(1)); // after close: ignored, no throw
  server.close();
});

test('connection refused is a typed connect error naming the address', async () => {
  const server = await listen(() => {});
  const port = portOf(server);
  await new Promise((r) => server.close(r));
  await assert.rejects(connectTcp('127.0.0.1', port), (e) => {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_TRANSPORT_CONNECT'));
    assert.match((e as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}.*refused`));
    return true;
  });
});

test('an aborted connect rejects and leaves nothing open', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(connectTcp('127.0.0.1', 9, { signal: ac.signal }), (e) =>
    isFronteiraError(e, 'FRONTEIRA_E_TRANSPORT_CONNECT'),
  );
});
