/**
 * `fronteira abnt-file …` in-process on one PGlite store: import a simulated meter's file (dry run, then for real,
 * then again as a duplicate), export the stored session and get the same bytes back, refuse bad files and flags.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cliRunner } from '../../test/helpers/cli.ts';
import { openPgliteStore } from '../../test/helpers/stores.ts';
import { abntFileName } from '../exports/abnt-file/format.ts';
import { sessionBlocks, testMeter, todayWall } from '../exports/abnt-file/testkit.ts';
import { writeAbntFile } from '../exports/abnt-file/write.ts';
import { cmd21, cmd23, cmd26 } from '../protocols/abnt14522/commands/index.ts';
import type { Store } from '../store/pool.ts';
import { insertMeter, insertPoint } from '../store/registry.ts';
import { registerAbntFile } from './abnt-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'fronteira-abnt-file-cli-'));
const sim = testMeter(9);
const now = todayWall() + 7 * 3_600_000;
const blocks = sessionBlocks(sim, now, [
  [cmd21, { group: 0 }],
  [cmd23, {}],
  [cmd26, {}],
]);
const fileBytes = writeAbntFile(blocks);
const name = abntFileName(sim.serial, now);
let store: Store;

before(async () => {
  store = await openPgliteStore();
  const p = await insertPoint(store.db, { code: sim.pointCode, name: 'P', kind: 'fronteira', segment: 'livre' });
  await insertMeter(store.db, p.id, {
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
  writeFileSync(join(dir, name), fileBytes);
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = cliRunner('abnt-file', registerAbntFile, () => store, { actor: () => 'cli:tester' }).run;

async function sessions(): Promise<number> {
  const r = await store.pool.query('SELECT count(*)::int AS n FROM read_session');
  return r.rows[0].n;
}

test('import --dry-run reports and stores nothing', async () => {
  const r = await cli('import', join(dir, name), '--dry-run');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`${name.replace('$', '\\$')}: meter ${sim.serial}`));
  assert.match(r.out, /would store: \d+ values over \d+ day/);
  assert.match(r.out, /dry run: nothing was stored/);
  assert.equal(await sessions(), 0);
});

let sessionId = 0;

test('import stores the reading; a second import is a duplicate', async () => {
  const r = await cli('import', join(dir, name), '--json');
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.dryRun, false);
  assert.equal(report.files.length, 1);
  sessionId = report.files[0].sessionId;
  assert.ok(sessionId > 0);
  assert.ok(report.files[0].intervals > 0);
  const audit = await store.db.selectFrom('audit_log').selectAll().where('entity', '=', 'abnt_file').execute();
  assert.equal(audit.length, 1);
  assert.equal(audit[0].actor, 'cli:tester');
  const again = await cli('import', join(dir, name));
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, new RegExp(`already imported as session ${sessionId}`));
  assert.equal(await sessions(), 1);
});

test('export writes the §12-named file with the same bytes; refuses to overwrite without --force', async () => {
  const out = join(dir, 'out');
  const r = await cli('export', String(sessionId), '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.startsWith(join(out, name)));
  assert.deepEqual(new Uint8Array(readFileSync(join(out, name))), fileBytes);
  const again = await cli('export', String(sessionId), '--out', out);
  assert.equal(again.code, 2);
  assert.equal(again.error?.code, 'FRONTEIRA_E_CONFLICT');
  const forced = await cli('export', String(sessionId), '--out', out, '--force', '--layout', 'fk7-crc', '--json');
  assert.equal(forced.code, 0, forced.err);
  const j = JSON.parse(forced.out);
  assert.equal(j.layout, 'fk7-crc');
  assert.equal(j.size, blocks.length * 258);
  assert.equal(readFileSync(join(out, name)).length, blocks.length * 258);
});

test('bad files: the error names the file, block and offset; nothing stored', async () => {
  const bad = fileBytes.slice(0, fileBytes.length - 10);
  writeFileSync(join(dir, 'bad.fk7'), bad);
  const before = await sessions();
  const r = await cli('import', join(dir, name), join(dir, 'bad.fk7'));
  assert.equal(r.code, 2);
  assert.equal(r.error?.code, 'FRONTEIRA_E_FILE_FORMAT');
  assert.match(r.err, /'bad\.fk7', block \d+ \(offset \d+\): .* only 246 byte/);
  assert.equal(await sessions(), before);
  const other = await cli('import', join(dir, name), '--meter', '12345678');
  assert.equal(other.code, 2);
  assert.equal(other.error?.code, 'FRONTEIRA_E_IMPORT');
});

test('bad arguments', async () => {
  assert.equal((await cli('export', 'x')).error?.code, 'FRONTEIRA_E_CLI_ARGUMENT');
  assert.equal((await cli('export', '1', '--layout', 'zip')).error?.code, 'FRONTEIRA_E_CLI_ARGUMENT');
  assert.equal((await cli('import', join(dir, name), '--packing', 'x')).error?.code, 'FRONTEIRA_E_CLI_ARGUMENT');
  assert.equal((await cli('import', join(dir, 'missing.fk7'))).error?.code, 'FRONTEIRA_E_CLI_ARGUMENT');
  assert.equal((await cli('export', '999999')).error?.code, 'FRONTEIRA_E_NOT_FOUND');
});
