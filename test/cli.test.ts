/**
 * The `fronteira` command as a user runs it: `simulate` in one process, `read` in another, over real sockets.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/fronteira.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fronteira-cli-'));
const basePort = 20_000 + Math.floor(Math.random() * 10_000);
let sim: ChildProcess;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

before(async () => {
  sim = spawn(
    process.execPath,
    [
      BIN,
      'simulate',
      '--meters',
      '3',
      '--base-port',
      String(basePort),
      '--seed',
      '77',
      '--registry',
      join(dir, 'registry.json'),
      '--ground-truth',
      join(dir, 'truth.json'),
      '--truth-days',
      '1',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    sim.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Press Ctrl+C')) resolve();
    });
    sim.once('exit', (code) => reject(new Error(`simulate exited early with ${code}: ${out}`)));
  });
});

after(() => {
  sim.kill('SIGINT');
});

test('simulate writes a registry that names every meter and its address', () => {
  const reg = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8'));
  assert.equal(reg.meters.length, 3);
  assert.deepEqual(
    reg.meters.map((m: { address: string }) => m.address),
    [0, 1, 2].map((i) => `tcp://127.0.0.1:${basePort + i}`),
  );
  for (const m of reg.meters) {
    assert.match(m.serial, /^\d{8}$/);
    assert.match(m.pointCode, /^[A-Z0-9]{13}$/);
    assert.ok(['principal', 'retaguarda'].includes(m.role));
  }
});

test('read prints the report, and --json / --raw agree with the ground truth', async () => {
  const text = await run(['read', `tcp://127.0.0.1:${basePort}`, '--sequence', 'memoria', '--days', '1']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Result {8}OK/);
  assert.match(text.stdout, /Completeness 288 of 288 announced intervals \(100\.0%\)/);
  assert.match(text.stdout, /Clock {9}meter .* drift [+-]?\d+ s/);

  const raw = join(dir, 'frames.jsonl');
  const js = await run([
    'read',
    `tcp://127.0.0.1:${basePort}`,
    '-s',
    'memoria',
    '--hours',
    '6',
    '--json',
    '--raw',
    raw,
  ]);
  assert.equal(js.code, 0, js.stderr);
  const reading = JSON.parse(js.stdout);
  assert.equal(reading.ok, true);
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')).meters[0];
  assert.equal(reading.meterSerial, truth.serial);
  const g0 = reading.groups[0];
  assert.equal(g0.massMemory.intervals.length, 72);
  // Every interval the CLI read that the truth file also covers has the same pulses.
  const byEnd = new Map<string, number[]>(
    truth.groups[0].ends.map((e: string, i: number) => [e, [0, 1, 2].map((c) => truth.groups[0].pulses[c][i])]),
  );
  let compared = 0;
  for (const iv of g0.massMemory.intervals) {
    const t = byEnd.get(iv.end);
    if (!t) continue;
    assert.deepEqual(iv.pulses, t, iv.end);
    compared++;
  }
  assert.ok(compared >= 60, `compared ${compared}`);
  const frames = readFileSync(raw, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(frames.length >= 4);
  assert.equal(frames[0].dir, 'tx');
  assert.equal(frames[0].hex.length, 132);
  assert.ok(frames.some((f) => f.dir === 'rx' && f.code === '52' && f.hex.length === 516));
});

test('a failed read exits 1 and says at which step and why', async () => {
  const r = await run(['read', 'tcp://127.0.0.1:1', '-s', 'instantaneas']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAILED at step 'connect'/);
  assert.match(r.stdout, /FRONTEIRA_E_TRANSPORT_CONNECT/);
});

test('bad arguments exit 2 with a message naming the argument', async () => {
  const bad = await run(['read', 'tcp://127.0.0.1:1', '--sequence', 'nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /FRONTEIRA_E_SESSION_SEQUENCE.*nope/);
  const addr = await run(['read', '127.0.0.1:4000']);
  assert.equal(addr.code, 2);
  assert.match(addr.stderr, /FRONTEIRA_E_TRANSPORT_URL/);
  const groups = await run(['read', 'tcp://127.0.0.1:1', '--groups', 'x']);
  assert.equal(groups.code, 2);
  assert.match(groups.stderr, /--groups/);
});
