/**
 * Whole-month 5-min answers of GET /points/:code/intervals (src/profiles/month-cache.ts) through the API: built from
 * the data the first time, stored, then served stored — gzip to clients that accept it, plain JSON to the others,
 * 304 for a current If-None-Match — and never once the data behind them changed (a manual edit, a re-read day).
 * Other ranges and resolutions are unaffected. PGlite; the SQL is covered on both backends by month-cache.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { addMeter, createPoint } from '../src/registry/service.ts';
import { withTransaction } from '../src/store/bulk.ts';
import { writeDayBlocks } from '../src/store/day-blocks.ts';
import { runVeeRange } from '../src/vee/service.ts';
import { type ApiHarness, openApi, type Session } from './helpers/api.ts';
import { testBlock } from './helpers/day-blocks.ts';

let h: ApiHarness;
let analista: Session;
let token: string;
let meterId: number;
const CODE = 'SPAPIPERFIL01';
const DAYS = ['2026-09-10', '2026-09-11'];
const MONTH = 'from=2026-09-01&to=2026-09-30';
const url = (q: string) => `/api/v1/points/${CODE}/intervals?${q}`;
const fill = (k: number) => 2 + (k % 12) / 8;

before(async () => {
  h = await openApi();
  analista = await h.login('analista');
  token = await h.token('leitura');
  const ctx = { db: h.store.db, actor: 'test' };
  await createPoint(ctx, { code: CODE, name: 'Perfil', kind: 'fronteira', segment: 'livre' });
  const channelMap = [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 }];
  meterId = Number((await addMeter(ctx, { serial: '30000101', pointCode: CODE, role: 'principal', channelMap })).id);
  await withTransaction(h.store, (tx) =>
    writeDayBlocks(
      tx,
      DAYS.map((d) => testBlock(meterId, 1, d, fill)),
    ),
  );
  await runVeeRange(h.store, { from: DAYS[0], to: DAYS[1], now: Date.parse('2026-10-20T12:00:00Z') });
});
after(() => h?.close());

const get = (path: string, headers: Record<string, string> = {}) => h.request({ url: path, auth: token, headers });

/** Asks until the answer says it was served stored (the body is stored after the first answer has gone). */
async function untilStored(path: string) {
  for (let i = 0; i < 100; i++) {
    const res = await get(path, { 'accept-encoding': 'gzip' });
    if (res.headers['x-fronteira-profile'] === 'stored') return res;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`${path} was never served stored`);
}

test('a whole month is built once, then served stored: gzip, plain JSON or 304, all the same answer', async () => {
  for (const layer of ['raw', 'final']) {
    const path = url(`layer=${layer}&${MONTH}`);
    const built = await get(path);
    assert.equal(built.statusCode, 200, built.body);
    assert.equal(built.headers['x-fronteira-profile'], 'built');
    assert.equal(built.headers['content-encoding'], undefined);
    assert.match(String(built.headers['content-type']), /^application\/json/);
    assert.equal(built.headers.vary, 'accept-encoding');
    const etag = String(built.headers.etag);
    assert.match(etag, /^W\/"p1:[0-9a-f]{32}"$/);
    const body = built.json();
    assert.equal(body.from, '2026-09-01');
    assert.equal(body.to, '2026-09-30');
    assert.deepEqual(
      body.series[0].days.map((d: { day: string }) => d.day),
      DAYS,
    );
    assert.equal(body.series[0].days[0].values[3], fill(3));

    const stored = await untilStored(path);
    assert.equal(stored.statusCode, 200);
    assert.equal(stored.headers['content-encoding'], 'gzip');
    assert.equal(stored.headers.etag, etag);
    assert.equal(gunzipSync(stored.rawPayload).toString(), built.body);

    const plain = await get(path, { 'accept-encoding': 'gzip;q=0, identity' });
    assert.equal(plain.headers['x-fronteira-profile'], 'stored');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, built.body);

    const same = await get(path, { 'if-none-match': etag });
    assert.equal(same.statusCode, 304);
    assert.equal(same.body, '');
    assert.equal((await get(path, { 'if-none-match': 'W/"p1:0000"' })).statusCode, 200);
  }
});

test('a manual edit and a re-read day are in the very next month answer', async () => {
  const finalPath = url(`layer=final&${MONTH}`);
  await untilStored(finalPath);
  const edit = await h.post(
    `/api/v1/points/${CODE}/vee/edits`,
    {
      quantityCode: 1,
      day: DAYS[1],
      firstSlot: 20,
      lastSlot: 21,
      kind: 'replace',
      values: 7.25,
      comment: 'ajuste de teste',
    },
    analista,
  );
  assert.equal(edit.statusCode, 201, edit.body);
  const after = await get(finalPath, { 'accept-encoding': 'gzip' });
  assert.equal(after.headers['x-fronteira-profile'], 'built');
  const day = after.json().series[0].days[1];
  assert.equal(day.values[20], 7.25);
  assert.equal(day.quality[20], 'M');
  assert.equal(day.version, 2);

  const rawPath = url(`layer=raw&${MONTH}`);
  const etag = String((await untilStored(rawPath)).headers.etag);
  await withTransaction(h.store, (tx) =>
    writeDayBlocks(
      tx,
      [testBlock(meterId, 1, DAYS[0], (k) => (k === 3 ? 3.5 : fill(k)))],
      [{ meterId, channel: 1, day: DAYS[0] }],
    ),
  );
  const raw = await get(rawPath, { 'if-none-match': etag });
  assert.equal(raw.statusCode, 200, 'the old tag no longer matches');
  assert.equal(raw.headers['x-fronteira-profile'], 'built');
  assert.equal(raw.json().series[0].days[0].values[3], 3.5);
});

test('other ranges, resolutions, quantities and formats are answered from the data as before', async () => {
  for (const q of [
    'layer=raw&from=2026-09-01&to=2026-09-29',
    'layer=final&from=2026-09-10&to=2026-09-11',
    `layer=final&${MONTH}&resolution=hour`,
    `layer=final&${MONTH}&quantity=1`,
    `layer=validated&${MONTH}`,
  ]) {
    const res = await get(url(q), { 'accept-encoding': 'gzip' });
    assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
    assert.equal(res.headers['x-fronteira-profile'], undefined, q);
    assert.equal(res.headers['content-encoding'], undefined, q);
    assert.ok(res.json().series.length > 0, q);
  }
  const csv = await get(url(`layer=final&${MONTH}&format=csv`));
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.equal(csv.headers['x-fronteira-profile'], undefined);
  assert.equal((await h.request({ url: url(`layer=raw&${MONTH}`) })).statusCode, 401);
  const missing = await get(`/api/v1/points/SPNOSUCHPOINT/intervals?layer=raw&${MONTH}`);
  assert.equal(missing.statusCode, 404, missing.body);
  assert.equal(missing.json().error.code, 'FRONTEIRA_E_NOT_FOUND');
  const bad = await get(`/api/v1/points/nao%20e%20codigo/intervals?layer=final&${MONTH}`);
  assert.equal(bad.statusCode, 400, bad.body);
});
