import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { listMigrations, migrate } from './migrate.ts';
import { openStore } from './pool.ts';

for (const backend of backends) {
  describe(`store on ${backend.name}`, () => {
    test('opens, migrates every version once, and migrating again applies nothing', async () => {
      const store = await backend.open();
      try {
        const rows = await store.db
          .selectFrom('schema_migration' as never)
          .selectAll()
          .execute();
        assert.equal(rows.length, listMigrations().length);
        assert.deepEqual(await migrate(store.pool), []);
      } finally {
        await store.close();
      }
    });

    test('the schema enforces its checks: a bad point code is refused', async () => {
      const store = await backend.open();
      try {
        await assert.rejects(
          store.db
            .insertInto('metering_point')
            .values({
              code: 'short',
              name: 'x',
              kind: 'fronteira',
              segment: 'livre',
              customer: null,
              substation: null,
              voltage_kv: null,
              load_capacity_kw: null,
              retired_at: null,
            })
            .execute(),
          /check constraint/,
        );
      } finally {
        await store.close();
      }
    });
  });
}

test('an unreachable server is a typed store error naming the redacted URL', async () => {
  await assert.rejects(openStore({ databaseUrl: 'postgres://u:secret@127.0.0.1:1/x' }), (e) => {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_STORE_UNAVAILABLE'));
    assert.doesNotMatch((e as Error).message, /secret/);
    assert.match((e as Error).message, /127\.0\.0\.1:1/);
    return true;
  });
});

test('the embedded store refuses a second live process and takes over a dead one’s lock', async () => {
  const { mkdtempSync, writeFileSync, existsSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'fronteira-lock-'));
  writeFileSync(join(dir, 'fronteira.lock'), `${process.ppid}\n`);
  await assert.rejects(openStore({ dataDir: dir }), (e) => {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_STORE_UNAVAILABLE'));
    assert.match((e as Error).message, new RegExp(`process ${process.ppid}`));
    return true;
  });
  writeFileSync(join(dir, 'fronteira.lock'), '999999999\n');
  const store = await openStore({ dataDir: dir });
  assert.ok(existsSync(join(dir, 'fronteira.lock')));
  await store.close();
  assert.equal(existsSync(join(dir, 'fronteira.lock')), false);
});
