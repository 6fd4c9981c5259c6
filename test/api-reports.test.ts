/**
 * GET /api/v1/reports/:kind — downloads streamed with Content-Disposition, input checks naming the field. PGlite
 * only (the report code runs on both backends in src/reports/store.test.ts; this file tests the route).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CODE_A, CODE_B, type ReportFixture, seedReportStore } from '../src/reports/fixture-store.ts';
import { checkPdf, parseCsv, readXlsx, sheetRows } from '../src/reports/test-support.ts';
import { type ApiHarness, openApi, type Session } from './helpers/api.ts';

let h: ApiHarness;
let leitura: Session;
let fx: ReportFixture;

before(async () => {
  h = await openApi();
  fx = await seedReportStore(h.store);
  leitura = await h.login('leitura');
});
after(() => h?.close());

const url = (kind: string, q: Record<string, string>) => `/api/v1/reports/${kind}?${new URLSearchParams(q)}`;

function assertError(res: { statusCode: number; json(): unknown }, status: number, field: string): void {
  assert.equal(res.statusCode, status, JSON.stringify(res.json()));
  const e = (res.json() as { error: { details: { field?: string }; message: string } }).error;
  assert.equal(e.details.field, field, e.message);
}

test('needs a login; leitura may download', async () => {
  const q = { format: 'pdf', points: CODE_A, from: fx.day1, to: fx.day1 };
  assert.equal((await h.get(url('energy', q))).statusCode, 401);
  assert.equal((await h.get(url('energy', q), leitura)).statusCode, 200);
});

test('compare PDF: attachment named by kind and period, opens with poppler', async () => {
  const res = await h.get(
    url('compare', { format: 'pdf', points: `${CODE_A},${CODE_B}`, from: fx.day1, to: fx.day2 }),
    leitura,
  );
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'application/pdf');
  assert.equal(
    res.headers['content-disposition'],
    `attachment; filename="relatorio_comparacao_${fx.day1}_${fx.day2}.pdf"`,
  );
  const c = checkPdf(res.rawPayload);
  assert.ok(c.pages >= 2 && c.pngBytes > 5_000, `${c.pages} pages, png ${c.pngBytes}`);
  assert.match(c.text, /Comparação medidor principal × retaguarda/);
  assert.match(c.text, /etiqueta|pontos SPRELATORIO01, SPRELATORIO02/);
});

test('completeness XLSX by tag: one row per point-day', async () => {
  const res = await h.get(
    url('completeness', { format: 'xlsx', tag: 'relatorio', from: fx.day1, to: fx.day2 }),
    leitura,
  );
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /spreadsheetml/);
  const rows = sheetRows(await readXlsx(res.rawPayload), 'Por dia');
  assert.equal(rows.length, 1 + 4);
  const a1 = rows.find((r) => r[0] === CODE_A && (r[2] as Date).toISOString().startsWith(fx.day1));
  assert.deepEqual(a1?.slice(3, 6), [288, 285, 3]);
  const gaps = sheetRows(await readXlsx(res.rawPayload), 'Faltantes');
  assert.equal(gaps.length, 1 + 1);
  assert.deepEqual([gaps[1][0], gaps[1][1], gaps[1][5]], [CODE_A, '40000001', 3]);
  // Wall time of the first missing interval's end (slot 10 ends 00:55).
  assert.equal((gaps[1][3] as Date).toISOString(), `${fx.day1}T00:55:00.000Z`);
});

test('energy CSV of one channel; series CSV', async () => {
  const res = await h.get(
    url('energy', { format: 'csv', points: CODE_B, from: fx.day1, to: fx.day2, channel: 'C' }),
    leitura,
  );
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /text\/csv/);
  assert.equal(parseCsv(res.rawPayload).length, 1 + 2 * 24);
  const series = await h.get(url('series', { format: 'csv', points: CODE_B, from: fx.day1, to: fx.day1 }), leitura);
  assert.equal(series.statusCode, 200, series.body);
  assert.ok(parseCsv(series.rawPayload).length > 288);
});

test('bad input: 400 naming the field; unknown points and tags 404', async () => {
  const q = { format: 'pdf', points: CODE_A, from: fx.day1, to: fx.day1 };
  assertError(await h.get(url('bills', q), leitura), 400, 'params.kind');
  assertError(await h.get(url('energy', { ...q, format: 'docx' }), leitura), 400, 'query.format');
  assertError(await h.get(url('series', q), leitura), 400, 'query.format');
  assertError(await h.get(url('energy', { ...q, from: '2026-02-30' }), leitura), 400, 'query.from');
  assertError(await h.get(url('energy', { ...q, from: fx.day2 }), leitura), 400, 'query.to');
  assertError(await h.get(url('energy', { ...q, from: '2025-01-01', to: '2025-12-31' }), leitura), 400, 'query.to');
  assertError(await h.get(url('energy', { ...q, points: 'curto' }), leitura), 400, 'query.points');
  assertError(await h.get(url('energy', { ...q, channel: 'X' }), leitura), 400, 'query.channel');
  const { points: _, ...noPoints } = q;
  assertError(await h.get(url('energy', noPoints), leitura), 400, 'query.points');
  assertError(await h.get(url('energy', { ...q, points: 'SPNAOEXISTE01' }), leitura), 404, 'query.points');
  assertError(await h.get(url('energy', { ...noPoints, tag: 'nenhuma' }), leitura), 404, 'query.tag');
});

test('over real HTTP the file arrives streamed (chunked) and complete', async () => {
  const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const res = await fetch(
      `${address}${url('energy', { format: 'pdf', tag: 'relatorio', from: fx.day1, to: fx.day2 })}`,
      {
        headers: { cookie: leitura.cookie },
      },
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.subarray(0, 5).toString(), '%PDF-');
    assert.match(body.subarray(-8).toString(), /%%EOF/);
  } finally {
    await h.app.server.close();
  }
});
