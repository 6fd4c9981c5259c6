/**
 * `fronteira profiles warm` in-process against a PGlite store holding the summary fixture's final series (March
 * 2024): the first run stores every point-month with data, a second finds nothing stale; bad flags are named.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cliRunner } from '../../test/helpers/cli.ts';
import { openPgliteStore } from '../../test/helpers/stores.ts';
import type { Store } from '../store/pool.ts';
import { summaryFixture } from '../summary/testing.ts';
import { registerProfiles } from './profiles.ts';

let store: Store;
before(async () => {
  store = await openPgliteStore();
  await summaryFixture(store);
});
after(() => store?.close());

const cli = cliRunner('profiles', registerProfiles, () => store);

test('profiles warm stores the stale months once; flags are checked', async () => {
  const first = JSON.parse(await cli.ok('warm', '--month', '2024-03', '--layers', 'final', '--json'));
  assert.equal(first.length, 1);
  assert.equal(first[0].layer, 'final');
  assert.equal(first[0].month, '2024-03-01');
  assert.ok(first[0].stale > 0);
  assert.equal(first[0].built, first[0].stale);
  const rows = await store.pool.query("SELECT count(*)::int AS n FROM profile_month WHERE layer = 'final'");
  assert.equal(rows.rows[0].n, first[0].built);
  const table = await cli.ok('warm', '--month', '2024-03', '--layers', 'final');
  assert.match(table, /2024-03\s+final\s+0\s+0/);

  const badMonth = await cli.run('warm', '--month', '2024-13');
  assert.equal(badMonth.code, 2);
  assert.match(badMonth.err, /--month: '2024-13' is not a month/);
  const badLayer = await cli.run('warm', '--layers', 'validated');
  assert.equal(badLayer.code, 2);
  assert.match(badLayer.err, /--layers: 'validated' is not raw or final/);
});
