/**
 * The registry commands as a user runs them: each `fronteira …` is its own process on one embedded store directory.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeFleet, registryFile } from '../simulator/fleet-config.ts';

const BIN = fileURLToPath(new URL('../../bin/fronteira.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fronteira-registry-cli-'));
const dataDir = join(dir, 'store');

after(() => rmSync(dir, { recursive: true, force: true }));

function fronteira(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    execFile(
      process.execPath,
      [BIN, ...args, '--data-dir', dataDir],
      { timeout: 120_000, env },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: number }).code : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

test('registry import of a simulator file, then point and meter lists as JSON; a second import changes nothing', async () => {
  const file = registryFile(makeFleet({ meters: 6, seed: 11, basePort: 26_000 }));
  const path = join(dir, 'registry.json');
  writeFileSync(path, JSON.stringify(file));
  const imported = await fronteira(['registry', 'import', path]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(
    imported.stdout,
    new RegExp(`points ${file.points.length} created.*meters 6 created.*channels 6 created`),
  );

  const points = await fronteira(['point', 'list', '--json']);
  assert.equal(points.code, 0, points.stderr);
  const listed = JSON.parse(points.stdout);
  assert.equal(listed.total, file.points.length);
  assert.deepEqual(listed.points.map((p: { code: string }) => p.code).sort(), file.points.map((p) => p.code).sort());

  const meters = await fronteira(['meter', 'list', '--json']);
  const ms = JSON.parse(meters.stdout).meters as { serial: string; point_code: string }[];
  assert.deepEqual(
    ms.map((m) => `${m.point_code}/${m.serial}`).sort(),
    file.meters.map((m) => `${m.pointCode}/${m.serial}`).sort(),
  );

  const again = await fronteira(['registry', 'import', path]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /points 0 created, 0 updated, \d+ unchanged; meters 0 created, 0 updated, 6 unchanged/);
});

test('point, meter and channel commands; readable tables; swap and export', async () => {
  const add = await fronteira([
    'point',
    'add',
    'spcli00000001',
    '--name',
    'Ponto CLI',
    '--kind',
    'fronteira',
    '--segment',
    'cativo',
    '--voltage-kv',
    '13,8',
  ]);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /Point SPCLI00000001 registered/);
  const meter = await fronteira([
    'meter',
    'add',
    '7001',
    '--point',
    'SPCLI00000001',
    '--role',
    'principal',
    '--valid-from',
    '01/01/2024',
    '--address',
    'tcp://10.0.0.9:4001',
  ]);
  assert.equal(meter.code, 0, meter.stderr);
  const swap = await fronteira(['meter', 'swap', '7001', '7002', '--at', '01/06/2025 08:00']);
  assert.equal(swap.code, 0, swap.stderr);
  assert.match(
    swap.stdout,
    /Meter 7001 replaced by 7002 \(principal\) at 01\/06\/2025 08:00; 1 channel\(s\): tcp:\/\/10\.0\.0\.9:4001/,
  );
  const show = await fronteira(['point', 'show', 'SPCLI00000001']);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /Voltage kV {2}13,8/);
  assert.match(show.stdout, /SERIAL +ROLE +VALID FROM/);
  assert.match(show.stdout, /7001 +principal +01\/01\/2024 00:00 +01\/06\/2025 08:00/);
  const channels = await fronteira(['channel', 'list', '--meter', '7002']);
  assert.match(channels.stdout, /tcp:\/\/10\.0\.0\.9:4001 +tcp:\/\/10\.0\.0\.9:4001 +000001/);
  const exported = await fronteira(['registry', 'export']);
  assert.equal(exported.code, 0, exported.stderr);
  assert.ok(exported.stdout.startsWith('\uFEFFcodigo_ponto;'));
  assert.match(
    exported.stdout,
    /SPCLI00000001;Ponto CLI;fronteira;cativo;;;13,8;.*;7001;principal;.*01\/06\/2025 08:00/,
  );
  const audit = await fronteira(['registry', 'audit', '--entity', 'meter', '--json']);
  assert.deepEqual(
    JSON.parse(audit.stdout)
      .map((a: { action: string }) => a.action)
      .slice(0, 2),
    ['create', 'swap'],
  );
});

test('bad input exits 2 with the typed error naming the option, or every bad line of a file', async () => {
  const bad = await fronteira([
    'point',
    'add',
    'SPCLI00000009',
    '--name',
    'X',
    '--kind',
    'fronteira',
    '--segment',
    'cativo',
    '--voltage-kv',
    '-1',
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /error \[FRONTEIRA_E_VALIDATION\]: --voltage-kv: must be above 0/);
  const missing = await fronteira(['meter', 'show', '99999']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /FRONTEIRA_E_NOT_FOUND.*99999/);

  const csv = join(dir, 'bad.csv');
  writeFileSync(
    csv,
    [
      'codigo_ponto;nome;tipo;segmento;tensao_kv;serie_medidor;papel',
      'SPCLI00000010;A;fronteira;cativo;13,8;8001;principal',
      'SPCLI00000011;B;fronteira;nada;;;',
      'SPCLI00000012;C;fronteira;cativo;x;8002;principal',
    ].join('\n'),
  );
  const before = await fronteira(['registry', 'export']);
  const r = await fronteira(['registry', 'import', csv, '--dry-run']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /FRONTEIRA_E_IMPORT.*bad\.csv rejected, nothing was changed: 2 errors/);
  assert.match(r.stderr, /line 3, column segmento: must be one of cativo/);
  assert.match(r.stderr, /line 4, column tensao_kv: is not a number/);
  const after = await fronteira(['registry', 'export']);
  assert.equal(after.stdout, before.stdout);
  const out = join(dir, 'out.csv');
  assert.equal((await fronteira(['registry', 'export', out])).code, 0);
  assert.equal(readFileSync(out, 'utf8'), before.stdout);
});
