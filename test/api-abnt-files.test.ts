/**
 * ABNT reading files over the API: POST /api/v1/abnt-files (analista, audited) imports a file as a reading; GET
 * /api/v1/sessions/:id/abnt-file downloads a session as a file. PGlite only: the SQL underneath is the ingest path,
 * which test/abnt-file-roundtrip.test.ts runs on both backends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { abntFileName } from '../src/exports/abnt-file/format.ts';
import { sessionBlocks, testMeter } from '../src/exports/abnt-file/testkit.ts';
import { writeAbntFile } from '../src/exports/abnt-file/write.ts';
import { cmd21, cmd25, cmd26, cmd28 } from '../src/protocols/abnt14522/commands/index.ts';
import { insertMeter, insertPoint } from '../src/store/registry.ts';
import { type ApiHarness, openApi } from './helpers/api.ts';
import { todayMidnightWall } from './helpers/sim-meter.ts';

const sim = testMeter(13);
const now = todayMidnightWall() + 5 * 3_600_000;
const blocks = sessionBlocks(sim, now, [
  [cmd21, { group: 0 }],
  [cmd25, { period: 'current' }],
  [cmd28, {}],
  [cmd26, {}],
]);
const file = writeAbntFile(blocks);
const name = abntFileName(sim.serial, now);

let api: ApiHarness;
let analista: string;
let leitura: string;

before(async () => {
  api = await openApi();
  const p = await insertPoint(api.store.db, { code: sim.pointCode, name: 'P', kind: 'fronteira', segment: 'livre' });
  await insertMeter(api.store.db, p.id, {
    serial: sim.serial,
    role: 'principal',
    channelMap: [0, 1, 2].map((i) => ({
      group: 0,
      channel: i + 1,
      quantityCode: sim.quantityCodes(0)[i],
      ...sim.constants(0)[i],
    })),
    validFrom: new Date('2020-01-01T00:00:00Z'),
  });
  analista = await api.token('analista');
  leitura = await api.token('leitura');
});

after(async () => {
  await api?.close();
});

function post(bytes: Uint8Array, token: string, query: Record<string, string> = {}) {
  return api.app.inject({
    method: 'POST',
    url: '/api/v1/abnt-files',
    query: { name, ...query },
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    payload: Buffer.from(bytes),
  });
}

async function sessions(): Promise<number> {
  return (await api.store.pool.query('SELECT count(*)::int AS n FROM read_session')).rows[0].n;
}

describe('POST /api/v1/abnt-files', () => {
  test('leitura may not import', async () => {
    const r = await post(file, leitura);
    assert.equal(r.statusCode, 403);
    assert.equal(await sessions(), 0);
  });

  test('a bad file is a 400 naming block and offset; nothing stored', async () => {
    const bad = file.slice();
    bad[256] = 0x77;
    const r = await post(bad, analista);
    assert.equal(r.statusCode, 400);
    const e = r.json().error;
    assert.equal(e.code, 'FRONTEIRA_E_FILE_FORMAT');
    assert.equal(e.details.block, 2);
    assert.equal(e.details.offset, 256);
    assert.equal(e.details.reason, 'code');
    const empty = await post(new Uint8Array(0), analista);
    assert.equal(empty.statusCode, 400);
    const other = await post(file, analista, { meter: '12345678' });
    assert.equal(other.statusCode, 400);
    assert.equal(other.json().error.code, 'FRONTEIRA_E_IMPORT');
    assert.equal(await sessions(), 0);
  });

  test('dry run, import, duplicate; audited as the caller', async () => {
    const dry = await post(file, analista, { dryRun: 'true' });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.equal(dry.json().dryRun, true);
    assert.equal(dry.json().files[0].sessionId, null);
    assert.ok(dry.json().files[0].intervals > 0);
    assert.equal(await sessions(), 0);

    const r = await post(file, analista);
    assert.equal(r.statusCode, 200, r.body);
    const f = r.json().files[0];
    assert.equal(f.meterSerial, sim.serial);
    assert.equal(f.expectedName, name);
    assert.equal(f.duplicate, false);
    assert.ok(f.sessionId > 0);
    const audit = await api.store.db.selectFrom('audit_log').selectAll().where('entity', '=', 'abnt_file').execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, 'user:test-analista');

    const again = await post(file, analista);
    assert.equal(again.json().files[0].duplicate, true);
    assert.equal(await sessions(), 1);

    // The session shows in the session log as an imported reading.
    const s = await api.get(`/api/v1/sessions/${f.sessionId}`, leitura);
    assert.equal(s.statusCode, 200);
    assert.equal(s.json().sequence, 'arquivo');
  });
});

describe('GET /api/v1/sessions/:id/abnt-file', () => {
  test('downloads the same bytes under the §12 name; fk7-crc on request', async () => {
    const id = (await api.store.pool.query('SELECT max(id)::int AS id FROM read_session')).rows[0].id;
    const r = await api.app.inject({
      method: 'GET',
      url: `/api/v1/sessions/${id}/abnt-file`,
      headers: { authorization: `Bearer ${leitura}` },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    assert.equal(r.headers['content-disposition'], `attachment; filename="${name}"`);
    assert.equal(r.headers['x-abnt-file-blocks'], String(blocks.length));
    assert.deepEqual(new Uint8Array(r.rawPayload), file);
    const crc = await api.app.inject({
      method: 'GET',
      url: `/api/v1/sessions/${id}/abnt-file?layout=fk7-crc`,
      headers: { authorization: `Bearer ${leitura}` },
    });
    assert.equal(crc.rawPayload.length, blocks.length * 258);
  });

  test('unknown session 404, bad layout 400, no credentials 401', async () => {
    const auth = { authorization: `Bearer ${leitura}` };
    assert.equal((await api.app.inject({ url: '/api/v1/sessions/999999/abnt-file', headers: auth })).statusCode, 404);
    assert.equal(
      (await api.app.inject({ url: '/api/v1/sessions/1/abnt-file?layout=zip', headers: auth })).statusCode,
      400,
    );
    assert.equal((await api.app.inject({ url: '/api/v1/sessions/1/abnt-file' })).statusCode, 401);
  });
});
