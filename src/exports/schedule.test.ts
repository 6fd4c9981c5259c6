import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openPgliteStore } from '../../test/helpers/stores.ts';
import { listExportFiles } from '../store/exports.ts';
import { dueExportDay, runDailyExport, startDailyExport, yesterdayAt } from './schedule.ts';
import { GOLDEN_DAY, seedExportPoint } from './testing.ts';

// 2026-11-27 10:30 and 11:30 in Brasília (-03:00).
const BEFORE = Date.parse('2026-11-27T13:30:00Z');
const AFTER = Date.parse('2026-11-27T14:30:00Z');

test('dueExportDay: yesterday (Brasília) from the configured hour on, once', () => {
  assert.equal(yesterdayAt(AFTER), GOLDEN_DAY);
  // 01:00 UTC on the 27th is still the 26th in Brasília: yesterday is the 25th.
  assert.equal(yesterdayAt(Date.parse('2026-11-27T01:00:00Z')), '2026-11-25');
  assert.equal(
    dueExportDay(BEFORE, 11, () => false),
    null,
  );
  assert.equal(
    dueExportDay(AFTER, 11, () => false),
    GOLDEN_DAY,
  );
  assert.equal(
    dueExportDay(AFTER, 11, (d) => d === GOLDEN_DAY),
    null,
  );
  assert.equal(
    dueExportDay(BEFORE, 10, () => false),
    GOLDEN_DAY,
  );
  assert.throws(() => dueExportDay(AFTER, 24, () => false), /export hour 24 is not 0\.\.23/);
});

test('runDailyExport exports every active point once; the scheduler runs it when due and not twice', async () => {
  const store = await openPgliteStore();
  const dir = mkdtempSync(join(tmpdir(), 'fronteira-export-schedule-'));
  try {
    await seedExportPoint(store, 'SPSCHED000001', [GOLDEN_DAY]);
    await seedExportPoint(store, 'SPSCHED000002', [GOLDEN_DAY], { serial: '5' });
    const early = startDailyExport(store, { deliveryDir: dir, checkEveryMs: 3_600_000 }, () => BEFORE);
    await early.stop();
    assert.equal((await listExportFiles(store.db, { limit: 10, offset: 0 })).total, 0, 'not before the hour');

    const s = startDailyExport(store, { deliveryDir: dir, checkEveryMs: 3_600_000 }, () => AFTER);
    await s.stop();
    const files = await listExportFiles(store.db, { limit: 10, offset: 0 });
    assert.equal(files.total, 2);
    assert.ok(files.items.every((f) => f.scope === 'schedule' && f.createdBy === 'system' && f.dayFrom === GOLDEN_DAY));

    const again = await runDailyExport(store, GOLDEN_DAY, { deliveryDir: dir });
    assert.deepEqual(again, [], 'a done day is not exported twice');
    const hourly = await runDailyExport(store, GOLDEN_DAY, { deliveryDir: dir, layouts: ['ccee-5min', 'ccee-hourly'] });
    assert.deepEqual(
      hourly.map((r) => [r.layout, r.produced.length]),
      [['ccee-hourly', 2]],
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
