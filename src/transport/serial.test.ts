import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPtyPair } from '../../test/helpers/pty-pair.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { openSerial } from './serial.ts';

test('serial transport moves bytes over a real pty pair', async () => {
  const pair = await openPtyPair();
  try {
    const x = await openSerial({ path: pair.a });
    const y = await openSerial({ path: pair.b });
    const got: number[] = [];
    const done = new Promise<void>((resolve) =>
      y.setHandlers(
        (b) => {
          got.push(...b);
          if (got.length === 300) resolve();
        },
        () => {},
      ),
    );
    x.setHandlers(
      () => {},
      () => {},
    );
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    x.send(data);
    await done;
    assert.deepEqual(got, Array.from(data));
    x.close();
    y.close();
  } finally {
    pair.close();
  }
});

test('opening a missing serial device is a typed connect error', async () => {
  await assert.rejects(openSerial({ path: '/dev/does-not-exist-fronteira' }), (e) => {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_TRANSPORT_CONNECT'));
    assert.match((e as Error).message, /does-not-exist-fronteira/);
    return true;
  });
});
