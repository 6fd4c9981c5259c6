/**
 * Ingest benchmark (issue 3): `npm run bench:ingest [-- --meters N] [--batch N] [--rounds N] [--only pglite|postgres]`.
 *
 * Target: interval values/s through the day-block path ≥ 2× a plain COPY of the same values as one row per interval
 * (meter, channel, ts, value, PRIMARY KEY (meter, channel, ts)) into the same database, measured in the same run, on
 * PGlite (data directory on disk, the embedded default) and on PostgreSQL (a throwaway cluster started here).
 *
 * What is measured, per backend, on the same Readings (N meters × 1 channel group = 3 channels × 1 operating day of
 * 5-min intervals, built in memory as readMeter returns them: parameters, timeline, steps with stats, ~2 kB of frames):
 * - `plain COPY`: the values as one row per interval, COPY'd batch by batch (text encoding included), one transaction
 *   per batch — the baseline; and the same in COPY's binary format (into a second identical table). The target is
 *   judged against the FASTER of the two.
 * - `ingest`: ingestReadings() batch by batch, exactly as the collector calls it: sessions, frame blobs, events,
 *   locks, merge and day blocks, one transaction per batch. THE TARGET IS JUDGED ON THIS FIGURE.
 * - `day blocks only`: the internal write path of ingest alone (readingDayBlocks → lockMeters → lockDayBlocks →
 *   merge → writeDayBlocks), for reference.
 * - `blocks via COPY` / `blocks via unnest`: the same day blocks written with each bulk method (preferredMethod).
 * Each round uses a new operating day, so every round writes new rows; figures are medians over rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dayBlockKey, mergeDayBlock, readingDayBlocks } from '../src/collect/day-block.ts';
import { type IngestInput, ingestReadings } from '../src/collect/ingest.ts';
import type { Reading } from '../src/collect/session/reading.ts';
import { Random } from '../src/domain/random.ts';
import { addDays, operatingDayStart, wallToInstant } from '../src/domain/time.ts';
import { visibleChannels } from '../src/protocols/abnt14522/commands/parameters.ts';
import { makeFleet, meterFromSpec } from '../src/simulator/fleet-config.ts';
import { CopyBinary, CopyText, copyInto, insertUnnest, withTransaction } from '../src/store/bulk.ts';
import {
  DAY_BLOCK_COLUMNS,
  type DayBlock,
  lockDayBlocks,
  lockMeters,
  writeDayBlocks,
} from '../src/store/day-blocks.ts';
import { openStore, type Store } from '../src/store/pool.ts';
import type { MeterRow, PointRow } from '../src/store/registry.ts';
import { startCluster } from '../test/helpers/pg-cluster.ts';
import { figure, median, verdict } from './lib/measure.ts';

const TARGET_RATIO = 2;
const ZONE = 'America/Sao_Paulo';
const STEP = 300_000;
const INTERVALS = 288;
/** First benchmark day; round r uses FIRST_DAY + 3r (+1, +2 for the reference parts). */
const FIRST_DAY = '2024-06-03';

interface Fleet {
  inputs: (day: string) => IngestInput[];
}

async function registerFleet(
  store: Store,
  meters: number,
): Promise<{ meters: MeterRow[]; points: Map<number, PointRow> }> {
  await store.pool.query(
    `INSERT INTO metering_point (code, name, kind, segment)
     SELECT 'BENCH' || lpad(i::text, 8, '0'), 'Bench ' || i, 'consumidor_livre', 'livre'
       FROM generate_series(1, $1::int) i`,
    [Math.ceil(meters / 2)],
  );
  await store.pool.query(
    `INSERT INTO meter (point_id, serial, role, channel_map)
     SELECT p.id, lpad(i::text, 8, '0'), CASE WHEN i % 2 = 1 THEN 'principal' ELSE 'retaguarda' END,
            '[{"group":0,"channel":1,"quantityCode":1,"numerator":1,"denominator":100},
              {"group":0,"channel":2,"quantityCode":10,"numerator":1,"denominator":100},
              {"group":0,"channel":3,"quantityCode":11,"numerator":1,"denominator":100}]'::jsonb
       FROM generate_series(1, $1::int) i
       JOIN metering_point p ON p.code = 'BENCH' || lpad(((i + 1) / 2)::text, 8, '0')`,
    [meters],
  );
  const ms = await store.db.selectFrom('meter').selectAll().orderBy('id').execute();
  const ps = await store.db.selectFrom('metering_point').selectAll().execute();
  return { meters: ms, points: new Map(ps.map((p) => [p.id, p])) };
}

