/**
 * `fronteira report …` in-process on one PGlite store (the report code itself is tested on both backends in
 * src/reports/store.test.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cliRunner } from '../../test/helpers/cli.ts';
import { openPgliteStore } from '../../test/helpers/stores.ts';
import { CODE_A, CODE_B, type ReportFixture, seedReportStore } from '../reports/fixture-store.ts';
import { checkPdf, parseCsv, readXlsx, sheetRows } from '../reports/test-support.ts';
import type { Store } from '../store/pool.ts';
import { buildProgram } from './main.ts';
import { registerReport } from './report.ts';

const dir = mkdtempSync(join(tmpdir(), 'fronteira-report-cli-'));
let store: Store;
let fx: ReportFixture;

before(async () => {
  store = await openPgliteStore();
  fx = await seedReportStore(store);
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const report = cliRunner('report', registerReport, () => store).run;

test('registered in the fronteira program', () => {
  const cmd = buildProgram().commands.find((c) => c.name() === 'report');
  assert.ok(cmd, 'report command');
  assert.deepEqual(
    cmd.commands.map((c) => c.name()),
    ['compare', 'completeness', 'energy', 'series'],
  );
});

test('compare PDF for points named by code', async () => {
  const file = join(dir, 'cmp.pdf');
  const r = await report(
    'compare',
    '--points',
    `${CODE_A},${CODE_B}`,
    '--from',
    fx.day1,
    '--to',
    fx.day2,
    '--format',
    'pdf',
    '--out',
    file,
  );
  assert.equal(r.code, 0, r.error?.message);
  assert.match(r.out, /wrote .*cmp\.pdf: compare report, pdf, 2 point\(s\)/);
  const c = checkPdf(readFileSync(file));
  assert.ok(c.pages >= 2);
  assert.match(c.text, /Subestação Ação/);
});

test('completeness XLSX by tag, days as dd/mm/aaaa', async () => {
  const file = join(dir, 'comp.xlsx');
  const br = (d: string) => `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;
  const r = await report(
    'completeness',
    '--tag',
    'relatorio',
    '--from',
    br(fx.day1),
    '--to',
    br(fx.day2),
    '--format',
    'xlsx',
    '--out',
    file,
  );
  assert.equal(r.code, 0, r.error?.message);
  const rows = sheetRows(await readXlsx(readFileSync(file)), 'Por dia');
  assert.equal(rows.length, 1 + 2 * 2);
});

test('energy CSV for one channel', async () => {
  const file = join(dir, 'en.csv');
  const r = await report(
    'energy',
    '--points',
    CODE_B,
    '--from',
    fx.day1,
    '--to',
    fx.day1,
    '--format',
    'csv',
    '--channel',
    'C',
    '--out',
    file,
  );
  assert.equal(r.code, 0, r.error?.message);
  const rows = parseCsv(readFileSync(file));
  assert.equal(rows.length, 1 + 24);
  assert.ok(rows.slice(1).every((x) => x[3] === 'C'));
});

test('bad arguments name the flag and write no file', async () => {
  const file = join(dir, 'bad.pdf');
  const cases: [string[], string][] = [
    [['series', '--points', CODE_A, '--from', fx.day1, '--to', fx.day1, '--format', 'pdf', '--out', file], '--format'],
    [['energy', '--points', CODE_A, '--from', fx.day1, '--to', fx.day1, '--out', file], '--format'],
    [['energy', '--points', CODE_A, '--from', fx.day2, '--to', fx.day1, '--format', 'pdf', '--out', file], '--to'],
    [
      ['energy', '--points', 'SPNAOEXISTE01', '--from', fx.day1, '--to', fx.day1, '--format', 'pdf', '--out', file],
      '--points',
    ],
    [['energy', '--from', fx.day1, '--to', fx.day1, '--format', 'pdf', '--out', file], '--points'],
    [['energy', '--tag', 'nenhuma', '--from', fx.day1, '--to', fx.day1, '--format', 'pdf', '--out', file], '--tag'],
    [
      [
        'energy',
        '--points',
        CODE_A,
        '--from',
        fx.day1,
        '--to',
        fx.day1,
        '--format',
        'pdf',
        '--channel',
        'X',
        '--out',
        file,
      ],
      '--channel',
    ],
    [['energy', '--points', CODE_A, '--from', fx.day1, '--to', fx.day1, '--format', 'pdf'], '--out'],
  ];
  for (const [args, flag] of cases) {
    const r = await report(...args);
    assert.equal(r.code, 2, args.join(' '));
    const d = r.error?.details as { field?: string; flag?: string };
    assert.equal(d.field ?? d.flag, flag, `${args.join(' ')}: ${r.error?.message}`);
  }
  assert.equal(existsSync(file), false);
});
