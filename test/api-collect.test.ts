/**
 * Collection through the API: a task ("read now") on a simulated meter carried out by the engine of the API
 * process, then the new session in the log with its steps and decoded frames; events, tasks and schedules lists.
 * PGlite only (the engine's SQL is covered on both backends by the collect tests).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Engine, startEngine } from '../src/collect/engine.ts';
import type { RunningFleet } from '../src/simulator/fleet.ts';
import type { Store } from '../src/store/pool.ts';
import type { MeterRow } from '../src/store/registry.ts';
import { type ApiHarness, openApi, type Session } from './helpers/api.ts';
import { eventually, quiet, registerFleet, startTestFleet } from './helpers/collect.ts';
import { openPgliteStore } from './helpers/stores.ts';

let store: Store;
let fleet: RunningFleet;
let engine: Engine;
let meters: MeterRow[];
let h: ApiHarness;
let analista: Session;
let leitura: Session;

before(async () => {
  store = await openPgliteStore();
  fleet = await startTestFleet({ meters: 1 });
  meters = await registerFleet(store, fleet, { memoryDays: 2 });
  engine = await startEngine(store, { queue: false, logger: quiet });
  h = await openApi(store, { engine });
  analista = await h.login('analista');
  leitura = await h.login('leitura');
});
after(async () => {
  await h?.close();
  await engine?.stop();
  await fleet?.close();
  await store?.close();
});

const errorOf = (res: { json(): unknown }) =>
  (res.json() as { error: { code: string; message: string; details: Record<string, unknown> } }).error;

function assert400(res: { statusCode: number; json(): unknown }, field: string): void {
  assert.equal(res.statusCode, 400, JSON.stringify(res.json()));
  assert.equal(errorOf(res).code, 'FRONTEIRA_E_VALIDATION');
  assert.equal(errorOf(res).details.field, field, errorOf(res).message);
}

test('read now through POST /tasks, then the new session with decoded frames', async () => {
  const serial = meters[0].serial;
  const body = {
    kind: 'read_now',
    meterSerial: serial,
    params: { window: { amount: 2, unit: 'hours' } },
    comment: 'ler agora',
  };
  assert.equal((await h.post('/api/v1/tasks', body, leitura)).statusCode, 403);
  assert.equal((await h.post('/api/v1/tasks', body)).statusCode, 401);
  assert400(await h.post('/api/v1/tasks', { ...body, kind: 'explode' }, analista), 'body.kind');
  assert400(await h.post('/api/v1/tasks', { ...body, meterSerial: 'abc' }, analista), 'body.meterSerial');
  assert400(
    await h.post('/api/v1/tasks', { kind: 'demand_interval', meterSerial: serial, params: { minutes: 7 } }, analista),
    'body.params.minutes',
  );
  assert.equal((await h.post('/api/v1/tasks', { ...body, meterSerial: '99999999' }, analista)).statusCode, 404);

  const res = await h.post('/api/v1/tasks', body, analista);
  assert.equal(res.statusCode, 202, res.body);
  const id = res.json().id;
  assert.equal(res.json().requestedBy, 'user:test-analista');
  assert.equal(res.json().meterSerial, serial);
  let task: { status: string; sessionId: number | null } = res.json();
  await eventually(
    async () => {
      task = (await h.get(`/api/v1/tasks/${id}`, leitura)).json();
      return task.status === 'done' || task.status === 'failed';
    },
    60_000,
    'task finished',
  );
  assert.equal(task.status, 'done', JSON.stringify(task));
  assert.ok(task.sessionId);

  const s = await h.get(`/api/v1/sessions/${task.sessionId}`, leitura);
  assert.equal(s.statusCode, 200, s.body);
  const session = s.json();
  assert.equal(session.meterSerial, serial);
  assert.equal(session.purpose, 'manual');
  assert.equal(session.status, 'ok');
  assert.ok(session.steps.length > 0);
  assert.ok(session.frameCount > 0);
  const tx = session.frames.find((f: { direction: string; length: number }) => f.direction === 'tx' && f.length > 1);
  const rx = session.frames.find((f: { direction: string; length: number }) => f.direction === 'rx' && f.length > 1);
  assert.ok(tx && rx, 'a command and a response');
  assert.equal(typeof tx.code, 'number');
  assert.match(tx.hex, /^[0-9A-F]+$/);
  assert.ok(tx.name);
  assert.equal(rx.error, null);
  assert.ok(rx.summary.length > 0);
  const page = (await h.get(`/api/v1/sessions/${task.sessionId}?frameOffset=1&frameLimit=1`, leitura)).json();
  assert.equal(page.frames.length, 1);
  assert.equal(page.frames[0].index, 1);

  const log = await h.get(`/api/v1/sessions?meter=${serial}&purpose=manual&status=ok`, leitura);
  assert.equal(log.statusCode, 200);
  assert.ok(log.json().items.some((x: { id: number }) => x.id === task.sessionId));
  assert.equal((await h.get(`/api/v1/sessions?meter=${serial}&status=failed`, leitura)).json().total, 0);

  const tasks = (await h.get(`/api/v1/tasks?meter=${serial}&kind=read_now`, leitura)).json();
  assert.equal(tasks.total, 1);
  assert.equal(tasks.items[0].id, id);
});

test('sessions, events, tasks and schedules: shapes, auth and malformed input', async () => {
  assert.equal((await h.get('/api/v1/sessions')).statusCode, 401);
  assert.equal((await h.get('/api/v1/events')).statusCode, 401);
  assert.equal((await h.get('/api/v1/tasks')).statusCode, 401);
  assert.equal((await h.get('/api/v1/schedules')).statusCode, 401);
  assert400(await h.get('/api/v1/sessions?limit=0', leitura), 'query.limit');
  assert400(await h.get('/api/v1/sessions?limit=5000', leitura), 'query.limit');
  assert400(await h.get('/api/v1/sessions?status=weird', leitura), 'query.status.0');
  assert400(await h.get('/api/v1/sessions?purpose=fun', leitura), 'query.purpose.0');
  assert400(await h.get('/api/v1/sessions?from=yesterday', leitura), 'query.from');
  assert400(await h.get('/api/v1/sessions/abc', leitura), 'params.id');
  assert400(await h.get('/api/v1/sessions/1?frameLimit=99999', leitura), 'query.frameLimit');
  assert.equal((await h.get('/api/v1/sessions/999999', leitura)).statusCode, 404);
  assert400(await h.get('/api/v1/events?kind=party', leitura), 'query.kind.0');
  assert400(await h.get('/api/v1/events?meter=12ab', leitura), 'query.meter');
  const ev = await h.get(`/api/v1/events?meter=${meters[0].serial}&from=2000-01-01T00:00:00Z`, leitura);
  assert.equal(ev.statusCode, 200);
  assert.equal(typeof ev.json().total, 'number');
  assert400(await h.get('/api/v1/tasks?status=soon', leitura), 'query.status.0');
  assert.equal((await h.get('/api/v1/tasks/999999', leitura)).statusCode, 404);
  const sch = await h.get('/api/v1/schedules', leitura);
  assert.equal(sch.statusCode, 200);
  assert.equal(sch.json().engine, true);
  assert.deepEqual(sch.json().items, []);
});

test('instant values of a point and failing meters: what the last reads said', async () => {
  const serial = meters[0].serial;
  const code = (
    await store.db
      .selectFrom('metering_point')
      .select('code')
      .where('id', '=', meters[0].point_id)
      .executeTakeFirstOrThrow()
  ).code;
  assert.equal((await h.get(`/api/v1/points/${code}/instant`)).statusCode, 401);
  assert400(await h.get('/api/v1/points/nope/instant', leitura), 'params.code');
  assert.equal((await h.get('/api/v1/points/ZZZZZZZZZZZZZ/instant', leitura)).statusCode, 404);
  // 'ler agora' reads the mass memory only: store what a standard reading (0x14 + registers) would have left.
  const empty = (await h.get(`/api/v1/points/${code}/instant`, leitura)).json();
  assert.deepEqual(empty.instant, []);
  const { insertSnapshots } = await import('../src/store/snapshots.ts');
  const meterId = Number(meters[0].id);
  const instant = (at: string, volts: number) => ({
    meterId,
    sessionId: null,
    kind: 'instant' as const,
    group: 0,
    at: new Date(at),
    data: { voltagePhaseV: [volts, volts, volts], frequencyHz: 60 },
  });
  await insertSnapshots(store.db, [
    instant('2026-11-20T09:00:00Z', 126.9),
    instant('2026-11-20T10:00:00Z', 127.4),
    {
      meterId,
      sessionId: null,
      kind: 'registers_current',
      group: 0,
      at: new Date('2026-11-20T10:00:00Z'),
      data: { channels: [{ channel: 1, quantityCode: 1, totalRaw: 123456, energy: 1234.56 }] },
    },
  ]);
  const inst = await h.get(`/api/v1/points/${code}/instant`, leitura);
  assert.equal(inst.statusCode, 200, inst.body);
  const body = inst.json();
  assert.equal(body.point, code);
  assert.equal(body.instant.length, 1, 'the newest instant values per meter and group');
  assert.equal(body.instant[0].meterSerial, serial);
  assert.equal(body.instant[0].at, '2026-11-20T10:00:00.000Z');
  assert.deepEqual(body.instant[0].data.voltagePhaseV, [127.4, 127.4, 127.4]);
  assert.equal(body.registers.length, 1);
  assert.equal(body.registers[0].data.channels[0].energy, 1234.56);

  assert.equal((await h.get('/api/v1/meters/failing')).statusCode, 401);
  assert400(await h.get('/api/v1/meters/failing?minFailures=0', leitura), 'query.minFailures');
  assert.equal((await h.get('/api/v1/meters/failing', leitura)).json().total, 0);
  const { noteSessions } = await import('../src/store/collect-state.ts');
  const fail = (at: string) => ({
    meterId: Number(meters[0].id),
    at: new Date(at),
    ok: false,
    error: 'FRONTEIRA_E_TIMEOUT: no answer to ENQ',
    driftS: null,
    lastReset: null,
    penultimateReset: null,
  });
  await noteSessions(store.db, [fail('2026-11-20T10:00:00Z')]);
  await noteSessions(store.db, [fail('2026-11-20T11:00:00Z')]);
  const failing = (await h.get('/api/v1/meters/failing', leitura)).json();
  assert.equal(failing.total, 1);
  assert.equal(failing.items[0].meterSerial, serial);
  assert.equal(failing.items[0].pointCode, code);
  assert.equal(failing.items[0].failures, 2);
  assert.equal(failing.items[0].lastError, 'FRONTEIRA_E_TIMEOUT: no answer to ENQ');
  assert.equal(failing.items[0].lastAttemptAt, '2026-11-20T11:00:00.000Z');
  assert.ok(failing.items[0].lastOkAt, 'the read-now session was good');
  assert.equal((await h.get('/api/v1/meters/failing?minFailures=3', leitura)).json().total, 0);
  assert.equal((await h.get('/api/v1/meters/failing?tag=no-such-tag', leitura)).json().total, 0);
});
