/**
 * Summaries through the API: totals by segment and tag (one or every group) equal to the hand-computed sums of the
 * summary fixture (src/summary/testing.ts), per-range totals with completeness, virtual points left out unless
 * asked, the CSV and XLSX reports, the role needed and malformed input. PGlite only: the SQL is covered on both
 * backends by src/summary/summary.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import ExcelJS from 'exceljs';
import { D1, D2, summaryFixture } from '../src/summary/testing.ts';
import { type ApiHarness, openApi, type Session } from './helpers/api.ts';

let h: ApiHarness;
let leitura: Session;
const URL = '/api/v1/summaries';

before(async () => {
  h = await openApi();
  await summaryFixture(h.store);
  leitura = await h.login('leitura');
});
after(() => h?.close());

type ErrorJson = { error: { code: string; message: string; details: Record<string, unknown> } };
const errorOf = (res: { json(): unknown }) => (res.json() as ErrorJson).error;

function assert400(res: { statusCode: number; json(): unknown }, field: string): void {
  assert.equal(res.statusCode, 400, JSON.stringify(res.json()));
  assert.equal(errorOf(res).code, 'FRONTEIRA_E_VALIDATION');
  assert.equal(errorOf(res).details.field, field, errorOf(res).message);
}

interface Row {
  group: string;
  channel: string;
  period: string;
  energy: number;
  expectedSlots: number;
  missing: number;
  completeness: number;
  estimated: number;
  manual: number;
  substituted: number;
  actual: number;
  points: number;
}
interface SummaryJson {
  by: string;
  name: string | null;
  channels: string[];
  totals: Omit<Row, 'period'>[];
  rows: Row[];
}

const get = async (query: string): Promise<SummaryJson> => {
  const res = await h.get(`${URL}?${query}`, leitura);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as SummaryJson;
};

test('by segment, one segment, daily: the hand-computed sums and the range totals with completeness', async () => {
  const s = await get(`by=segment&name=cativo&resolution=day&from=${D1}&to=${D2}`);
  assert.equal(s.by, 'segment');
  assert.equal(s.name, 'cativo');
  assert.deepEqual(
    s.rows.map((r) => `${r.group}/${r.channel}/${r.period}`),
    [`cativo/C/${D1}`, `cativo/C/${D2}`, `cativo/G/${D1}`, `cativo/G/${D2}`],
  );
  const c1 = s.rows[0];
  assert.equal(c1.energy, 288 + 864);
  assert.equal(c1.substituted, 6);
  const c = s.totals.find((t) => t.channel === 'C')!;
  assert.equal(c.energy, 288 + 864 + 24 + 264 * 2 + 864);
  assert.equal(c.expectedSlots, 1152);
  assert.equal(c.missing, 12);
  assert.equal(c.estimated, 12);
  assert.equal(c.manual, 12);
  assert.equal(c.completeness, 1140 / 1152);
  assert.equal(c.points, 2);
  const g = s.totals.find((t) => t.channel === 'G')!;
  assert.equal(g.energy, 144);
  assert.equal(g.completeness, 0.5);

  const all = await get(`by=segment&from=${D1}&to=${D2}`);
  assert.deepEqual([...new Set(all.rows.map((r) => r.group))], ['cativo', 'livre']);
  // The virtual point (10/slot, livre) is out unless asked for.
  assert.equal(all.totals.find((t) => t.group === 'livre')!.energy, 4 * 288);
  const withVirtual = await get(`by=segment&name=livre&from=${D1}&to=${D2}&includeVirtual=true`);
  assert.equal(withVirtual.totals[0].energy, 4 * 288 + 2 * 10 * 288);
});

test('by tag (one or all), monthly and hourly, channel filter', async () => {
  const sul = await get(`by=tag&name=sul&resolution=month&from=${D1}&to=${D2}&channels=C`);
  assert.deepEqual(sul.channels, ['C']);
  assert.deepEqual(
    sul.rows.map((r) => `${r.group}/${r.channel}/${r.period}`),
    ['sul/C/2024-03'],
  );
  // P2 (sul) 864 + 864 and P3 (sul) 4 × 288 on day 2.
  assert.equal(sul.rows[0].energy, 864 + 864 + 1152);
  const tags = await get(`by=tag&resolution=day&from=${D1}&to=${D1}&channels=c,g`);
  assert.deepEqual([...new Set(tags.rows.map((r) => r.group))].sort(), ['norte', 'sul']);
  assert.ok(tags.rows.every((r) => r.channel === 'C' || r.channel === 'G'));
  const hourly = await get(`by=segment&name=cativo&resolution=hour&from=${D1}&to=${D1}&channels=G`);
  assert.equal(hourly.rows.length, 24);
  assert.equal(hourly.rows[0].period, `${D1}T00:00-03:00`);
  assert.equal(hourly.rows[0].energy, 6);
});

test('CSV and XLSX reports of the same rows', async () => {
  const csv = await h.get(`${URL}?by=segment&name=cativo&from=${D1}&to=${D2}&format=csv`, leitura);
  assert.equal(csv.statusCode, 200, csv.body);
  assert.match(String(csv.headers['content-type']), /text\/csv/);
  assert.match(String(csv.headers['content-disposition']), /resumo_segment_cativo_day_2024-03-01_2024-03-02\.csv/);
  const lines = csv.body
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  assert.equal(lines.length, 1 + 4);
  assert.match(lines[0], /^Segmento;Canal;Unidade;Data;Energia/);
  assert.match(lines[1], /^cativo;C;kWh;01\/03\/2024;1152(;|,)/);

  const xlsx = await h.get(`${URL}?by=segment&name=cativo&from=${D1}&to=${D2}&format=xlsx`, leitura);
  assert.equal(xlsx.statusCode, 200);
  assert.match(String(xlsx.headers['content-type']), /spreadsheetml/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const texts: string[] = [];
  wb.eachSheet((ws) => {
    ws.eachRow((row) => {
      texts.push(row.values ? JSON.stringify(row.values) : '');
    });
  });
  assert.ok(
    texts.some((t) => t.includes('cativo') && t.includes('1152')),
    texts.slice(0, 5).join('\n'),
  );
});

test('needs a login (any role); malformed input answers 400 naming the field', async () => {
  const q = `by=segment&from=${D1}&to=${D2}`;
  assert.equal((await h.get(`${URL}?${q}`)).statusCode, 401);
  const token = await h.token('leitura');
  assert.equal((await h.get(`${URL}?${q}`, token)).statusCode, 200);
  assert400(await h.get(`${URL}?from=${D1}&to=${D2}`, leitura), 'query.by');
  assert400(await h.get(`${URL}?by=point&from=${D1}&to=${D2}`, leitura), 'query.by');
  assert400(await h.get(`${URL}?${q}&name=mercado`, leitura), 'query.name');
  assert400(await h.get(`${URL}?${q}&resolution=week`, leitura), 'query.resolution');
  assert400(await h.get(`${URL}?${q}&format=pdf`, leitura), 'query.format');
  assert400(await h.get(`${URL}?${q}&channels=X`, leitura), 'query.channels');
  assert400(await h.get(`${URL}?${q}&channels=C;DROP`, leitura), 'query.channels');
  assert400(await h.get(`${URL}?${q}&includeVirtual=talvez`, leitura), 'query.includeVirtual');
  assert400(await h.get(`${URL}?by=segment&from=${D1}`, leitura), 'query.to');
  assert400(await h.get(`${URL}?by=segment&from=2024-02-30&to=${D2}`, leitura), 'query.from');
  assert400(await h.get(`${URL}?by=segment&from=${D2}&to=${D1}`, leitura), 'query.to');
  assert400(await h.get(`${URL}?by=segment&resolution=hour&from=2024-01-01&to=2024-12-31`, leitura), 'query.to');
  assert400(await h.get(`${URL}?by=tag&name=${'x'.repeat(51)}&from=${D1}&to=${D2}`, leitura), 'query.name');
});