/** Readings for every meter: one operating day of group 0, as a 0x51/0x52 window read would return it. */
function fleet(meters: MeterRow[], points: Map<number, PointRow>): Fleet {
  const spec = makeFleet({ meters: 1, seed: 'bench-ingest', faults: 'none' });
  const sim = meterFromSpec(spec.meters[0]);
  const parameters = sim.parameters(0, spec.now + 3_600_000, 'current');
  parameters.constants = [0, 1, 2].map(() => ({ numerator: 1, denominator: 100 }));
  parameters.quantityCodes = [1, 10, 11];
  const channels = visibleChannels(parameters, 0);
  const rnd = new Random('bench-ingest');
  const frameBytes = (len: number) => rnd.bytes(len);
  return {
    inputs(day) {
      const [y, m, d] = day.split('-').map(Number);
      const firstEnd = Date.UTC(y, m - 1, d) + STEP;
      const startedAt = operatingDayStart(addDays(day, 1), ZONE) + 600_000;
      return meters.map((meter, i) => {
        const r = rnd.fork(`${day}:${i}`);
        const values = [0, 1, 2].map(() => {
          const v = new Uint16Array(INTERVALS);
          let x = r.int(100, 3000);
          for (let k = 0; k < INTERVALS; k++) {
            x = Math.max(0, Math.min(4095, x + r.int(-60, 60)));
            v[k] = x;
          }
          return v;
        });
        const t0 = startedAt + i * 10;
        const stats = (code: number, bytesIn: number, blocks: number) => ({
          code,
          startedAt: t0,
          endedAt: t0 + 900,
          bytesIn,
          bytesOut: 66,
          transmissions: 1,
          retries: 0,
          timeouts: 0,
          sequenceBreaks: 0,
          naksSent: 0,
          naksReceived: 0,
          waits: 0,
          reAcks: 0,
          blocks,
        });
        const reading: Reading = {
          address: `tcp://10.0.${i >> 8}.${i & 255}:4001`,
          sequence: 'memoria',
          readerSerial: '000001',
          zone: ZONE,
          startedAt: t0,
          endedAt: t0 + 3000,
          ok: true,
          failure: null,
          meterSerial: meter.serial,
          identity: { model: parameters.model, softwareVersion: parameters.softwareVersion },
          clock: { meterTime: firstEnd + 86_400_000, readerTime: firstEnd + 86_400_000, driftSeconds: 2 },
          groups: [
            {
              group: 0,
              parametersCode: 0x51,
              parameters,
              channels,
              massMemory: {
                source: 'window',
                code: 0x52,
                expectedWords: 3 * INTERVALS,
                partial: false,
                blocks: 6,
                timeline: { intervalSeconds: 300, firstEnd, step: STEP, count: INTERVALS, values, warnings: [] },
              },
              flags: new Uint8Array(INTERVALS),
            },
          ],
          steps: [
            {
              index: 0,
              label: '51 g0 1d',
              code: 0x51,
              startedAt: t0,
              endedAt: t0 + 900,
              status: 'ok',
              blocks: 1,
              stats: stats(0x51, 258, 1),
            },
            {
              index: 1,
              label: '52 g0',
              code: 0x52,
              startedAt: t0 + 900,
              endedAt: t0 + 2900,
              status: 'ok',
              blocks: 6,
              stats: stats(0x52, 6 * 258, 6),
            },
          ],
          frames: [
            { at: t0 + 10, direction: 'tx', step: 0, bytes: frameBytes(66) },
            { at: t0 + 600, direction: 'rx', step: 0, bytes: frameBytes(258) },
            { at: t0 + 910, direction: 'tx', step: 1, bytes: frameBytes(66) },
            ...Array.from({ length: 6 }, (_, k) => ({
              at: t0 + 1200 + 250 * k,
              direction: 'rx' as const,
              step: 1,
              bytes: frameBytes(258),
            })),
          ],
          warnings: [],
        };
        return { meter, point: points.get(meter.point_id)!, channel: null, purpose: 'daily' as const, reading };
      });
    },
  };
}

