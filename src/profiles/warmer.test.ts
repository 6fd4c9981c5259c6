import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { testBlock } from '../../test/helpers/day-blocks.ts';
import { openPgliteStore } from '../../test/helpers/stores.ts';
import { addMeter, createPoint } from '../registry/service.ts';
import { withTransaction } from '../store/bulk.ts';
import { writeDayBlocks } from '../store/day-blocks.ts';
import { tryAcquireLeases } from '../store/leases.ts';
import type { Store } from '../store/pool.ts';
import type { RefreshReport } from './month-cache.ts';
import { startProfileWarmer, warmMonths } from './warmer.ts';

test('the warm window: this month (Brasília) and the ones before it', () => {
  assert.deepEqual(warmMonths(Date.parse('2026-11-27T12:00:00Z'), 2), ['2026-11-01', '2026-10-01']);
  // 01:00 UTC on the 1st is still the last day of the month before in Brasília (UTC−3).
  assert.deepEqual(warmMonths(Date.parse('2026-12-01T01:00:00Z'), 1), ['2026-11-01']);
  assert.deepEqual(warmMonths(Date.parse('2026-01-10T12:00:00Z'), 3), ['2026-01-01', '2025-12-01', '2025-11-01']);
});

let store: Store;
before(async () => {
  store = await openPgliteStore();
  const ctx = { db: store.db, actor: 'test' };
  await createPoint(ctx, { code: 'SPWARMER00001', name: 'Aquecido', kind: 'fronteira', segment: 'livre' });
  const channelMap = [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 }];
  const m = await addMeter(ctx, { serial: '50000001', pointCode: 'SPWARMER00001', role: 'principal', channelMap });
  await withTransaction(store, (tx) =>
    writeDayBlocks(
      tx,
      ['2024-01-15', '2024-03-02', '2024-03-03'].map((d) => testBlock(Number(m.id), 1, d, (k) => 1 + (k % 5))),
    ),
  );
});
after(() => store?.close());

const sweepOnce = (clock: number) =>
  new Promise<RefreshReport[]>((resolve, reject) => {
    const w = startProfileWarmer(
      store,
      { months: 2, onSweep: (r) => w.stop().then(() => resolve(r), reject) },
      () => clock,
    );
  });

test('a sweep stores the stale months of its window, drops older ones, and yields to a lease holder', async () => {
  await store.pool.query(
    `INSERT INTO profile_month (point_id, layer, month, fingerprint, body, json_bytes)
     SELECT id, 'raw', '2024-01-01', 'p1:old', '\\x00'::bytea, 1 FROM metering_point`,
  );
  const reports = await sweepOnce(Date.parse('2024-03-20T12:00:00Z'));
  assert.deepEqual(
    reports.map((r) => [r.month, r.layer, r.built]),
    [
      ['2024-03-01', 'raw', 1],
      ['2024-03-01', 'final', 0],
      ['2024-02-01', 'raw', 0],
      ['2024-02-01', 'final', 0],
    ],
  );
  const months = await store.pool.query("SELECT to_char(month, 'YYYY-MM') AS m FROM profile_month ORDER BY 1");
  assert.deepEqual(
    months.rows.map((r) => r.m),
    ['2024-03'],
    'January is outside the window',
  );

  // Another process holds the sweep: this one does nothing and says nothing.
  await tryAcquireLeases(store.db, ['profiles:warm'], 'someone-else', 60_000);
  let swept = false;
  const w = startProfileWarmer(store, { months: 2, onSweep: () => (swept = true) }, () =>
    Date.parse('2024-03-20T12:00:00Z'),
  );
  await new Promise((r) => setTimeout(r, 300));
  await w.stop();
  assert.equal(swept, false);
});
