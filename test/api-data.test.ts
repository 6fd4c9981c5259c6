/**
 * Data routes through the API: interval data (raw, validated, final; 5-min, hourly, daily; JSON and CSV),
 * completeness and gaps, VEE results, manual edits and their reversal, principal × retaguarda comparison. One point
 * with a principal and a retaguarda whose day blocks are written directly (the principal misses three intervals).
 * PGlite only: the SQL behind these routes is covered on both backends by the store and VEE tests.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addDays, operatingDayOfIntervalEnd, operatingDayStart } from '../src/domain/time.ts';
import { addMeter, createPoint } from '../src/registry/service.ts';
import { listAudit } from '../src/store/audit.ts';
import { withTransaction } from '../src/store/bulk.ts';
import { writeDayBlocks } from '../src/store/day-blocks.ts';
import { type ApiHarness, openApi, type Session } from './helpers/api.ts';
import { testBlock } from './helpers/day-blocks.ts';

let h: ApiHarness;
let analista: Session;
let leitura: Session;
let admin: Session;
const CODE = 'SPAPIDATA0001';
const DAY = addDays(operatingDayOfIntervalEnd(Date.now()), -3);
const DAY2 = addDays(DAY, 1);
const MISSING = [10, 11, 12];

const block = (meterId: number, day: string, scale: number, missing: number[]) =>
  testBlock(meterId, 1, day, (k) => (missing.includes(k) ? null : scale * (1 + (k % 12) / 10)), {
    pulses: (_k, v) => Math.round(v * 100),
  });

before(async () => {
  h = await openApi();
  [analista, leitura, admin] = [await h.login('analista'), await h.login('leitura'), await h.login('admin')];
  const ctx = { db: h.store.db, actor: 'test' };
  await createPoint(ctx, { code: CODE, name: 'Dados', kind: 'fronteira', segment: 'livre' });
  const channelMap = [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 }];
  const p = await addMeter(ctx, { serial: '30000001', pointCode: CODE, role: 'principal', channelMap });
  const r = await addMeter(ctx, { serial: '30000002', pointCode: CODE, role: 'retaguarda', channelMap });
  await withTransaction(h.store, (tx) =>
    writeDayBlocks(tx, [
      block(Number(p.id), DAY, 1, MISSING),
      block(Number(r.id), DAY, 1.01, []),
      block(Number(p.id), DAY2, 1, []),
      block(Number(r.id), DAY2, 1, []),
    ]),
  );
  const start = operatingDayStart(DAY);
  await h.store.db
    .insertInto('gap')
    .values({
      meter_id: p.id,
      first_end: new Date(start + 11 * 300_000),
      last_end: new Date(start + 13 * 300_000),
      intervals: 3,
      state: 'retrying',
      history: JSON.stringify([{ at: new Date(start).toISOString(), action: 'found', sessionId: null, result: null }]),
    })
    .execute();
});
after(() => h?.close());

const errorOf = (res: { json(): unknown }) =>
  (res.json() as { error: { code: string; message: string; details: Record<string, unknown> } }).error;

function assert400(res: { statusCode: number; json(): unknown }, field: string): void {
  assert.equal(res.statusCode, 400, JSON.stringify(res.json()));
  assert.equal(errorOf(res).code, 'FRONTEIRA_E_VALIDATION');
  assert.equal(errorOf(res).details.field, field, errorOf(res).message);
}

const url = (path: string) => `/api/v1/points/${CODE}/${path}`;

test('raw intervals per meter role and channel; hourly and daily sums with counts; CSV', async () => {
  const raw = await h.get(url(`intervals?layer=raw&from=${DAY}&to=${DAY}`), leitura);
  assert.equal(raw.statusCode, 200, raw.body);
  const body = raw.json();
  assert.equal(body.series.length, 2);
  const principal = body.series.find((s: { role: string }) => s.role === 'principal');
  assert.equal(principal.meterSerial, '30000001');
  assert.equal(principal.channel, 1);
  assert.equal(principal.quantityCode, 1);
  assert.equal(principal.unit, 'kWh');
  const d = principal.days[0];
  assert.equal(d.slots, 288);
  assert.equal(d.values.length, 288);
  assert.equal(d.values[10], null);
  assert.equal(d.quality[10], 'N');
  assert.equal(d.quality[9], 'A');
  assert.equal(d.flags[9], 1);
  assert.match(d.firstEnd, /T00:05:00-03:00$/);

  const hourly = (await h.get(url(`intervals?layer=raw&from=${DAY}&to=${DAY}&resolution=hour`), leitura)).json();
  const ph = hourly.series.find((s: { role: string }) => s.role === 'principal');
  assert.equal(ph.rows.length, 24);
  // Slots 10 and 11 end at 00:55 and 01:00 (first hour), slot 12 at 01:05 (second hour).
  assert.deepEqual(ph.rows[0].counts, { N: 2, A: 10, S: 0, E: 0, M: 0 });
  assert.deepEqual(ph.rows[1].counts, { N: 1, A: 11, S: 0, E: 0, M: 0 });
  // Slots 13–23 hold 1 + (k mod 12)/10: 11 + 6.6.
  assert.ok(Math.abs(ph.rows[1].value - 17.6) < 1e-9, String(ph.rows[1].value));
  assert.match(ph.rows[0].at, /T01:00:00-03:00$/);
  const daily = (await h.get(url(`intervals?layer=raw&from=${DAY}&to=${DAY2}&resolution=day`), leitura)).json();
  const pd = daily.series.find((s: { role: string }) => s.role === 'principal');
  assert.equal(pd.rows.length, 2);
  assert.equal(pd.rows[0].counts.A, 285);
  assert.equal(pd.rows[1].counts.A, 288);

  const csv = await h.get(url(`intervals?layer=raw&from=${DAY}&to=${DAY}&format=csv&quantity=1`), leitura);
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /text\/csv/);
  const lines = csv.body
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  assert.equal(lines[0], 'ponto;camada;medidor;papel;canal;grandeza;unidade;fim;valor;qualidade;flags');
  assert.equal(lines.length, 1 + 2 * 288);
  assert.equal(lines[1], `${CODE};raw;30000001;principal;1;1;kWh;${DAY}T00:05:00-03:00;1;A;1`);
  assert.equal(lines[11], `${CODE};raw;30000001;principal;1;1;kWh;${DAY}T00:55:00-03:00;;N;0`);
  const hourCsv = await h.get(url(`intervals?layer=raw&from=${DAY}&to=${DAY}&format=csv&resolution=hour`), leitura);
  assert.match(hourCsv.body, /fim_hora;valor;qtd_N;qtd_A;qtd_S;qtd_E;qtd_M/);
  assert.equal(
    (await h.get(url(`intervals?layer=raw&from=${DAY}&to=${DAY}&quantity=2`), leitura)).json().series.length,
    0,
  );
});

test('intervals: auth and malformed input', async () => {
  assert.equal((await h.get(url(`intervals?from=${DAY}&to=${DAY}`))).statusCode, 401);
  assert400(await h.get(url(`intervals?from=${DAY}&to=2026-13-45`), leitura), 'query.to');
  assert400(await h.get(url(`intervals?from=yesterday&to=${DAY}`), leitura), 'query.from');
  assert400(await h.get(url(`intervals?to=${DAY}`), leitura), 'query.from');
  assert400(await h.get(url(`intervals?from=${DAY}&to=${DAY}&layer=cooked`), leitura), 'query.layer');
  assert400(await h.get(url(`intervals?from=${DAY}&to=${DAY}&resolution=15min`), leitura), 'query.resolution');
  assert400(await h.get(url(`intervals?from=${DAY}&to=${DAY}&format=pdf`), leitura), 'query.format');
  assert400(await h.get(url(`intervals?from=${DAY}&to=${DAY}&quantity=abc`), leitura), 'query.quantity');
  assert400(await h.get(url(`intervals?from=${DAY2}&to=${DAY}`), leitura), 'query.to');
  assert400(await h.get(url('intervals?from=2020-01-01&to=2026-01-01'), leitura), 'query.to');
  const missing = await h.get(`/api/v1/points/SPNOSUCHPOINT/intervals?from=${DAY}&to=${DAY}`, leitura);
  assert.equal(missing.statusCode, 404);
});

test('completeness per point and day, across points and for one; gaps with history', async () => {
  const one = await h.get(url(`completeness?from=${DAY}&to=${DAY2}`), leitura);
  assert.equal(one.statusCode, 200, one.body);
  const c = one.json();
  assert.equal(c.code, CODE);
  assert.deepEqual(
    c.days.map((d: { day: string; filled: number; slots: number }) => [d.day, d.filled, d.slots]),
    [
      [DAY, 285, 288],
      [DAY2, 288, 288],
    ],
  );
  assert.equal(c.days[0].meters.length, 2);
  assert.equal(c.days[0].percent, 98.96);
  const all = await h.get(`/api/v1/completeness?from=${DAY}&to=${DAY}&segment=livre&limit=10`, leitura);
  assert.equal(all.statusCode, 200, all.body);
  assert.equal(all.json().total, 1);
  assert.equal(all.json().items[0].filled, 285);
  assert400(await h.get(`/api/v1/completeness?from=${DAY}&to=${DAY}&limit=0`, leitura), 'query.limit');
  assert400(await h.get(`/api/v1/completeness?from=${DAY}`, leitura), 'query.to');
  assert.equal((await h.get(`/api/v1/completeness?from=${DAY}&to=${DAY}`)).statusCode, 401);
  assert.equal(
    (await h.get(`/api/v1/points/SPNOSUCHPOINT/completeness?from=${DAY}&to=${DAY}`, leitura)).statusCode,
    404,
  );

  const gaps = await h.get(`/api/v1/gaps?state=retrying&point=${CODE}`, leitura);
  assert.equal(gaps.statusCode, 200, gaps.body);
  assert.equal(gaps.json().total, 1);
  const g = gaps.json().items[0];
  assert.equal(g.meterSerial, '30000001');
  assert.equal(g.intervals, 3);
  assert.equal((await h.get('/api/v1/gaps?state=lost', leitura)).json().total, 0);
  const one2 = await h.get(`/api/v1/gaps/${g.id}`, leitura);
  assert.equal(one2.statusCode, 200);
  assert.equal(one2.json().history[0].action, 'found');
  assert.equal((await h.get('/api/v1/gaps/999999', leitura)).statusCode, 404);
  assert400(await h.get('/api/v1/gaps/x', leitura), 'params.id');
  assert400(await h.get('/api/v1/gaps?state=open', leitura), 'query.state.0');
  assert.equal((await h.get('/api/v1/gaps')).statusCode, 401);
});

test('VEE: run, final intervals with quality/method/reason/source, point-day view with versions', async () => {
  assert.equal((await h.post('/api/v1/vee/run', { from: DAY, to: DAY2 }, leitura)).statusCode, 403);
  assert400(await h.post('/api/v1/vee/run', { from: DAY2, to: DAY }, analista), 'body.to');
  assert400(await h.post('/api/v1/vee/run', { from: 'ontem', to: DAY }, analista), 'body.from');
  assert.equal(
    (await h.post('/api/v1/vee/run', { from: DAY, to: DAY, points: ['SPNOSUCHPOINT'] }, analista)).statusCode,
    404,
  );
  const run = await h.post('/api/v1/vee/run', { from: DAY, to: DAY2, points: [CODE] }, analista);
  assert.equal(run.statusCode, 200, run.body);
  assert.equal(run.json().pointDays, 2);
  assert.ok(run.json().changed >= 2);

  const fin = await h.get(url(`intervals?layer=final&from=${DAY}&to=${DAY}`), leitura);
  assert.equal(fin.statusCode, 200, fin.body);
  const s = fin.json().series[0];
  assert.equal(s.quantityCode, 1);
  const d = s.days[0];
  assert.equal(d.values.length, 288);
  for (const k of ['quality', 'method', 'reason', 'source']) assert.equal(d[k].length, 288, k);
  assert.equal(d.quality[0], 'A');
  assert.equal(d.source[0], 'principal');
  assert.equal(d.version, 1);
  const finCsv = await h.get(url(`intervals?layer=final&from=${DAY}&to=${DAY}&format=csv`), leitura);
  assert.match(finCsv.body, /fim;valor;qualidade;method;reason;source\r\n/);
  const val = await h.get(url(`intervals?layer=validated&from=${DAY}&to=${DAY}`), leitura);
  assert.equal(val.statusCode, 200, val.body);
  assert.equal(val.json().series[0].days[0].severity.length, 288);

  const view = await h.get(url(`vee?day=${DAY}`), leitura);
  assert.equal(view.statusCode, 200, view.body);
  assert.notEqual(view.json().validation, null);
  assert.ok(Array.isArray(view.json().validation.outcomes));
  assert.equal(view.json().finals[0].versions.length, 1);
  assert.equal(view.json().finals[0].counts.A + view.json().finals[0].counts.N + view.json().finals[0].counts.S, 288);
  assert400(await h.get(url('vee?day=2026-02-30'), leitura), 'query.day');
  assert400(await h.get(url('vee'), leitura), 'query.day');
  assert.equal((await h.get(`/api/v1/points/SPNOSUCHPOINT/vee?day=${DAY}`, leitura)).statusCode, 404);
  assert.equal((await h.get(url(`vee?day=${DAY}`))).statusCode, 401);
});

test('VEE: an edit through the API, then its reversal; both audited as the user', async () => {
  const body = {
    quantityCode: 1,
    day: DAY,
    firstSlot: 10,
    lastSlot: 12,
    kind: 'replace',
    values: 1.5,
    comment: 'ajuste',
  };
  assert.equal((await h.post(url('vee/edits'), body, leitura)).statusCode, 403);
  assert.equal((await h.post(url('vee/edits'), body)).statusCode, 401);
  assert400(await h.post(url('vee/edits'), { ...body, kind: 'paint' }, analista), 'body.kind');
  assert400(await h.post(url('vee/edits'), { ...body, comment: '' }, analista), 'body.comment');
  assert400(await h.post(url('vee/edits'), { ...body, firstSlot: 'dez' }, analista), 'body.firstSlot');
  assert400(await h.post(url('vee/edits'), { ...body, lastSlot: 400 }, analista), 'body.lastSlot');
  assert.equal((await h.post('/api/v1/points/SPNOSUCHPOINT/vee/edits', body, analista)).statusCode, 404);

  const res = await h.post(url('vee/edits'), body, analista);
  assert.equal(res.statusCode, 201, res.body);
  const edit = res.json().edit;
  assert.equal(edit.createdBy, 'user:test-analista');
  assert.equal(res.json().final.counts.M, 3);
  assert.equal(res.json().final.version, 2);
  const fin = (await h.get(url(`intervals?layer=final&from=${DAY}&to=${DAY}`), leitura)).json();
  assert.equal(fin.series[0].days[0].values[11], 1.5);
  assert.equal(fin.series[0].days[0].quality[11], 'M');
  assert.equal(fin.series[0].days[0].method[11], 'ME');

  const list = await h.get(url(`vee/edits?from=${DAY}&to=${DAY}`), leitura);
  assert.equal(list.statusCode, 200);
  assert.equal(list.json().items.length, 1);

  assert.equal((await h.post(`/api/v1/vee/edits/${edit.id}/reverse`, { comment: 'desfaz' }, leitura)).statusCode, 403);
  assert400(await h.post(`/api/v1/vee/edits/${edit.id}/reverse`, {}, analista), 'body.comment');
  assert.equal((await h.post('/api/v1/vee/edits/999999/reverse', { comment: 'x' }, analista)).statusCode, 404);
  const rev = await h.post(`/api/v1/vee/edits/${edit.id}/reverse`, { comment: 'desfaz' }, analista);
  assert.equal(rev.statusCode, 200, rev.body);
  assert.notEqual(rev.json().edit.reversedAt, null);
  assert.equal(rev.json().edit.reversedBy, 'user:test-analista');
  assert.equal(rev.json().final.counts.M, 0);
  const again = await h.post(`/api/v1/vee/edits/${edit.id}/reverse`, { comment: 'de novo' }, analista);
  assert.ok(again.statusCode === 409 || again.statusCode === 400, again.body);

  const rows = await listAudit(h.store.db, { entity: 'vee_final', limit: 20 });
  assert.ok(rows.some((r) => r.action === 'apply' && r.actor === 'user:test-analista' && r.comment === 'ajuste'));
  assert.ok(rows.some((r) => r.action === 'reverse' && r.actor === 'user:test-analista' && r.comment === 'desfaz'));
  const view = (await h.get(url(`vee?day=${DAY}`), leitura)).json();
  assert.equal(view.finals[0].versions.length, 3);
  assert.equal(view.edits.length, 1);
});

test('principal × retaguarda comparison as JSON, CSV and XLSX; parameter versions', async () => {
  const json = await h.get(url(`compare?from=${DAY}&to=${DAY}`), leitura);
  assert.equal(json.statusCode, 200, json.body);
  const q = json.json().days[0].quantities[0];
  assert.equal(q.quantityCode, 1);
  assert.equal(q.day.missingPrincipal, 3);
  assert.equal(q.principal[10], null);
  assert.equal(q.hours.length, 24);
  assert.equal(json.json().totals[0].quantityCode, 1);

  const csv = await h.get(url(`compare?from=${DAY}&to=${DAY}&format=csv`), leitura);
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /text\/csv/);
  const lines = csv.body
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  assert.match(lines[0], /^Ponto;Data;/);
  assert.equal(lines.length, 1 + 288);
  const daily = await h.get(url(`compare?from=${DAY}&to=${DAY}&format=csv&level=day`), leitura);
  assert.equal(
    daily.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n').length,
    2,
  );
  const xlsx = await h.get(url(`compare?from=${DAY}&to=${DAY}&format=xlsx`), leitura);
  assert.equal(xlsx.statusCode, 200);
  assert.equal(xlsx.rawPayload.subarray(0, 2).toString(), 'PK');
  assert400(await h.get(url(`compare?from=${DAY}&to=${DAY}&format=pdf`), leitura), 'query.format');
  assert400(await h.get(url(`compare?from=${DAY}&to=${DAY}&level=week`), leitura), 'query.level');
  assert.equal((await h.get(`/api/v1/points/SPNOSUCHPOINT/compare?from=${DAY}&to=${DAY}`, leitura)).statusCode, 404);

  const params = await h.get('/api/v1/vee/params', leitura);
  assert.equal(params.statusCode, 200, params.body);
  const before = params.json().items.length;
  const pv = { scope: `point:${CODE}`, effectiveFrom: DAY, params: {}, comment: 'teste' };
  assert.equal((await h.post('/api/v1/vee/params', pv, analista)).statusCode, 403);
  assert400(await h.post('/api/v1/vee/params', { ...pv, scope: 'planeta' }, admin), 'body.scope');
  assert400(await h.post('/api/v1/vee/params', { ...pv, effectiveFrom: 'hoje' }, admin), 'body.effectiveFrom');
  const added = await h.post('/api/v1/vee/params', pv, admin);
  assert.equal(added.statusCode, 201, added.body);
  assert.equal(added.json().version.createdBy, 'user:test-admin');
  assert.equal((await h.get('/api/v1/vee/params', leitura)).json().items.length, before + 1);
});

test('every data route: 401 without credentials; changes 403 for leitura; tasks 503 without an engine', async () => {
  const reads = [
    url(`intervals?from=${DAY}&to=${DAY}`),
    url(`completeness?from=${DAY}&to=${DAY}`),
    `/api/v1/completeness?from=${DAY}&to=${DAY}`,
    '/api/v1/gaps',
    '/api/v1/gaps/1',
    url(`vee?day=${DAY}`),
    url(`vee/edits?from=${DAY}&to=${DAY}`),
    url(`compare?from=${DAY}&to=${DAY}`),
    '/api/v1/vee/params',
  ];
  for (const u of reads) assert.equal((await h.get(u)).statusCode, 401, u);
  const changes: [string, unknown][] = [
    [url('vee/edits'), { quantityCode: 1, day: DAY, firstSlot: 1, lastSlot: 1, kind: 'accept', comment: 'x' }],
    ['/api/v1/vee/edits/1/reverse', { comment: 'x' }],
    ['/api/v1/vee/run', { from: DAY, to: DAY }],
    ['/api/v1/vee/params', { scope: 'global', effectiveFrom: DAY, params: {} }],
  ];
  for (const [u, body] of changes) {
    assert.equal((await h.post(u, body)).statusCode, 401, u);
    assert.equal((await h.post(u, body, leitura)).statusCode, 403, u);
  }
  const t = await h.post('/api/v1/tasks', { kind: 'read_now', meterSerial: '30000001' }, analista);
  assert.equal(t.statusCode, 503, t.body);
  assert.equal(errorOf(t).code, 'FRONTEIRA_E_UNAVAILABLE');
  const sch = await h.get('/api/v1/schedules', leitura);
  assert.deepEqual(sch.json(), { engine: false, items: [], sessions: null });
});
