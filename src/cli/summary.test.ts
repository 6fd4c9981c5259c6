/**
 * `fronteira summary` run in-process against one throwaway PGlite store holding the summary fixture
 * (src/summary/testing.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { type CliResult, cliRunner } from '../../test/helpers/cli.ts';
import { openPgliteStore } from '../../test/helpers/stores.ts';
import type { Store } from '../store/pool.ts';
import type { Summary } from '../summary/summary.ts';
import { D1, D2, summaryFixture } from '../summary/testing.ts';
import { buildProgram } from './main.ts';
import { registerSummary } from './summary.ts';

const dir = mkdtempSync(join(tmpdir(), 'fronteira-summary-cli-'));
let store: Store;

before(async () => {
  store = await openPgliteStore();
  await summaryFixture(store);
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = cliRunner('summary', registerSummary, () => store);
const summary = cli.run;

async function ok(...args: string[]): Promise<CliResult> {
  const r = await summary(...args);
  assert.equal(r.code, 0, `summary ${args.join(' ')}: ${r.err}`);
  return r;
}

test('the command is registered in main', () => {
  assert.ok(buildProgram().commands.some((c) => c.name() === 'summary'));
});

test('table: monthly by segment', async () => {
  const { out } = await ok('--by', 'segment', '--resolution', 'month', '--from', D1, '--to', D2);
  assert.match(out, /^Resumo mensal por segmento, 2024-03-01 a 2024-03-02, canais C, G, QC, QG\n/);
  assert.match(out, /cativo\s+C\s+2024-03\s+2568,000 kWh\s+98,96%\s+1152\s+1110\s+6\s+12\s+12\s+12\s+2\/2/);
  assert.match(out, /cativo\s+G\s+2024-03\s+144,000 kWh\s+50,00%/);
  assert.match(out, /livre\s+C\s+2024-03\s+1152,000 kWh/);
});

test('json, --include-virtual and --channel', async () => {
  const { out } = await ok(
    ...['--by', 'tag:sul', '--resolution', 'day', '--from', '01/03/2024', '--to', D2],
    ...['--channel', 'c', '--include-virtual', '--format', 'json'],
  );
  const s = JSON.parse(out) as Omit<Summary, 'by'> & { by: string };
  assert.equal(s.by, 'tag:sul');
  assert.deepEqual(s.channels, ['C']);
  assert.deepEqual(
    s.rows.map((r) => [r.period, r.energy, r.points]),
    [
      [D1, 864 + 2880, 2],
      [D2, 864 + 1152 + 2880, 3],
    ],
  );
});

test('csv to standard output and to a file; xlsx to a file', async () => {
  const { out } = await ok('--by', 'segment', '--from', D1, '--to', D1, '--format', 'csv');
  const rec = parse(out, { delimiter: ';', bom: true }) as string[][];
  assert.equal(rec[0][0], 'Segmento');
  assert.deepEqual(rec[1].slice(0, 5), ['cativo', 'C', 'kWh', '01/03/2024', '1152']);
  const csvFile = join(dir, 's.csv');
  const r = await ok('--by', 'segment', '--from', D1, '--to', D1, '--format', 'csv', '--out', csvFile);
  assert.match(r.err, /2 linhas em/);
  assert.equal(readFileSync(csvFile, 'utf8'), out);
  const xlsx = join(dir, 's.xlsx');
  await ok('--by', 'tag', '--resolution', 'hour', '--from', D2, '--to', D2, '--format', 'xlsx', '--out', xlsx);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(xlsx);
  const ws = wb.getWorksheet('Resumo')!;
  // norte C, norte G, sul C: 24 hours each.
  assert.equal(ws.rowCount, 1 + 3 * 24);
  assert.equal(ws.getRow(2).getCell(4).value, `${D2}T00:00-03:00`);
});

test('argument errors name the flag and open no store', async () => {
  const cases: [string[], RegExp][] = [
    [['--from', D1, '--to', D2], /--by is required/],
    [['--by', 'mercado', '--from', D1, '--to', D2], /--by: 'mercado' is not segment, tag or tag:NAME/],
    [['--by', 'segment', '--from', D2, '--to', D1], /--to: .* is before --from/],
    [['--by', 'segment', '--from', D1, '--to', D2, '--channel', 'X'], /--channel: 'X' is not one of/],
    [['--by', 'segment', '--from', D1, '--to', D2, '--resolution', 'week'], /--resolution: 'week'/],
    [['--by', 'segment', '--from', D1, '--to', D2, '--format', 'xlsx'], /--format xlsx needs --out FILE/],
    [['--by', 'segment', '--from', D1, '--to', D2, '--out', 'x.csv'], /--out goes with --format csv or xlsx/],
  ];
  for (const [args, re] of cases) {
    const r = await summary(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.error?.code, 'FRONTEIRA_E_CLI_ARGUMENT', args.join(' '));
    assert.match(r.err, re);
  }
  assert.equal(existsSync(join(dir, 'x.csv')), false);
});
