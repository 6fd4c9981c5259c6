import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { listAudit } from '../store/audit.ts';
import { exportFinals, getExportFile, listExportFiles } from '../store/exports.ts';
import type { Store } from '../store/pool.ts';
import { getCurrentFinals, getFinalHistory } from '../store/vee-final.ts';
import { buildHourly } from './layouts/ccee-hourly/builder.ts';
import { registerLayout, unregisterLayout } from './layouts/registry.ts';
import { parseExportFileName } from './naming.ts';
import { generateExports, regenerateExport } from './service.ts';
import { GOLDEN_DAY, GOLDEN_POINT, seedExportPoint, supersedeFinal } from './testing.ts';

const GOLDEN = fileURLToPath(
  new URL('../../test/fixtures/exports/ccee-5min-SPGOLDEN00001-20261126.xml', import.meta.url),
);
const NEXT_DAY = '2026-11-27';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fronteira-exports-'));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

async function withStore(open: () => Promise<Store>, fn: (store: Store, dir: string) => Promise<void>) {
  const store = await open();
  const dir = tempDir();
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const backend of backends) {
  describe(`exports service on ${backend.name}`, () => {
    test('5-minute files per point-day: golden bytes on disk, sha256, records, versions linked and locked', async () => {
      await withStore(backend.open, async (store, dir) => {
        const a = await seedExportPoint(store, GOLDEN_POINT, [GOLDEN_DAY, NEXT_DAY], { tags: ['sul'] });
        await seedExportPoint(store, 'SPOTHER000002', [GOLDEN_DAY], { serial: '77' });
        const r = await generateExports(store, {
          layout: 'ccee-5min',
          from: GOLDEN_DAY,
          to: NEXT_DAY,
          all: true,
          deliveryDir: dir,
          actor: 'user:ana',
        });
        assert.equal(r.failed.length, 0);
        assert.deepEqual(
          r.produced.map((p) => [p.pointCode, p.dayFrom]),
          [
            [GOLDEN_POINT, GOLDEN_DAY],
            [GOLDEN_POINT, NEXT_DAY],
            ['SPOTHER000002', GOLDEN_DAY],
          ],
        );
        assert.deepEqual(r.skipped, [{ pointCode: 'SPOTHER000002', dayFrom: NEXT_DAY, dayTo: NEXT_DAY }]);
        const golden = r.produced[0];
        const bytes = readFileSync(golden.path);
        assert.equal(bytes.toString('utf8'), readFileSync(GOLDEN, 'utf8'), 'file on disk equals the golden file');
        assert.equal(golden.sha256, createHash('sha256').update(bytes).digest('hex'));
        assert.equal(golden.bytes, bytes.length);
        assert.equal(golden.path, join(dir, 'ccee-5min', GOLDEN_DAY, golden.fileName));
        assert.deepEqual(parseExportFileName(golden.fileName), {
          fileTag: 'CCEE5MIN',
          pointCode: GOLDEN_POINT,
          dayFrom: GOLDEN_DAY,
          dayTo: GOLDEN_DAY,
          id: golden.id,
        });
        assert.equal(filesUnder(dir).length, 3, 'no tmp files left behind');

        const rec = await getExportFile(store.db, golden.id);
        assert.equal(rec?.status, 'produced');
        assert.equal(rec?.sha256, golden.sha256);
        assert.equal(rec?.stale, false);
        assert.equal(rec?.createdBy, 'user:ana');
        assert.equal(rec?.scope, 'all');
        const links = await exportFinals(store.db, golden.id);
        assert.deepEqual(
          links.map((l) => [l.quantityCode, l.version, l.current, l.lockedBy]),
          [1, 10, 14, 15].map((q) => [q, 1, true, `export:${golden.id}`]),
        );
        const finals = await getCurrentFinals(store.db, [a.pointId], GOLDEN_DAY, NEXT_DAY);
        assert.ok(finals.every((f) => f.locked));
        const audits = await listAudit(store.db, { entity: 'export', limit: 10 });
        assert.equal(audits.length, 1);
        assert.equal(audits[0].action, 'generate');
      });
    });

    test('a new final version makes the file stale; regenerate writes a new linked file and keeps the old', async () => {
      await withStore(backend.open, async (store, dir) => {
        const a = await seedExportPoint(store, GOLDEN_POINT, [GOLDEN_DAY]);
        const first = await generateExports(store, {
          layout: 'ccee-hourly',
          from: GOLDEN_DAY,
          to: GOLDEN_DAY,
          pointCodes: [GOLDEN_POINT],
          deliveryDir: dir,
          actor: 'cli:test',
        });
        const old = first.produced[0];
        await assert.rejects(
          regenerateExport(store, old.id, { deliveryDir: dir, actor: 'cli:test' }),
          (e) => isFronteiraError(e, 'FRONTEIRA_E_CONFLICT') && /is not stale/.test(e.message),
        );
        const [c] = await getCurrentFinals(store.db, [a.pointId], GOLDEN_DAY, GOLDEN_DAY, [1]);
        await supersedeFinal(store, c, 0, 999.5);
        // The locked version was not changed: a new one was written beside it.
        const history = await getFinalHistory(store.db, a.pointId, 1, GOLDEN_DAY);
        assert.deepEqual(
          history.map((h) => [h.version, h.current, h.lockedBy]),
          [
            [1, false, `export:${old.id}`],
            [2, true, null],
          ],
        );
        assert.equal((await getExportFile(store.db, old.id))?.stale, true);
        const stale = await listExportFiles(store.db, { stale: true, limit: 10, offset: 0 });
        assert.deepEqual(
          stale.items.map((i) => i.id),
          [old.id],
        );

        const again = await regenerateExport(store, old.id, { deliveryDir: dir, actor: 'user:bia' });
        const fresh = again.produced[0];
        assert.notEqual(fresh.fileName, old.fileName);
        assert.match(readFileSync(fresh.path, 'utf8'), /<serie data="2026-11-26" canal="C" grandeza="1" versao="2"\/>/);
        assert.equal(readFileSync(old.path, 'utf8').includes('versao="2"'), false, 'old file kept as it was');
        const oldRec = await getExportFile(store.db, old.id);
        const newRec = await getExportFile(store.db, fresh.id);
        assert.equal(oldRec?.supersededBy, fresh.id);
        assert.equal(newRec?.replaces, old.id);
        assert.equal(newRec?.scope, `regenerate:${old.id}`);
        assert.equal(newRec?.stale, false);
        assert.equal((await listExportFiles(store.db, { stale: true, limit: 10, offset: 0 })).total, 0);
        const all = await listExportFiles(store.db, { limit: 10, offset: 0 });
        assert.deepEqual(
          all.items.map((i) => i.id),
          [fresh.id, old.id],
        );
        const current = await listExportFiles(store.db, { includeSuperseded: false, limit: 10, offset: 0 });
        assert.deepEqual(
          current.items.map((i) => i.id),
          [fresh.id],
        );
        await assert.rejects(
          regenerateExport(store, old.id, { deliveryDir: dir, actor: 'cli:test', force: true }),
          /already regenerated as/,
        );
      });
    });

    test('a corrupt final is refused with point/day/slot, recorded as failed, no file, no lock', async () => {
      await withStore(backend.open, async (store, dir) => {
        const a = await seedExportPoint(store, GOLDEN_POINT, [GOLDEN_DAY]);
        await seedExportPoint(store, 'SPOTHER000002', [GOLDEN_DAY], { serial: '77' });
        const [c] = await getCurrentFinals(store.db, [a.pointId], GOLDEN_DAY, GOLDEN_DAY, [1]);
        c.value[42] = Number.NaN; // quality stays A: a corrupt series
        await supersedeFinal(store, c, 0, 1);
        const r = await generateExports(store, {
          layout: 'ccee-5min',
          from: GOLDEN_DAY,
          to: GOLDEN_DAY,
          all: true,
          deliveryDir: dir,
          actor: 'system',
        });
        assert.equal(r.produced.length, 1, 'the healthy point is still exported');
        assert.equal(r.failed.length, 1);
        assert.match(
          r.failed[0].message,
          /ccee-5min SPGOLDEN00001 2026-11-26: .*quantity 1 v2: slot 42 has quality A but value NaN/,
        );
        assert.deepEqual(
          filesUnder(dir).map((p) => p.includes('SPOTHER000002')),
          [true],
        );
        const rec = await getExportFile(store.db, r.failed[0].id);
        assert.equal(rec?.status, 'failed');
        assert.equal(rec?.path, null);
        assert.equal(rec?.sha256, null);
        assert.match(rec?.error ?? '', /slot 42/);
        assert.deepEqual(await exportFinals(store.db, r.failed[0].id), []);
        const finals = await getCurrentFinals(store.db, [a.pointId], GOLDEN_DAY, GOLDEN_DAY);
        assert.ok(
          finals.every((f) => !f.locked),
          'nothing of the failed point is locked',
        );
      });
    });

    test('an XSD violation gives libxml message and point/day, and records no file', async () => {
      await withStore(backend.open, async (store, dir) => {
        await seedExportPoint(store, GOLDEN_POINT, [GOLDEN_DAY]);
        // A layout whose builder breaks its own schema: the pipeline must catch it at validation.
        registerLayout({
          id: 'test-broken',
          description: 'test',
          xsdPath: fileURLToPath(new URL('./layouts/ccee-hourly/schema.xsd', import.meta.url)),
          fileTag: 'TESTBRK',
          granularity: 'point-range',
          quantityCodes: [1],
          build: (input) => buildHourly(input).replace('<status>HCC</status>', '<status>XXX</status>'),
        });
        try {
          const r = await generateExports(store, {
            layout: 'test-broken',
            from: GOLDEN_DAY,
            to: GOLDEN_DAY,
            pointCodes: [GOLDEN_POINT],
            deliveryDir: dir,
            actor: 'system',
          });
          assert.equal(r.produced.length, 0);
          assert.equal(r.failed.length, 1);
          assert.match(
            r.failed[0].message,
            /^test-broken SPGOLDEN00001 2026-11-26: XSD test-broken: line \d+: .*Element '\{urn:fronteira:leiaute:ccee-horaria:1\}status': \[facet 'enumeration'\] The value 'XXX'/,
          );
          assert.deepEqual(filesUnder(dir), []);
          const list = await listExportFiles(store.db, { status: 'produced', limit: 10, offset: 0 });
          assert.equal(list.total, 0);
        } finally {
          unregisterLayout('test-broken');
        }
      });
    });

    test('selection: unknown codes are named; a tag selects its points; bad ranges are refused', async () => {
      await withStore(backend.open, async (store, dir) => {
        await seedExportPoint(store, GOLDEN_POINT, [GOLDEN_DAY], { tags: ['sul'] });
        await seedExportPoint(store, 'SPOTHER000002', [GOLDEN_DAY], { serial: '77' });
        const base = { layout: 'ccee-5min', from: GOLDEN_DAY, to: GOLDEN_DAY, deliveryDir: dir, actor: 'system' };
        await assert.rejects(
          generateExports(store, { ...base, pointCodes: [GOLDEN_POINT, 'SPNOPE0000001'] }),
          (e) => isFronteiraError(e, 'FRONTEIRA_E_NOT_FOUND') && /SPNOPE0000001/.test(e.message),
        );
        await assert.rejects(generateExports(store, { ...base, tag: 'sul', all: true }), /exactly one/);
        await assert.rejects(generateExports(store, { ...base, all: true, to: '2026-11-01' }), /before from/);
        await assert.rejects(generateExports(store, { ...base, all: true, layout: 'x' }), /unknown layout/);
        const r = await generateExports(store, { ...base, tag: 'sul' });
        assert.deepEqual(
          r.produced.map((p) => p.pointCode),
          [GOLDEN_POINT],
        );
        assert.equal((await getExportFile(store.db, r.produced[0].id))?.scope, 'tag:sul');
      });
    });
  });
}