function batches<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Baseline: the same values as one row per interval, one COPY and one transaction per batch. */
async function plainCopy(store: Store, inputs: IngestInput[], batch: number): Promise<number> {
  let values = 0;
  for (const b of batches(inputs, batch)) {
    await withTransaction(store, async (tx) => {
      const text = new CopyText();
      for (const { meter, reading } of b) {
        const g = reading.groups[0];
        const t = g.massMemory!.timeline;
        const t0 = wallToInstant(t.firstEnd, ZONE);
        for (let c = 0; c < 3; c++) {
          const { numerator, denominator } = g.channels[c].constant;
          const v = t.values[c];
          for (let k = 0; k < t.count; k++) {
            text.line(
              `${meter.id}\t${c + 1}\t${new Date(t0 + k * t.step).toISOString()}\t${(v[k] * numerator) / denominator}`,
            );
          }
        }
      }
      values += await copyInto(tx, 'bench_interval', ['meter', 'channel', 'ts', 'value'], text);
    });
  }
  return values;
}

/** The same baseline in COPY's binary format (no number formatting or parsing), into its own table. */
async function plainCopyBinary(store: Store, inputs: IngestInput[], batch: number): Promise<number> {
  let values = 0;
  for (const b of batches(inputs, batch)) {
    await withTransaction(store, async (tx) => {
      const bin = new CopyBinary();
      for (const { meter, reading } of b) {
        const g = reading.groups[0];
        const t = g.massMemory!.timeline;
        const t0 = wallToInstant(t.firstEnd, ZONE);
        for (let c = 0; c < 3; c++) {
          const { numerator, denominator } = g.channels[c].constant;
          const v = t.values[c];
          for (let k = 0; k < t.count; k++) {
            bin.row(4);
            bin.int8(meter.id);
            bin.int2(c + 1);
            bin.timestamptz(t0 + k * t.step);
            bin.float8((v[k] * numerator) / denominator);
          }
        }
      }
      values += await copyInto(tx, 'bench_interval_bin', ['meter', 'channel', 'ts', 'value'], bin);
    });
  }
  return values;
}

async function ingest(store: Store, inputs: IngestInput[], batch: number): Promise<number> {
  let values = 0;
  for (const b of batches(inputs, batch)) {
    for (const r of await ingestReadings(store, b)) values += r.filledSlots;
  }
  return values;
}

/** The day-block write path of ingest alone (no sessions, frames or events). */
async function dayBlocksOnly(store: Store, inputs: IngestInput[], batch: number): Promise<number> {
  let values = 0;
  for (const b of batches(inputs, batch)) {
    const incoming = b.flatMap(
      ({ meter, reading }) =>
        readingDayBlocks(reading, { meterId: meter.id, intervalS: 300, zone: ZONE, factor: 1, sessionId: null }).blocks,
    );
    await withTransaction(store, async (tx) => {
      await lockMeters(
        tx,
        b.map((i) => i.meter.id),
      );
      const stored = new Map((await lockDayBlocks(tx, incoming)).map((x) => [dayBlockKey(x), x]));
      const out: DayBlock[] = [];
      const replacing: DayBlock[] = [];
      for (const inc of incoming) {
        const had = stored.get(dayBlockKey(inc)) ?? null;
        const m = mergeDayBlock(had, inc);
        values += m.filled;
        if (m.changed) out.push(m.block);
        if (m.changed && had) replacing.push(had);
      }
      await writeDayBlocks(tx, out, replacing);
    });
  }
  return values;
}

const UNNEST_COLUMNS = DAY_BLOCK_COLUMNS.map((name) => ({
  name,
  type:
    name === 'day'
      ? 'date'
      : name === 'value'
        ? 'float8[]'
        : name === 'pulses'
          ? 'int[]'
          : name === 'flags'
            ? 'bytea'
            : name === 'channel' || name === 'slots' || name === 'filled'
              ? 'smallint'
              : name === 'interval_s'
                ? 'int'
                : 'bigint',
}));

