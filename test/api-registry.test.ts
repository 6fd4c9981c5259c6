/**
 * Registry resources through the API: points, meters, channels, CSV export and import. Every change is audited as
 * `user:<name>`; bad input is a 400 naming the field. PGlite only: the SQL is covered on both backends by the
 * registry service tests (src/registry/*.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { listAudit } from '../src/store/audit.ts';
import { type ApiHarness, openApi, type Session } from './helpers/api.ts';

let h: ApiHarness;
let analista: Session;
let leitura: Session;
before(async () => {
  h = await openApi();
  analista = await h.login('analista');
  leitura = await h.login('leitura');
});
after(() => h?.close());

const errorOf = (res: { json(): unknown }) =>
  (res.json() as { error: { code: string; message: string; details: Record<string, unknown> } }).error;

function assert400(res: { statusCode: number; json(): unknown }, field: string): void {
  assert.equal(res.statusCode, 400, JSON.stringify(res.json()));
  const e = errorOf(res);
  assert.equal(e.code, 'FRONTEIRA_E_VALIDATION');
  assert.equal(e.details.field, field, e.message);
}

const P1 = { code: 'SPAPIREG00001', name: 'Fábrica Norte', kind: 'consumidor_livre', segment: 'livre' };

test('points: create, get with meters, list with filters, update, retire; audited as the user', async () => {
  const created = await h.post(
    '/api/v1/points',
    { ...P1, substation: 'SE Norte', tags: ['a', 'b'], voltageKv: 13.8 },
    analista,
  );
  assert.equal(created.statusCode, 201, created.body);
  assert.equal(created.json().code, 'SPAPIREG00001');
  assert.equal(created.json().status, 'active');
  assert.deepEqual(created.json().tags, ['a', 'b']);
  const p2 = await h.post(
    '/api/v1/points',
    { code: 'spapireg00002', name: 'Usina Sul', kind: 'geracao', segment: 'geracao', tags: ['b'] },
    analista,
  );
  assert.equal(p2.statusCode, 201);
  assert.equal(p2.json().code, 'SPAPIREG00002');

  const dup = await h.post('/api/v1/points', P1, analista);
  assert.equal(dup.statusCode, 409);
  assert.equal(errorOf(dup).code, 'FRONTEIRA_E_CONFLICT');

  const bySegment = await h.get('/api/v1/points?segment=livre', leitura);
  assert.equal(bySegment.statusCode, 200);
  assert.deepEqual(
    bySegment.json().items.map((p: { code: string }) => p.code),
    ['SPAPIREG00001'],
  );
  const byTag = (await h.get('/api/v1/points?tag=b&limit=1', leitura)).json();
  assert.equal(byTag.total, 2);
  assert.equal(byTag.items.length, 1);
  assert.equal(byTag.limit, 1);
  const byQ = (await h.get('/api/v1/points?q=usina', leitura)).json();
  assert.deepEqual(
    byQ.items.map((p: { code: string }) => p.code),
    ['SPAPIREG00002'],
  );
  const bySub = (await h.get(`/api/v1/points?substation=${encodeURIComponent('SE Norte')}`, leitura)).json();
  assert.equal(bySub.total, 1);
  const byKind = (await h.get('/api/v1/points?kind=geracao', leitura)).json();
  assert.equal(byKind.items[0].code, 'SPAPIREG00002');

  const patched = await h.patch('/api/v1/points/SPAPIREG00001', { name: 'Fábrica Norte II', customer: null }, analista);
  assert.equal(patched.statusCode, 200, patched.body);
  assert.deepEqual(patched.json().changed, ['name']);

  const retired = await h.post('/api/v1/points/SPAPIREG00002/retire', { comment: 'desativada' }, analista);
  assert.equal(retired.statusCode, 200, retired.body);
  assert.equal(retired.json().status, 'retired');
  assert.equal((await h.get('/api/v1/points?status=retired', leitura)).json().total, 1);
  assert.equal((await h.get('/api/v1/points?status=all', leitura)).json().total, 2);
  assert.equal((await h.get('/api/v1/points', leitura)).json().total, 1);

  const rows = await listAudit(h.store.db, { entity: 'point', entityId: 'SPAPIREG00002', limit: 10 });
  assert.ok(rows.some((r) => r.action === 'retire' && r.actor === 'user:test-analista' && r.comment === 'desativada'));
});

test('points: auth, roles and malformed input', async () => {
  assert.equal((await h.get('/api/v1/points')).statusCode, 401);
  const denied = await h.post('/api/v1/points', { ...P1, code: 'SPAPIREG00009' }, leitura);
  assert.equal(denied.statusCode, 403);
  assert.equal(errorOf(denied).code, 'FRONTEIRA_E_FORBIDDEN');
  assert.equal((await h.patch('/api/v1/points/SPAPIREG00001', { name: 'x' }, leitura)).statusCode, 403);
  assert.equal((await h.post('/api/v1/points/SPAPIREG00001/retire', {}, leitura)).statusCode, 403);

  assert400(await h.get('/api/v1/points?limit=0', leitura), 'query.limit');
  assert400(await h.get('/api/v1/points?limit=5000', leitura), 'query.limit');
  assert400(await h.get('/api/v1/points?segment=nenhum', leitura), 'query.segment');
  assert400(await h.get('/api/v1/points?status=dead', leitura), 'query.status');
  assert400(await h.post('/api/v1/points', { ...P1, code: 'SHORT' }, analista), 'body.code');
  assert400(await h.post('/api/v1/points', { ...P1, code: 'SPAPIREG00010', kind: 'cliente' }, analista), 'body.kind');
  assert400(
    await h.post('/api/v1/points', { ...P1, code: 'SPAPIREG00010', voltageKv: 'alto' }, analista),
    'body.voltageKv',
  );
  assert400(await h.post('/api/v1/points', { code: 'SPAPIREG00010', kind: 'geracao' }, analista), 'body.name');
  assert400(await h.patch('/api/v1/points/SPAPIREG00001', {}, analista), 'body');
  const badZone = await h.post('/api/v1/points', { ...P1, code: 'SPAPIREG00010', timezone: 'Mars/Base' }, analista);
  assert.equal(badZone.statusCode, 400);
  assert.match(errorOf(badZone).message, /timezone/);

  const missing = await h.get('/api/v1/points/SPNOSUCHPOINT', leitura);
  assert.equal(missing.statusCode, 404);
  assert.equal(errorOf(missing).code, 'FRONTEIRA_E_NOT_FOUND');
  assert.equal((await h.patch('/api/v1/points/SPNOSUCHPOINT', { name: 'x' }, analista)).statusCode, 404);
  assert400(await h.get('/api/v1/points/bad', leitura), 'params.code');
});

test('meters and channels: add with a channel, get, list, update, swap, retire; channel add/update/disable', async () => {
  const added = await h.post(
    '/api/v1/meters',
    {
      serial: '10000001',
      pointCode: 'SPAPIREG00001',
      role: 'principal',
      tpRatio: 120,
      channelMap: [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 }],
      channel: { address: 'tcp://10.0.0.5:4001' },
    },
    analista,
  );
  assert.equal(added.statusCode, 201, added.body);
  assert.equal(added.json().serial, '10000001');
  assert.equal(added.json().tpRatio, 120);
  assert.equal(added.json().inService, true);
  const retaguarda = await h.post(
    '/api/v1/meters',
    { serial: '10000002', pointCode: 'SPAPIREG00001', role: 'retaguarda' },
    analista,
  );
  assert.equal(retaguarda.statusCode, 201);
  const twoPrincipals = await h.post(
    '/api/v1/meters',
    { serial: '10000003', pointCode: 'SPAPIREG00001', role: 'principal' },
    analista,
  );
  assert.equal(twoPrincipals.statusCode, 409);

  const point = await h.get('/api/v1/points/SPAPIREG00001', leitura);
  assert.equal(point.statusCode, 200);
  assert.deepEqual(
    point.json().meters.map((m: { serial: string; role: string }) => [m.serial, m.role]),
    [
      ['10000001', 'principal'],
      ['10000002', 'retaguarda'],
    ],
  );
  assert.equal(point.json().meters[0].channels[0].address, 'tcp://10.0.0.5:4001');
  assert.equal('password' in point.json().meters[0].channels[0], false);

  const list = (await h.get('/api/v1/meters?point=SPAPIREG00001&role=retaguarda', leitura)).json();
  assert.deepEqual(
    list.items.map((m: { serial: string }) => m.serial),
    ['10000002'],
  );
  const one = await h.get('/api/v1/meters/10000001', leitura);
  assert.equal(one.statusCode, 200);
  assert.equal(one.json().versions.length, 1);
  assert.equal(one.json().versions[0].pointCode, 'SPAPIREG00001');
  assert.equal((await h.get('/api/v1/meters/99999999', leitura)).statusCode, 404);
  assert400(await h.get('/api/v1/meters/12AB', leitura), 'params.serial');
  assert400(await h.get('/api/v1/meters?role=main2', leitura), 'query.role');

  const upd = await h.patch('/api/v1/meters/10000001', { tcRatio: 40, model: 'ELO 2113' }, analista);
  assert.equal(upd.statusCode, 200, upd.body);
  assert.deepEqual(upd.json().changed.sort(), ['model', 'tcRatio']);
  assert400(await h.patch('/api/v1/meters/10000001', { mmIntervalS: 120 }, analista), 'body.mmIntervalS');
  assert400(await h.post('/api/v1/meters', { serial: '10000009', pointCode: 'SPAPIREG00001' }, analista), 'body.role');
  assert.equal((await h.patch('/api/v1/meters/10000001', { tcRatio: 2 }, leitura)).statusCode, 403);

  const swap = await h.post(
    '/api/v1/meters/10000001/swap',
    { newSerial: '10000011', at: '2026-01-10T12:00:00-03:00', comment: 'troca' },
    analista,
  );
  assert.equal(swap.statusCode, 201, swap.body);
  assert.equal(swap.json().old.validTo, '2026-01-10T15:00:00.000Z');
  assert.equal(swap.json().meter.serial, '10000011');
  assert.equal(swap.json().meter.tpRatio, 120);
  assert.equal(swap.json().channels[0].address, 'tcp://10.0.0.5:4001');
  assert.equal((await h.post('/api/v1/meters/10000001/swap', { newSerial: '1' }, leitura)).statusCode, 403);
  assert.equal((await h.post('/api/v1/meters/99999999/swap', { newSerial: '1' }, analista)).statusCode, 404);

  const retired = await h.post('/api/v1/meters/10000002/retire', {}, analista);
  assert.equal(retired.statusCode, 200, retired.body);
  assert.notEqual(retired.json().validTo, null);

  const ch = await h.post(
    '/api/v1/channels',
    { meterSerial: '10000011', address: 'serial:///dev/ttyUSB0?baud=9600', priority: 5 },
    analista,
  );
  assert.equal(ch.statusCode, 201, ch.body);
  assert.equal(ch.json().kind, 'serial');
  const chId = ch.json().id;
  const chList = (await h.get('/api/v1/channels?meter=10000011', leitura)).json();
  assert.equal(chList.total, 2);
  assert.equal(chList.items[0].id, chId);
  const chUpd = await h.patch(
    `/api/v1/channels/${chId}`,
    { priority: 1, timers: { responseTimeoutMs: 3000 } },
    analista,
  );
  assert.equal(chUpd.statusCode, 200, chUpd.body);
  assert.deepEqual(chUpd.json().timers, { responseTimeoutMs: 3000 });
  assert400(await h.patch(`/api/v1/channels/${chId}`, { timers: { nope: 1 } }, analista), 'body.timers');
  assert400(await h.patch(`/api/v1/channels/${chId}`, { packing: 'middle' }, analista), 'body.packing');
  assert400(await h.patch('/api/v1/channels/abc', { priority: 1 }, analista), 'params.id');
  assert.equal((await h.patch('/api/v1/channels/999999', { priority: 1 }, analista)).statusCode, 404);
  assert.equal((await h.patch(`/api/v1/channels/${chId}`, { priority: 1 }, leitura)).statusCode, 403);
  const dis = await h.request({ method: 'POST', url: `/api/v1/channels/${chId}/disable`, auth: analista });
  assert.equal(dis.statusCode, 200);
  assert.equal(dis.json().enabled, false);
  assert.equal((await h.get('/api/v1/channels?meter=10000011', leitura)).json().total, 1);
  assert.equal((await h.get('/api/v1/channels?meter=10000011&includeDisabled=true', leitura)).json().total, 2);
  assert.equal((await h.get('/api/v1/channels?meter=77777777', leitura)).statusCode, 404);
  assert.equal((await h.get('/api/v1/channels')).statusCode, 401);

  const audits = await listAudit(h.store.db, { entity: 'meter', limit: 50 });
  assert.ok(audits.some((r) => r.action === 'swap' && r.actor === 'user:test-analista' && r.comment === 'troca'));
});

test('registry CSV: export, dry-run import reports changes, bad lines are listed, apply is audited', async () => {
  const exp = await h.get('/api/v1/registry.csv', leitura);
  assert.equal(exp.statusCode, 200);
  assert.match(String(exp.headers['content-type']), /text\/csv/);
  assert.match(exp.body, /codigo_ponto;/);
  assert.match(exp.body, /SPAPIREG00001/);
  assert.equal((await h.get('/api/v1/registry.csv')).statusCode, 401);

  const csv =
    'codigo_ponto;nome;tipo;segmento;serie_medidor;papel;endereco\r\n' +
    'SPAPIIMP00001;Importado;geracao;geracao;20000001;principal;tcp://10.1.0.1:4001\r\n';
  const send = (body: string, query: string, auth: Session = analista) =>
    h.request({
      method: 'POST',
      url: `/api/v1/registry/import${query}`,
      body,
      headers: { 'content-type': 'text/csv' },
      auth,
    });

  const dry = await send(csv, '?dryRun=true');
  assert.equal(dry.statusCode, 200, dry.body);
  assert.equal(dry.json().valid, true);
  assert.equal(dry.json().dryRun, true);
  assert.equal(dry.json().counts.points.created, 1);
  assert.ok(dry.json().changes.includes('create point SPAPIIMP00001'));
  assert.equal((await h.get('/api/v1/points/SPAPIIMP00001', leitura)).statusCode, 404);

  const bad =
    'codigo_ponto;nome;tipo;segmento;serie_medidor;papel;tensao_kv\r\n' +
    'SPAPIIMP00002;Ok;geracao;geracao;20000002;principal;13,8\r\n' +
    'SPAPIIMP00003;Ruim;cliente;geracao;20000003;principal;13,8\r\n' +
    'SPAPIIMP00004;Ruim;geracao;geracao;20000004;chefe;-5\r\n';
  const dryBad = await send(bad, '?dryRun=true');
  assert.equal(dryBad.statusCode, 200, dryBad.body);
  assert.equal(dryBad.json().valid, false);
  const problems = dryBad.json().problems as { line: number; column: string }[];
  assert.deepEqual(problems.map((p) => `${p.line}:${p.column}`).sort(), ['3:tipo', '4:papel', '4:tensao_kv'].sort());
  const applyBad = await send(bad, '');
  assert.equal(applyBad.statusCode, 400);
  assert.equal(errorOf(applyBad).code, 'FRONTEIRA_E_IMPORT');
  assert.equal((errorOf(applyBad).details.errors as unknown[]).length, 3);
  assert.equal((await h.get('/api/v1/points/SPAPIIMP00002', leitura)).statusCode, 404);

  assert.equal((await send(csv, '', leitura)).statusCode, 403);
  assert400(await send(csv, '?dryRun=maybe'), 'query.dryRun');

  const applied = await send(csv, '?source=cadastro.csv');
  assert.equal(applied.statusCode, 200, applied.body);
  assert.equal(applied.json().dryRun, false);
  const got = await h.get('/api/v1/points/SPAPIIMP00001', leitura);
  assert.equal(got.statusCode, 200);
  assert.equal(got.json().meters[0].serial, '20000001');
  const rows = await listAudit(h.store.db, { entity: 'point', entityId: 'SPAPIIMP00001', limit: 5 });
  assert.equal(rows[0].actor, 'user:test-analista');
  const again = await send(csv, '');
  assert.equal(again.json().counts.points.unchanged, 1);
});

test('every registry route: 401 without credentials; every change: 403 for leitura', async () => {
  const reads = ['/api/v1/points', '/api/v1/points/SPAPIREG00001', '/api/v1/meters', '/api/v1/meters/10000011'];
  for (const url of [...reads, '/api/v1/channels', '/api/v1/registry.csv']) {
    const r = await h.get(url);
    assert.equal(r.statusCode, 401, url);
    assert.equal(errorOf(r).code, 'FRONTEIRA_E_AUTH');
  }
  const changes: ['POST' | 'PATCH', string, unknown][] = [
    ['POST', '/api/v1/points', { ...P1, code: 'SPAPIREG00077' }],
    ['PATCH', '/api/v1/points/SPAPIREG00001', { name: 'x' }],
    ['POST', '/api/v1/points/SPAPIREG00001/retire', {}],
    ['POST', '/api/v1/meters', { serial: '10000077', pointCode: 'SPAPIREG00001', role: 'retaguarda' }],
    ['PATCH', '/api/v1/meters/10000011', { model: 'x' }],
    ['POST', '/api/v1/meters/10000011/swap', { newSerial: '10000078' }],
    ['POST', '/api/v1/meters/10000011/retire', {}],
    ['POST', '/api/v1/channels', { meterSerial: '10000011', address: 'tcp://10.9.9.9:1' }],
    ['PATCH', '/api/v1/channels/1', { priority: 2 }],
    ['POST', '/api/v1/channels/1/disable', {}],
  ];
  for (const [method, url, body] of changes) {
    assert.equal((await h.request({ method, url, body })).statusCode, 401, `${method} ${url}`);
    const r = await h.request({ method, url, body, auth: leitura });
    assert.equal(r.statusCode, 403, `${method} ${url}`);
    assert.equal(errorOf(r).code, 'FRONTEIRA_E_FORBIDDEN');
    const token = await h.token('leitura');
    assert.equal((await h.request({ method, url, body, auth: token })).statusCode, 403, `${method} ${url} (token)`);
  }
  const noCsrf = await h.request({
    method: 'PATCH',
    url: '/api/v1/points/SPAPIREG00001',
    body: { name: 'x' },
    auth: analista,
    csrf: false,
  });
  assert.equal(noCsrf.statusCode, 403);
});

test('the OpenAPI document lists the data routes with their tags', async () => {
  const doc = (await h.get('/docs/json')).json();
  for (const p of [
    '/api/v1/points',
    '/api/v1/points/{code}/intervals',
    '/api/v1/registry/import',
    '/api/v1/sessions/{id}',
    '/api/v1/vee/edits/{id}/reverse',
  ]) {
    assert.ok(doc.paths[p], p);
  }
  assert.deepEqual(doc.paths['/api/v1/points'].get.tags, ['points']);
  assert.ok(doc.paths['/api/v1/points/{code}/intervals'].get.responses['200'].content['text/csv']);
});
