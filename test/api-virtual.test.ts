/**
 * Virtual meters through the API: role denials and malformed input on every route, the live preview (values,
 * quality propagation, formula errors with their column, hourly sums for long ranges), and a meter's life —
 * define, read, change, recompute, its results through GET /points/:code/intervals, a cycle refused, retire —
 * audited as the requesting user. Two points with final series written directly: A (channel C, its first three
 * slots estimated) and B (channel G), each with a meter mapping its channel. PGlite only: the SQL is covered on both backends by the virtual service tests.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addDays, operatingDayOfIntervalEnd } from '../src/domain/time.ts';
import { addMeter, createPoint } from '../src/registry/service.ts';
import { listAudit } from '../src/store/audit.ts';
import { withTransaction } from '../src/store/bulk.ts';
import { saveFinals } from '../src/store/vee-final.ts';
import { emptyFinalDay, type FinalDay, Quality } from '../src/vee/types.ts';
import { type ApiHarness, openApi, type Session } from './helpers/api.ts';

let h: ApiHarness;
let analista: Session;
let leitura: Session;
const A = 'SPVIRTA000001';
const B = 'SPVIRTB000001';
const DAY = addDays(operatingDayOfIntervalEnd(Date.now()), -3);
const DAY2 = addDays(DAY, 1);
const BASE = '/api/v1/virtual-meters';

before(async () => {
  h = await openApi();
  [analista, leitura] = [await h.login('analista'), await h.login('leitura')];
  const ctx = { db: h.store.db, actor: 'test' };
  const a = await createPoint(ctx, { code: A, name: 'Entrada', kind: 'fronteira', segment: 'livre' });
  const b = await createPoint(ctx, { code: B, name: 'Usina', kind: 'geracao', segment: 'geracao' });
  // A point measures the channels its meters map: A consumption (1), B generation (14).
  const map = (quantityCode: number) => [{ group: 0, channel: 1, quantityCode, numerator: 1, denominator: 1 }];
  await addMeter(ctx, { serial: '40000001', pointCode: A, role: 'principal', channelMap: map(1) });
  await addMeter(ctx, { serial: '40000002', pointCode: B, role: 'principal', channelMap: map(14) });
  const finals: FinalDay[] = [];
  for (const day of [DAY, DAY2]) {
    const fa = emptyFinalDay({ pointId: Number(a.id), pointCode: A, quantityCode: 1, day, slots: 288, intervalS: 300 });
    fa.value.fill(1);
    fa.quality.fill(Quality.A);
    fa.reason.fill(0);
    for (const k of [0, 1, 2]) fa.quality[k] = Quality.E;
    const fb = emptyFinalDay({
      pointId: Number(b.id),
      pointCode: B,
      quantityCode: 14,
      day,
      slots: 288,
      intervalS: 300,
    });
    fb.value.fill(0.25);
    fb.quality.fill(Quality.A);
    fb.reason.fill(0);
    finals.push(fa, fb);
  }
  await withTransaction(h.store, (tx) => saveFinals(tx, finals, { cause: 'vee' }));
});
after(() => h?.close());

type ErrorJson = { error: { code: string; message: string; details: Record<string, unknown> } };
const errorOf = (res: { json(): unknown }) => (res.json() as ErrorJson).error;

function assert400(res: { statusCode: number; json(): unknown }, field: string): void {
  assert.equal(res.statusCode, 400, JSON.stringify(res.json()));
  assert.equal(errorOf(res).code, 'FRONTEIRA_E_VALIDATION');
  assert.equal(errorOf(res).details.field, field, errorOf(res).message);
}

const NET = `${A}.C - ${B}.G`;

test('every route needs credentials; changes need analista; CSRF on cookie sessions', async () => {
  const routes: [string, string, unknown?][] = [
    ['GET', BASE],
    ['POST', BASE, { name: 'x', channel: 'C', formula: NET }],
    ['POST', `${BASE}/preview`, { formula: NET, from: DAY, to: DAY }],
    ['GET', `${BASE}/x`],
    ['PATCH', `${BASE}/x`, { description: 'y' }],
    ['DELETE', `${BASE}/x`],
    ['POST', `${BASE}/x/compute`, { from: DAY, to: DAY }],
  ];
  for (const [method, url, body] of routes) {
    const res = await h.request({ method: method as 'GET', url, body });
    assert.equal(res.statusCode, 401, `${method} ${url}`);
    assert.equal(errorOf(res).code, 'FRONTEIRA_E_AUTH');
  }
  const token = await h.token('leitura');
  for (const [method, url, body] of routes.filter(([m, u]) => m !== 'GET' && !u.endsWith('/preview'))) {
    for (const auth of [leitura, token]) {
      const res = await h.request({ method: method as 'POST', url, body, auth });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
      assert.equal(errorOf(res).code, 'FRONTEIRA_E_FORBIDDEN');
    }
  }
  const noCsrf = await h.request({
    method: 'POST',
    url: BASE,
    body: { name: 'x', channel: 'C', formula: NET },
    auth: analista,
    csrf: false,
  });
  assert.equal(noCsrf.statusCode, 403);
  assert.equal((await h.get(BASE, leitura)).statusCode, 200);
  assert.equal((await h.get(BASE, token)).statusCode, 200);
});

test('malformed input answers 400 naming the field, never 500', async () => {
  const good = { name: 'ok', channel: 'C', formula: NET };
  assert400(await h.post(BASE, { ...good, channel: 'X' }, analista), 'body.channel');
  assert400(await h.post(BASE, { ...good, name: 'a"b' }, analista), 'body.name');
  assert400(await h.post(BASE, { ...good, name: '' }, analista), 'body.name');
  assert400(await h.post(BASE, { ...good, name: 'n'.repeat(81) }, analista), 'body.name');
  assert400(await h.post(BASE, { ...good, formula: undefined }, analista), 'body.formula');
  assert400(await h.post(BASE, { ...good, formula: 'x'.repeat(20_001) }, analista), 'body.formula');
  assert400(await h.post(BASE, { ...good, code: 'short' }, analista), 'body.code');
  assert400(await h.post(BASE, { ...good, segment: 'mercado' }, analista), 'body.segment');
  assert400(await h.post(BASE, { ...good, tags: [''] }, analista), 'body.tags.0');
  const notJson = await h.request({
    method: 'POST',
    url: BASE,
    body: '{"name":',
    headers: { 'content-type': 'application/json' },
    auth: analista,
  });
  assert.equal(notJson.statusCode, 400);

  const pv = `${BASE}/preview`;
  assert400(await h.post(pv, { formula: NET, from: DAY }, leitura), 'body.to');
  assert400(await h.post(pv, { formula: NET, from: '2026-02-30', to: DAY }, leitura), 'body.from');
  assert400(await h.post(pv, { formula: NET, from: DAY2, to: DAY }, leitura), 'body.to');
  assert400(await h.post(pv, { formula: NET, from: '2020-01-01', to: '2022-01-01' }, leitura), 'body.to');
  assert400(await h.post(pv, { formula: NET, from: DAY, to: DAY, channel: 'kWh' }, leitura), 'body.channel');
  assert400(await h.post(pv, { formula: { a: 1 }, from: DAY, to: DAY }, leitura), 'body.formula');
  assert400(await h.post(pv, { formula: '', from: DAY, to: DAY }, leitura), 'body.formula');
  assert400(
    await h.post(pv, { formula: NET, from: addDays(DAY, -40), to: DAY, resolution: '5min' }, leitura),
    'body.to',
  );
  // Longer than a preview covers (the service's limit, under the route's).
  assert400(await h.post(pv, { formula: NET, from: addDays(DAY, -200), to: DAY }, leitura), 'body.to');

  assert400(await h.get(`${BASE}?limit=0`, leitura), 'query.limit');
  assert400(await h.get(`${BASE}?status=gone`, leitura), 'query.status');
  assert400(await h.patch(`${BASE}/x`, {}, analista), 'body');
  assert400(await h.patch(`${BASE}/x`, { formula: '' }, analista), 'body.formula');
  assert400(await h.patch(`${BASE}/x`, { tags: [1, ''] }, analista), 'body.tags.1');
  assert400(await h.request({ method: 'DELETE', url: `${BASE}/x?comment=`, auth: analista }), 'query.comment');
  assert400(await h.post(`${BASE}/x/compute`, { from: DAY }, analista), 'body.to');
  assert400(await h.post(`${BASE}/x/compute`, { from: DAY, to: 'amanhã' }, analista), 'body.to');
  assert400(await h.get(`${BASE}/${encodeURIComponent("it's")}`, leitura), 'params.name');

  const missing = await h.get(`${BASE}/nao-existe`, leitura);
  assert.equal(missing.statusCode, 404);
  assert.equal(errorOf(missing).code, 'FRONTEIRA_E_NOT_FOUND');
  assert.equal((await h.post(`${BASE}/nao-existe/compute`, { from: DAY, to: DAY }, analista)).statusCode, 404);
});

interface PreviewJson {
  unit: string;
  resolution: string;
  inputs: { label: string; code: string; intervalsUrl: string }[];
  days: {
    day: string;
    slots: number;
    intervalS: number;
    firstEnd: string;
    values: (number | null)[];
    quality: string[];
    reasonInput: (number | null)[];
  }[];
  total: number | null;
  counts: Record<string, number>;
}

test('preview: values, quality from the weakest input, the input behind it; hourly for long ranges', async () => {
  const res = await h.post(`${BASE}/preview`, { formula: NET, channel: 'C', from: DAY, to: DAY2 }, leitura);
  assert.equal(res.statusCode, 200, res.body);
  const p = res.json() as PreviewJson;
  assert.equal(p.unit, 'kWh');
  assert.equal(p.resolution, '5min');
  assert.deepEqual(
    p.inputs.map((i) => i.label),
    [`${A}.C`, `${B}.G`],
  );
  assert.match(p.inputs[0].intervalsUrl, new RegExp(`/points/${A}/intervals`));
  assert.equal(p.days.length, 2);
  const d = p.days[0];
  assert.equal(d.day, DAY);
  assert.equal(d.slots, 288);
  assert.match(d.firstEnd, /T03:05:00\.000Z$/, 'the first slot ends 00:05 in Brasília');
  assert.equal(d.values[100], 0.75);
  assert.deepEqual(d.quality.slice(0, 4), ['E', 'E', 'E', 'A']);
  assert.deepEqual(d.reasonInput.slice(0, 4), [0, 0, 0, null]);
  assert.equal(p.counts.E, 6);
  assert.equal(p.counts.A, 2 * 288 - 6);
  assert.ok(p.total !== null && Math.abs(p.total - 2 * 288 * 0.75) < 1e-9, String(p.total));

  const from = addDays(DAY, -39);
  const long = await h.post(`${BASE}/preview`, { formula: NET, from, to: DAY2 }, leitura);
  assert.equal(long.statusCode, 200, long.body);
  const lp = long.json() as PreviewJson;
  assert.equal(lp.resolution, 'hour');
  const ld = lp.days.find((x) => x.day === DAY)!;
  assert.equal(ld.slots, 24);
  assert.equal(ld.intervalS, 3600);
  assert.equal(ld.quality[0], 'E');
  assert.equal(ld.quality[1], 'A');
  assert.ok(Math.abs((ld.values[1] ?? 0) - 9) < 1e-9, String(ld.values[1]));
});

test('preview: a bad formula is 400 FRONTEIRA_E_FORMULA with the column and length to mark', async () => {
  const cases: [string, number][] = [
    [`${A}.C +`, 18],
    [`${A}.C - ${B}.X`, 33],
    [`${A}.C - SPNOSUCHPOINT.G`, 19],
    [`${A}.C + 1,5`, 20],
  ];
  for (const [formula, column] of cases) {
    const res = await h.post(`${BASE}/preview`, { formula, from: DAY, to: DAY }, leitura);
    assert.equal(res.statusCode, 400, `${formula}: ${res.body}`);
    const e = errorOf(res);
    assert.equal(e.code, 'FRONTEIRA_E_FORMULA', formula);
    assert.equal(e.details.column, column, `${formula}: ${e.message}`);
    assert.equal(typeof e.details.length, 'number');
  }
  const constant = await h.post(`${BASE}/preview`, { formula: '42', from: DAY, to: DAY }, leitura);
  assert.equal(constant.statusCode, 400);
  assert.equal(errorOf(constant).code, 'FRONTEIRA_E_FORMULA', 'a formula must read some series');
  // The formula is kWh; channel QC is kvarh.
  const unit = await h.post(`${BASE}/preview`, { formula: NET, channel: 'QC', from: DAY, to: DAY }, leitura);
  assert.equal(unit.statusCode, 400, unit.body);
  assert.equal(errorOf(unit).code, 'FRONTEIRA_E_FORMULA');
});

test('a virtual meter: define, read, recompute, its results as a point, change, cycle refused, retire', async () => {
  const created = await h.post(
    BASE,
    { name: 'liquido', channel: 'C', formula: NET, description: 'Entrada menos usina', tags: ['se-norte'] },
    analista,
  );
  assert.equal(created.statusCode, 201, created.body);
  const m = created.json();
  assert.equal(m.name, 'liquido');
  assert.equal(m.status, 'active');
  assert.equal(m.unit, 'kWh');
  assert.match(m.code, /^[A-Z0-9]{13}$/);
  assert.equal(m.intervalsUrl, `/api/v1/points/${m.code}/intervals?layer=final`);
  assert.deepEqual(
    m.inputs.map((i: { label: string }) => i.label),
    [`${A}.C`, `${B}.G`],
  );
  const dup = await h.post(BASE, { name: 'liquido', channel: 'C', formula: NET }, analista);
  assert.ok(dup.statusCode === 409 || dup.statusCode === 400, dup.body);

  const list = await h.get(`${BASE}?q=liqui`, leitura);
  assert.equal(list.statusCode, 200, list.body);
  assert.equal(list.json().total, 1);
  assert.equal(list.json().items[0].name, 'liquido');
  const one = await h.get(`${BASE}/liquido`, leitura);
  assert.equal(one.statusCode, 200, one.body);
  assert.equal(one.json().formula, NET);

  const computed = await h.post(`${BASE}/liquido/compute`, { from: DAY, to: DAY2 }, analista);
  assert.equal(computed.statusCode, 200, computed.body);
  assert.equal(computed.json().name, 'liquido');
  assert.ok(computed.json().pointDays >= 2, computed.body);

  // The results are the final series of the virtual point, served like any point's.
  const point = await h.get(`/api/v1/points/${m.code}`, leitura);
  assert.equal(point.statusCode, 200, point.body);
  assert.equal(point.json().kind, 'virtual');
  const iv = await h.get(`/api/v1/points/${m.code}/intervals?layer=final&from=${DAY}&to=${DAY2}`, leitura);
  assert.equal(iv.statusCode, 200, iv.body);
  const series = iv.json().series;
  assert.equal(series.length, 1);
  assert.equal(series[0].quantityCode, 1);
  assert.equal(series[0].days.length, 2);
  assert.equal(series[0].days[0].values[100], 0.75);
  assert.equal(series[0].days[0].quality[0], 'E');

  const used = await h.post(BASE, { name: 'dobro', channel: 'C', formula: 'vm("liquido") * 2' }, analista);
  assert.equal(used.statusCode, 201, used.body);
  assert.deepEqual((await h.get(`${BASE}/liquido`, leitura)).json().dependents, ['dobro']);
  const cycle = await h.patch(`${BASE}/liquido`, { formula: `${A}.C - vm("dobro")` }, analista);
  assert.equal(cycle.statusCode, 400, cycle.body);
  assert.equal(errorOf(cycle).code, 'FRONTEIRA_E_FORMULA');
  const badFormula = await h.patch(`${BASE}/liquido`, { formula: `${A}.C -` }, analista);
  assert.equal(badFormula.statusCode, 400);
  assert.equal(typeof errorOf(badFormula).details.column, 'number');

  const changed = await h.patch(
    `${BASE}/liquido`,
    { formula: `loss(${A}.C, 0.98) - ${B}.G`, comment: 'perdas de 2 %' },
    analista,
  );
  assert.equal(changed.statusCode, 200, changed.body);
  assert.equal(changed.json().version, 2);
  assert.equal(changed.json().history.length, 2);

  const inUse = await h.delete(`${BASE}/liquido`, analista);
  assert.ok(inUse.statusCode >= 400 && inUse.statusCode < 500, inUse.body);
  const retired = await h.request({ method: 'DELETE', url: `${BASE}/dobro?comment=fim`, auth: analista });
  assert.equal(retired.statusCode, 200, retired.body);
  assert.equal(retired.json().status, 'retired');
  assert.equal((await h.get(BASE, leitura)).json().total, 1);
  assert.deepEqual(
    (await h.get(`${BASE}?status=retired`, leitura)).json().items.map((x: { name: string }) => x.name),
    ['dobro'],
  );
  assert.equal((await h.get(`${BASE}?status=all`, leitura)).json().total, 2);

  const rows = await listAudit(h.store.db, { actor: 'user:test-analista', limit: 100 });
  assert.ok(rows.length >= 3, `audit rows: ${rows.length}`);
});