/** New day blocks written with one bulk method or the other (no merge: the day is fresh). */
async function blocksVia(
  store: Store,
  inputs: IngestInput[],
  batch: number,
  method: 'copy' | 'unnest',
): Promise<number> {
  let values = 0;
  for (const b of batches(inputs, batch)) {
    const blocks = b.flatMap(
      ({ meter, reading }) =>
        readingDayBlocks(reading, { meterId: meter.id, intervalS: 300, zone: ZONE, factor: 1, sessionId: null }).blocks,
    );
    await withTransaction(store, async (tx) => {
      if (method === 'copy') await writeDayBlocks(tx, blocks);
      else {
        await insertUnnest(
          tx,
          'interval_raw',
          UNNEST_COLUMNS,
          blocks.map((x) => [
            x.meterId,
            x.channel,
            x.day,
            x.intervalS,
            x.slots,
            x.filled,
            x.value,
            Array.from(x.pulses, (p) => (p < 0 ? null : p)),
            x.flags,
            x.firstSession,
            x.lastSession,
          ]),
        );
      }
    });
    for (const x of blocks) values += x.filled;
  }
  return values;
}

async function timed(fn: () => Promise<number>): Promise<{ values: number; perSecond: number; seconds: number }> {
  const t0 = performance.now();
  const values = await fn();
  const seconds = (performance.now() - t0) / 1000;
  return { values, perSecond: values / seconds, seconds };
}

