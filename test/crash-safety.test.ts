/**
 * Crash safety: the collector is killed with SIGKILL while it ingests; after a restart the interrupted jobs run
 * again, every day block is whole (no partial rows: filled = actual flags = non-null values), nothing is duplicated,
 * and the stored values equal the simulator's ground truth.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COLLECT_QUEUE } from '../src/collect/queue.ts';
import { addDays, instantToWall, operatingDayOfIntervalEnd, operatingDayStart } from '../src/domain/time.ts';
import { makeFleet, meterFromSpec } from '../src/simulator/fleet-config.ts';
import { openStore } from '../src/store/pool.ts';

const CHILD = fileURLToPath(new URL('./fixtures/collect-child.ts', import.meta.url));
const METERS = 30;

function runChild(args: string[], onLine: (line: string, kill: () => void) => void): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        onLine(buf.slice(0, nl), () => child.kill('SIGKILL'));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
    });
    child.on('exit', (code, signal) => resolve(signal === 'SIGKILL' ? -9 : code));
  });
}

test('kill -9 during ingest, restart: interrupted jobs resume, no partial or duplicate data', {
  timeout: 240_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fronteira-crash-'));
  const dataDir = join(dir, 'pglite');
  const basePort = 30_000 + Math.floor(Math.random() * 10_000);
  const wall = instantToWall(Date.now());
  const fleetNow = wall - (wall % 86_400_000);
  const args = [dataDir, String(basePort), String(METERS)];

  let killedAfter = 0;
  const first = await runChild([...args, 'enqueue', String(fleetNow)], (line, kill) => {
    // Kill as soon as the first chunk is committed: other chunks are mid-read or mid-ingest.
    if (line.startsWith('chunk ') && killedAfter === 0) {
      killedAfter = Number(line.slice(6));
      kill();
    }
  });
  assert.equal(first, -9, 'the first run was killed');
  assert.ok(killedAfter >= 1);

  const second = await runChild([...args, 'resume', String(fleetNow)], () => {});
  assert.equal(second, 0, 'the restarted engine drained the queue');

  const store = await openStore({ dataDir });
  try {
    const jobs = await store.pool.query(
      `SELECT state, retry_count FROM pgboss.job WHERE name = $1 ORDER BY created_on`,
      [COLLECT_QUEUE],
    );
    assert.equal(jobs.rows.length, METERS / 5);
    assert.ok(
      jobs.rows.every((j) => j.state === 'completed'),
      JSON.stringify(jobs.rows),
    );
    assert.ok(
      jobs.rows.some((j) => j.retry_count > 0),
      'at least one interrupted job ran again',
    );

    // Whole rows only: the per-row counters agree with the slots.
    const rows = await store.pool.query(`SELECT meter_id, channel, day, slots, filled, value, flags FROM interval_raw`);
    for (const r of rows.rows) {
      const actual = [...(r.flags as Uint8Array).subarray(0, r.slots)].filter((f) => f & 1).length;
      const values = (r.value as (number | null)[]).filter((v) => v !== null).length;
      assert.equal(actual, r.filled, `row ${r.meter_id}/${r.channel}/${r.day}`);
      assert.equal(values, r.filled, `row ${r.meter_id}/${r.channel}/${r.day}`);
    }
    // Yesterday is complete for every meter and channel, and equals the ground truth.
    const yesterday = addDays(operatingDayOfIntervalEnd(Date.now()), -1);
    const spec = makeFleet({ meters: METERS, seed: 5, basePort, now: fleetNow });
    const meters = await store.pool.query(`SELECT id, serial FROM meter`);
    const bySerial = new Map(meters.rows.map((m) => [m.serial as string, m.id as number]));
    let compared = 0;
    for (const ms of spec.meters) {
      ms.config.outages = [];
      const sim = meterFromSpec(ms);
      const meterId = bySerial.get(ms.serial)!;
      const day = await store.pool.query(
        `SELECT channel, filled, slots, value FROM interval_raw WHERE meter_id = $1 AND day = $2 ORDER BY channel`,
        [meterId, yesterday],
      );
      assert.ok(day.rows.length >= 3, `meter ${ms.serial} has yesterday's channels`);
      const start = operatingDayStart(yesterday);
      const truth = sim.groundTruth(0, instantToWall(start + 300_000), instantToWall(start + 288 * 300_000));
      for (const r of day.rows.filter((x) => x.channel <= 3)) {
        assert.equal(r.filled, r.slots, `meter ${ms.serial} ch${r.channel} complete`);
        (r.value as number[]).forEach((v, k) => {
          assert.ok(Math.abs(v - truth.energy[r.channel - 1][k]) < 1e-9, `meter ${ms.serial} ch${r.channel} slot ${k}`);
          compared++;
        });
      }
    }
    assert.equal(compared, METERS * 3 * 288);
    // No duplicates: one block per meter, channel and day; a re-run job re-read meters already committed, and the
    // merge found the same values (no conflict events) instead of adding anything.
    const dupBlocks = await store.pool.query(
      `SELECT meter_id, channel, day FROM interval_raw GROUP BY meter_id, channel, day HAVING count(*) > 1`,
    );
    assert.deepEqual(dupBlocks.rows, []);
    const conflicts = await store.pool.query(`SELECT count(*)::int AS n FROM meter_event WHERE kind = 'conflict'`);
    assert.equal(conflicts.rows[0].n, 0);
    const orphanFrames = await store.pool.query(
      `SELECT count(*)::int AS n FROM read_session s LEFT JOIN read_session_frames f ON f.session_id = s.id
        WHERE f.session_id IS NULL AND s.status <> 'running'`,
    );
    assert.equal(orphanFrames.rows[0].n, 0, 'every stored session has its frames');
  } finally {
    await store.close();
  }
});
