/**
 * `fronteira export …` in-process against one throwaway PGlite store, in order: generate → list → show → a new
 * final version → list --stale → regenerate.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { openPgliteStore } from '../../test/helpers/stores.ts';
import { FronteiraError } from '../domain/errors.ts';
import { GOLDEN_DAY, GOLDEN_POINT, seedExportPoint, supersedeFinal } from '../exports/testing.ts';
import type { Store } from '../store/pool.ts';
import { getCurrentFinals } from '../store/vee-final.ts';
import { registerExport } from './export.ts';

const dir = mkdtempSync(join(tmpdir(), 'fronteira-export-cli-'));
let store: Store;
let pointId = 0;

before(async () => {
  store = await openPgliteStore();
  pointId = (await seedExportPoint(store, GOLDEN_POINT, [GOLDEN_DAY], { tags: ['sul'] })).pointId;
  await seedExportPoint(store, 'SPOTHER000002', [GOLDEN_DAY], { serial: '77' });
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  out: string;
  err: string;
}

async function cli(...args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const program = new Command('fronteira').exitOverride();
  program.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerExport(program, {
    withStore: (_flags, fn) => fn(store),
    out: (s) => (out += s),
    err: (s) => (err += s),
    progress: false,
  });
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'fronteira', ...args]);
    return { code: Number(process.exitCode ?? 0), out, err };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode, out, err: err + e.message };
    if (e instanceof FronteiraError) return { code: 2, out, err: `${err}error [${e.code}]: ${e.message}` };
    throw e;
  } finally {
    process.exitCode = before;
  }
}

let firstId = 0;

test('export xml writes files for a tag and prints where they are', async () => {
  const r = await cli('export', 'xml', '--layout', 'ccee-5min', '--from', '26/11/2026', '--tag', 'sul', '--out', dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /ccee-5min 2026-11-26\.\.2026-11-26: 1 point\(s\), 1 file\(s\) produced/);
  const m = /#(\d+) (\S+) {2}sha256 ([0-9a-f]{64})/.exec(r.out);
  assert.ok(m, r.out);
  firstId = Number(m[1]);
  assert.ok(existsSync(m[2]));
  assert.ok(m[2].startsWith(join(dir, 'ccee-5min', GOLDEN_DAY)));
});

test('export xml --json for explicit points; unknown codes and bad arguments are errors', async () => {
  const r = await cli(
    'export',
    'xml',
    '--layout',
    'ccee-hourly',
    '--from',
    GOLDEN_DAY,
    '--points',
    `SPOTHER000002,${GOLDEN_POINT}`,
    '--out',
    dir,
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.produced.length, 2);
  const bad = await cli(
    'export',
    'xml',
    '--layout',
    'ccee-5min',
    '--from',
    GOLDEN_DAY,
    '--points',
    'SPNOPE0000001',
    '--out',
    dir,
  );
  assert.equal(bad.code, 2);
  assert.match(bad.err, /SPNOPE0000001/);
  const both = await cli('export', 'xml', '--layout', 'ccee-5min', '--from', GOLDEN_DAY, '--points', 'X', '--tag', 'y');
  assert.match(both.err, /not both/);
  const layout = await cli('export', 'xml', '--layout', 'nope', '--from', GOLDEN_DAY, '--out', dir);
  assert.match(layout.err, /unknown layout 'nope'/);
});

test('export list and show', async () => {
  const r = await cli('export', 'list', '--layout', 'ccee-5min');
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    new RegExp(`#${firstId}  ccee-5min +${GOLDEN_POINT} 2026-11-26 +ok +CCEE5MIN_${GOLDEN_POINT}_20261126_`),
  );
  assert.match(r.out, /1 file\(s\)/);
  const s = await cli('export', 'show', String(firstId));
  assert.match(s.out, /sha256 +[0-9a-f]{64}/);
  assert.match(s.out, new RegExp(`final #\\d+ 2026-11-26 quantity 1 v1 current locked by export:${firstId}`));
  const missing = await cli('export', 'show', '99999');
  assert.match(missing.err, /export 99999 does not exist/);
});

test('a new final version: list --stale shows the file, regenerate writes the corrected one', async () => {
  const [c] = await getCurrentFinals(store.db, [pointId], GOLDEN_DAY, GOLDEN_DAY, [1]);
  await supersedeFinal(store, c, 3, 123.25);
  const stale = await cli('export', 'list', '--stale', '--json');
  const ids = JSON.parse(stale.out).items.map((i: { id: number }) => i.id);
  assert.ok(ids.includes(firstId));
  const r = await cli('export', 'regenerate', String(firstId), '--out', dir);
  assert.equal(r.code, 0, r.err);
  const m = /#(\d+) (\S+) {2}sha256/.exec(r.out);
  assert.ok(m, r.out);
  assert.match(readFileSync(m[2], 'utf8'), /<valor>123\.25<\/valor>/);
  const show = await cli('export', 'show', String(firstId));
  assert.match(show.out, new RegExp(`replaced by #${m[1]}`));
  assert.match(show.out, /v1 SUPERSEDED/);
  const again = await cli('export', 'regenerate', String(firstId), '--out', dir);
  assert.match(again.err, /already regenerated/);
});

test('export layouts lists both default layouts', async () => {
  const r = await cli('export', 'layouts');
  assert.match(r.out, /^ccee-5min +point-day /m);
  assert.match(r.out, /^ccee-hourly +point-range /m);
});
