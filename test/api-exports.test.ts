/**
 * Export routes: generate (analista, audited), list with filters and the stale flag, show with the final versions,
 * download with the sha256 header (and refusal when the file on disk changed), regenerate after a new final version.
 * PGlite only: the SQL behind these routes runs on both backends in src/exports/service.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GOLDEN_DAY, GOLDEN_POINT, seedExportPoint, supersedeFinal } from '../src/exports/testing.ts';
import { listAudit } from '../src/store/audit.ts';
import { getCurrentFinals } from '../src/store/vee-final.ts';
import { type ApiHarness, openApi, type Session } from './helpers/api.ts';

const dir = mkdtempSync(join(tmpdir(), 'fronteira-api-exports-'));
const previousDir = process.env.FRONTEIRA_EXPORT_DIR;
let h: ApiHarness;
let analista: Session;
let leitura: Session;
let pointId = 0;
let firstId = 0;

before(async () => {
  process.env.FRONTEIRA_EXPORT_DIR = dir;
  h = await openApi();
  analista = await h.login('analista');
  leitura = await h.login('leitura');
  pointId = (await seedExportPoint(h.store, GOLDEN_POINT, [GOLDEN_DAY], { tags: ['sul'] })).pointId;
  await seedExportPoint(h.store, 'SPOTHER000002', [GOLDEN_DAY], { serial: '77' });
});

after(async () => {
  await h?.close();
  if (previousDir === undefined) delete process.env.FRONTEIRA_EXPORT_DIR;
  else process.env.FRONTEIRA_EXPORT_DIR = previousDir;
  rmSync(dir, { recursive: true, force: true });
});

test('generate needs analista; bad bodies are 400; a run is audited as the caller', async () => {
  const body = { layout: 'ccee-5min', from: GOLDEN_DAY, points: [GOLDEN_POINT] };
  assert.equal((await h.post('/api/v1/exports', body, leitura)).statusCode, 403);
  assert.equal((await h.post('/api/v1/exports', { ...body, tag: 'x' }, analista)).statusCode, 400);
  const unknown = await h.post('/api/v1/exports', { ...body, layout: 'nope' }, analista);
  assert.equal(unknown.statusCode, 400);
  assert.match(unknown.json().error.message, /unknown layout 'nope'/);
  const r = await h.post('/api/v1/exports', body, analista);
  assert.equal(r.statusCode, 200, r.body);
  const j = r.json();
  assert.equal(j.produced.length, 1);
  assert.equal(j.failed.length, 0);
  assert.equal('path' in j.produced[0], false, 'server paths are not exposed');
  firstId = j.produced[0].id;
  const audits = await listAudit(h.store.db, { entity: 'export', limit: 5 });
  assert.equal(audits[0].actor, `user:${(await h.user('analista')).username}`);
  const all = await h.post('/api/v1/exports', { layout: 'ccee-hourly', from: GOLDEN_DAY, all: true }, analista);
  assert.equal(all.json().produced.length, 2);
});

test('list with filters, show with finals, layouts', async () => {
  const list = (await h.get(`/api/v1/exports?layout=ccee-5min&point=${GOLDEN_POINT}`, leitura)).json();
  assert.equal(list.total, 1);
  assert.equal(list.items[0].id, firstId);
  assert.equal(list.items[0].stale, false);
  assert.equal(list.items[0].status, 'produced');
  assert.match(list.items[0].fileName, /^CCEE5MIN_SPGOLDEN00001_20261126_\d{8}\.xml$/);
  assert.equal((await h.get('/api/v1/exports?limit=1', leitura)).json().items.length, 1);
  assert.equal((await h.get('/api/v1/exports?from=2026-12-01', leitura)).json().total, 0);
  assert.equal((await h.get('/api/v1/exports?point=SPNOPE0000001', leitura)).statusCode, 404);
  const show = (await h.get(`/api/v1/exports/${firstId}`, leitura)).json();
  assert.deepEqual(
    show.finals.map((f: { quantityCode: number; lockedBy: string }) => [f.quantityCode, f.lockedBy]),
    [1, 10, 14, 15].map((q) => [q, `export:${firstId}`]),
  );
  assert.equal((await h.get('/api/v1/exports/999999', leitura)).statusCode, 404);
  const layouts = (await h.get('/api/v1/exports/layouts', leitura)).json();
  assert.deepEqual(layouts.map((l: { id: string }) => l.id).slice(0, 2), ['ccee-5min', 'ccee-hourly']);
});

test('download: the stored bytes with their sha256; a file changed on disk is refused', async () => {
  const r = await h.get(`/api/v1/exports/${firstId}/file`, leitura);
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /^application\/xml/);
  assert.match(String(r.headers['content-disposition']), /filename="CCEE5MIN_SPGOLDEN00001_20261126_\d{8}\.xml"/);
  const sha = createHash('sha256').update(r.rawPayload).digest('hex');
  assert.equal(r.headers['x-content-sha256'], sha);
  assert.match(r.body, /<medicaoCincoMinutos xmlns="urn:fronteira:leiaute:ccee-5min:1"/);
  // Tamper with a copy: produce another file and overwrite it.
  const other = (
    await h.post('/api/v1/exports', { layout: 'ccee-5min', from: GOLDEN_DAY, points: ['SPOTHER000002'] }, analista)
  ).json();
  const id = other.produced[0].id;
  const rec = await h.store.pool.query<{ path: string }>('SELECT path FROM export_file WHERE id = $1', [id]);
  writeFileSync(rec.rows[0].path, '<x/>');
  const tampered = await h.get(`/api/v1/exports/${id}/file`, leitura);
  assert.equal(tampered.statusCode, 409);
  assert.match(tampered.json().error.message, /does not match its recorded sha256/);
});

test('a new final version: stale in the list, regenerate (analista) links the new file', async () => {
  const [c] = await getCurrentFinals(h.store.db, [pointId], GOLDEN_DAY, GOLDEN_DAY, [1]);
  await supersedeFinal(h.store, c, 7, 77.5);
  const stale = (await h.get('/api/v1/exports?stale=true', leitura)).json();
  assert.ok(stale.items.some((i: { id: number }) => i.id === firstId));
  assert.equal((await h.post(`/api/v1/exports/${firstId}/regenerate`, {}, leitura)).statusCode, 403);
  const r = await h.post(`/api/v1/exports/${firstId}/regenerate`, {}, analista);
  assert.equal(r.statusCode, 200, r.body);
  const newId = r.json().produced[0].id;
  const old = (await h.get(`/api/v1/exports/${firstId}`, leitura)).json();
  assert.equal(old.supersededBy, newId);
  assert.equal((await h.get(`/api/v1/exports/${newId}`, leitura)).json().replaces, firstId);
  const file = await h.get(`/api/v1/exports/${newId}/file`, leitura);
  assert.match(file.body, /<valor>77\.5<\/valor>/);
  const again = await h.post(`/api/v1/exports/${firstId}/regenerate`, {}, analista);
  assert.equal(again.statusCode, 409);
});
