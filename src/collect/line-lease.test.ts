import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { backends } from '../../test/helpers/stores.ts';
import { listLeases, renewLeases, tryAcquireLeases } from '../store/leases.ts';
import { LineLeases, lineKey, meterKey } from './line-lease.ts';

for (const backend of backends) {
  describe(`line leases on ${backend.name}`, () => {
    test('all or nothing across processes; an expired lease of a crashed holder is taken over', async () => {
      const store = await backend.open();
      const a = new LineLeases(store.db, { holder: 'proc-a', ttlMs: 60_000 });
      const b = new LineLeases(store.db, { holder: 'proc-b', ttlMs: 60_000 });
      try {
        assert.equal(await a.acquire([lineKey('modem-1'), meterKey(1)]), true);
        // Same line, other meter: refused, and the meter key it did get is given back.
        assert.equal(await b.acquire([lineKey('modem-1'), meterKey(2)]), false);
        assert.equal(await b.acquire([lineKey('modem-2')]), true);
        await b.settled();
        const held = (await listLeases(store.db)).map((l) => `${l.holder} ${l.key}`).sort();
        assert.deepEqual(held, ['proc-a line:modem-1', 'proc-a meter:1', 'proc-b line:modem-2']);

        // proc-a "crashes": it stops renewing and its leases run out.
        await sql`UPDATE line_lease SET expires_at = now() - interval '1 second' WHERE holder = 'proc-a'`.execute(
          store.db,
        );
        assert.equal(await b.acquire([lineKey('modem-1'), meterKey(1)]), true);
        assert.deepEqual(await renewLeases(store.db, [lineKey('modem-1')], 'proc-a', 60_000), []);

        // A release followed at once by a new request for the same key keeps the key held.
        await Promise.all([b.release([lineKey('modem-2')]), b.acquire([lineKey('modem-2')])]);
        await b.settled();
        assert.ok((await listLeases(store.db)).some((l) => l.key === lineKey('modem-2') && l.holder === 'proc-b'));

        await b.close();
        assert.deepEqual(
          (await listLeases(store.db)).filter((l) => l.holder === 'proc-b'),
          [],
          'close gives every lease back',
        );
      } finally {
        await a.close();
        await b.close();
        await store.close();
      }
    });

    test('a held lease is renewed; the SQL takes only free, expired or own keys', async () => {
      const store = await backend.open();
      const a = new LineLeases(store.db, { holder: 'proc-a', ttlMs: 2_000, renewEveryMs: 60_000 });
      try {
        assert.equal(await a.acquire([lineKey('m')]), true);
        await sql`UPDATE line_lease SET expires_at = now() + interval '1 second'`.execute(store.db);
        const [before] = await listLeases(store.db);
        await a.renewNow();
        const [after] = await listLeases(store.db);
        assert.ok(after.expiresAt.getTime() > before.expiresAt.getTime(), 'renewal pushed the expiry');
        assert.deepEqual(await tryAcquireLeases(store.db, ['line:m', 'line:n'], 'proc-b', 1000), ['line:n']);
        assert.deepEqual((await tryAcquireLeases(store.db, ['line:m'], 'proc-a', 1000)).length, 1);
      } finally {
        await a.close();
        await store.close();
      }
    });
  });
}
