import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import type { Store } from './pool.ts';
import {
  deleteExpiredSessions,
  deleteSession,
  deleteUserSessions,
  insertSession,
  insertToken,
  insertUser,
  listUsers,
  revokeTokenRow,
  sessionUser,
  tokenUser,
  touchToken,
  updateUserRow,
  userByName,
} from './users.ts';

for (const backend of backends) {
  describe(`users store (${backend.name})`, () => {
    let store: Store;
    after(() => store?.close());

    test('users: insert, unique username, list with total and paging, disable hides from enabled-only lists', async () => {
      store = await backend.open();
      const db = store.db;
      const a = await insertUser(db, { username: 'ana', role: 'admin', passwordHash: 'scrypt$x' });
      await insertUser(db, { username: 'bia', role: 'leitura', passwordHash: 'scrypt$y', displayName: 'Bia' });
      await insertUser(db, { username: 'caio', role: 'analista', passwordHash: 'scrypt$z' });
      await assert.rejects(
        insertUser(db, { username: 'ana', role: 'leitura', passwordHash: 'h' }),
        /unique|duplicate/i,
      );
      // The table itself refuses roles and usernames outside the rules, whatever the caller checked.
      await assert.rejects(insertUser(db, { username: 'dan', role: 'root' as 'admin', passwordHash: 'h' }), /check/i);
      await assert.rejects(insertUser(db, { username: 'Has Space', role: 'admin', passwordHash: 'h' }), /check/i);

      const page = await listUsers(db, { limit: 2, offset: 1 });
      assert.equal(page.total, 3);
      assert.deepEqual(
        page.items.map((u) => u.username),
        ['bia', 'caio'],
      );
      await updateUserRow(db, a.id, { disabledAt: new Date(), role: 'analista' });
      const enabled = await listUsers(db, { limit: 10, offset: 0, includeDisabled: false });
      assert.deepEqual(
        enabled.items.map((u) => u.username),
        ['bia', 'caio'],
      );
      assert.equal(enabled.total, 2);
      const ana = await userByName(db, 'ana');
      assert.equal(ana?.role, 'analista');
      assert.ok(ana?.disabled_at instanceof Date);
    });

    test('sessions: found by hash until expiry, not for disabled users, deleted by hash, by user and when expired', async () => {
      const db = store.db;
      const bia = (await userByName(db, 'bia'))!;
      const now = new Date('2026-11-27T10:00:00Z');
      await insertSession(db, {
        userId: bia.id,
        tokenHash: 'h1',
        csrfSecret: 'c1',
        expiresAt: new Date(now.getTime() + 60_000),
      });
      await insertSession(db, {
        userId: bia.id,
        tokenHash: 'h2',
        csrfSecret: 'c2',
        expiresAt: new Date(now.getTime() + 60_000),
      });
      await insertSession(db, {
        userId: bia.id,
        tokenHash: 'old',
        csrfSecret: 'c3',
        expiresAt: new Date(now.getTime() - 1),
      });
      const s = await sessionUser(db, 'h1', now);
      assert.equal(s?.username, 'bia');
      assert.equal(s?.role, 'leitura');
      assert.equal(s?.csrfSecret, 'c1');
      assert.equal(await sessionUser(db, 'h1', new Date(now.getTime() + 61_000)), undefined);
      assert.equal(await sessionUser(db, 'old', now), undefined);
      assert.equal(await sessionUser(db, 'nope', now), undefined);

      assert.equal(await deleteExpiredSessions(db, now), 1);
      assert.equal(await deleteSession(db, 'h1'), true);
      assert.equal(await deleteSession(db, 'h1'), false);
      assert.equal(await deleteUserSessions(db, bia.id), 1);

      const ana = (await userByName(db, 'ana'))!; // disabled in the first test
      await insertSession(db, {
        userId: ana.id,
        tokenHash: 'h3',
        csrfSecret: 'c',
        expiresAt: new Date(now.getTime() + 60_000),
      });
      assert.equal(await sessionUser(db, 'h3', now), undefined);
    });

    test('tokens: found by hash until revoked; revoking twice changes nothing; use is recorded', async () => {
      const db = store.db;
      const caio = (await userByName(db, 'caio'))!;
      const t = await insertToken(db, { userId: caio.id, name: 'scada', tokenHash: 't1' });
      const found = await tokenUser(db, 't1');
      assert.deepEqual(found, { userId: caio.id, username: 'caio', role: 'analista', credentialId: t.id });
      assert.deepEqual(await tokenUser(db, 't1', store.pool), found, 'the same row as a named statement');
      const at = new Date('2026-11-27T10:00:00Z');
      await touchToken(db, t.id, at);
      await touchToken(db, t.id, new Date(at.getTime() + 10_000)); // within a minute: not rewritten
      const row = await db.selectFrom('api_token').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
      assert.equal(row.last_used_at?.toISOString(), at.toISOString());

      const revoked = await revokeTokenRow(db, t.id, at);
      assert.equal(revoked?.revoked_at?.toISOString(), at.toISOString());
      assert.equal(await revokeTokenRow(db, t.id, new Date()), undefined);
      assert.equal(await tokenUser(db, 't1'), undefined);
      assert.equal(await tokenUser(db, 't1', store.pool), undefined, 'the prepared statement sees the revocation');
    });
  });
}