async function runBackend(
  name: 'pglite' | 'postgres',
  store: Store,
  o: { meters: number; batch: number; rounds: number },
): Promise<boolean> {
  for (const table of ['bench_interval', 'bench_interval_bin']) {
    await store.pool.query(
      `CREATE TABLE ${table} (meter bigint, channel smallint, ts timestamptz, value float8, PRIMARY KEY (meter, channel, ts))`,
    );
  }
  const { meters, points } = await registerFleet(store, o.meters);
  const f = fleet(meters, points);
  const expected = o.meters * 3 * INTERVALS;
  const base: number[] = [];
  const baseBin: number[] = [];
  const full: number[] = [];
  const blocksOnly: number[] = [];
  const viaCopy: number[] = [];
  const viaUnnest: number[] = [];
  // Warm-up (JIT, catalog caches) on a day that is not measured.
  const warm = f.inputs('2024-05-01').slice(0, Math.min(o.batch, o.meters));
  await plainCopy(store, warm, o.batch);
  await plainCopyBinary(store, warm, o.batch);
  await ingest(store, warm, o.batch);
  for (let r = 0; r < o.rounds; r++) {
    const day = addDays(FIRST_DAY, 3 * r);
    const inputs = f.inputs(day);
    // Rotate the order so no part always runs on a warmer (or more bloated) database.
    const parts: [string, () => Promise<void>][] = [
      [
        'copy',
        async () => {
          const t = await timed(() => plainCopy(store, inputs, o.batch));
          if (t.values !== expected) throw new Error(`plain COPY wrote ${t.values} values, expected ${expected}`);
          base.push(t.perSecond);
        },
      ],
      [
        'copy binary',
        async () => {
          const t = await timed(() => plainCopyBinary(store, inputs, o.batch));
          if (t.values !== expected)
            throw new Error(`plain COPY (binary) wrote ${t.values} values, expected ${expected}`);
          baseBin.push(t.perSecond);
        },
      ],
      [
        'ingest',
        async () => {
          const t = await timed(() => ingest(store, inputs, o.batch));
          if (t.values !== expected) throw new Error(`ingest filled ${t.values} slots, expected ${expected}`);
          full.push(t.perSecond);
        },
      ],
    ];
    for (let i = 0; i < r % parts.length; i++) parts.push(parts.shift()!);
    for (const [, run] of parts) await run();
    const blocks = await timed(() => dayBlocksOnly(store, f.inputs(addDays(day, 1)), o.batch));
    blocksOnly.push(blocks.perSecond);
    const methods: ['copy' | 'unnest', number[]][] = [
      ['copy', viaCopy],
      ['unnest', viaUnnest],
    ];
    if (r % 2 === 1) methods.reverse();
    for (const [method, list] of methods) {
      // Each method on its own meters' half of a fresh day, so both insert new rows.
      const half = f.inputs(addDays(day, 2));
      const mine = method === 'copy' ? half.filter((_, i) => i % 2 === 0) : half.filter((_, i) => i % 2 === 1);
      const t = await timed(() => blocksVia(store, mine, o.batch, method));
      list.push(t.perSecond);
    }
  }
  const b = median(base);
  const bb = median(baseBin);
  const fi = median(full);
  // Judged against the faster of the two baselines.
  const ratio = fi / Math.max(b, bb);
  const note = `${o.meters} meters × 3 ch × ${INTERVALS}, batch ${o.batch}, median of ${o.rounds}`;
  figure(name, 'plain COPY (row per interval)', b, 'values/s', note);
  figure(name, 'plain COPY, binary format', bb, 'values/s', note);
  figure(name, 'ingest (day blocks, full)', fi, 'values/s', note);
  figure(name, 'ratio ingest / plain COPY', (fi / b).toFixed(2), '×');
  figure(name, 'ratio ingest / binary COPY', (fi / bb).toFixed(2), '×');
  figure(name, 'day blocks only (merge + write)', median(blocksOnly), 'values/s');
  figure(name, 'ratio day blocks only / COPY', (median(blocksOnly) / b).toFixed(2), '×');
  figure(name, 'blocks via COPY', median(viaCopy), 'values/s');
  figure(name, 'blocks via unnest', median(viaUnnest), 'values/s');
  figure(name, 'faster bulk method', median(viaCopy) >= median(viaUnnest) ? 'copy' : 'unnest');
  const sizes = await store.pool.query(
    `SELECT pg_total_relation_size('bench_interval') AS flat, pg_total_relation_size('interval_raw') AS blocks`,
  );
  // Meter-days written: the flat table got one day per round, interval_raw three (ingest, blocks only, methods).
  const warmMeters = Math.min(o.batch, o.meters);
  const flatDays = o.rounds * o.meters + warmMeters;
  const blockDays = 3 * o.rounds * o.meters + warmMeters;
  figure(
    name,
    'size per meter-day, row/interval',
    Number(sizes.rows[0].flat) / flatDays / 1024,
    'kB',
    '3 channels, with PK index',
  );
  figure(
    name,
    'size per meter-day, interval_raw',
    Number(sizes.rows[0].blocks) / blockDays / 1024,
    'kB',
    '3 channels, with PK index',
  );
  const pass = ratio >= TARGET_RATIO;
  verdict(name, `ingest ≥ ${TARGET_RATIO}× plain COPY, the faster of text and binary (got ${ratio.toFixed(2)}×)`, pass);
  return pass;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      meters: { type: 'string', default: '2000' },
      batch: { type: 'string', default: '250' },
      rounds: { type: 'string', default: '3' },
      only: { type: 'string' },
    },
  });
  const o = { meters: Number(values.meters), batch: Number(values.batch), rounds: Number(values.rounds) };
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${k}: '${v}' is not a positive integer`);
  }
  const which = (values.only ?? 'pglite,postgres').split(',').map((s) => s.trim());
  for (const w of which)
    if (w !== 'pglite' && w !== 'postgres') throw new Error(`--only: '${w}' is not pglite or postgres`);
  process.stdout.write(
    `# ${new Date().toISOString()}  node ${process.version}  ${cpus().length} x ${cpus()[0]?.model ?? '?'}\n`,
  );
  let ok = true;
  if (which.includes('pglite')) {
    const dir = mkdtempSync(join(tmpdir(), 'fronteira-bench-ingest-'));
    const store = await openStore({ dataDir: join(dir, 'pglite') });
    try {
      ok = (await runBackend('pglite', store, o)) && ok;
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (which.includes('postgres')) {
    const cluster = await startCluster();
    try {
      const store = await openStore({ databaseUrl: cluster.url });
      try {
        ok = (await runBackend('postgres', store, o)) && ok;
      } finally {
        await store.close();
      }
    } finally {
      cluster.stop();
    }
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
