import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { meterConfig, startTestMeter, todayMidnightWall } from '../../test/helpers/sim-meter.ts';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { operatingDayStart, wallToInstant } from '../domain/time.ts';
import { visibleChannels } from '../protocols/abnt14522/commands/parameters.ts';
import type { WallTime } from '../protocols/abnt14522/fields.ts';
import { MM_FLAG_POWER_OFF } from '../protocols/abnt14522/mass-memory.ts';
import { SimulatedMeter } from '../simulator/meter-model.ts';
import { readDayBlocks } from '../store/day-blocks.ts';
import { listEvents } from '../store/events.ts';
import type { Store } from '../store/pool.ts';
import { insertMeter, insertPoint, type MeterInput, type MeterRow, type PointRow } from '../store/registry.ts';
import { readSession, readSessionFrames } from '../store/sessions.ts';
import { FLAG_ACTUAL, FLAG_CONFLICT, FLAG_POWER_OFF } from './day-block.ts';
import { type IngestInput, ingestReading, ingestReadings } from './ingest.ts';
import { readMeter } from './session/read-meter.ts';
import type { Reading } from './session/reading.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const ZONE = 'America/Sao_Paulo';

const servers: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function register(
  store: Store,
  sim: SimulatedMeter,
  over: Partial<Omit<MeterInput, 'pointCode'>> = {},
): Promise<{ meter: MeterRow; point: PointRow }> {
  const point = await insertPoint(store.db, {
    code: sim.pointCode,
    name: 'Ponto',
    kind: 'consumidor_livre',
    segment: 'livre',
  });
  const channelMap = [0, 1].flatMap((g) =>
    [0, 1, 2].map((i) => ({
      group: g,
      channel: 3 * g + i + 1,
      quantityCode: sim.quantityCodes(g)[i],
      ...sim.constants(g)[i],
    })),
  );
  const meter = await insertMeter(store.db, point.id, {
    serial: sim.serial,
    role: sim.role,
    channelMap,
    validFrom: new Date('2020-01-01T00:00:00Z'),
    ...over,
  });
  return { meter, point };
}

/**
 * What a 0x51/0x52 window read of the simulator at TRUE wall time `now` returns, built from its ground truth
 * without a link (cheap). `take` keeps a slice of the intervals (a cut-short transfer).
 */
function simReading(
  sim: SimulatedMeter,
  now: WallTime,
  opts: {
    hours?: number;
    groups?: number[];
    take?: [number, number];
    serial?: string;
    startedAt?: number;
    mutate?: (r: Reading) => void;
  } = {},
): Reading {
  const window = { windowHours: opts.hours ?? 24 };
  const groups = (opts.groups ?? [0]).map((g) => {
    const parameters = sim.parameters(g, now, window);
    const range = sim.windowRange(now, window);
    const truth = sim.groundTruth(g, range.fromEnd, range.toEnd);
    const [a, b] = opts.take ?? [0, truth.ends.length];
    return {
      group: g,
      parametersCode: 0x51,
      parameters,
      channels: visibleChannels(parameters, g),
      massMemory: {
        source: 'window' as const,
        code: 0x52,
        expectedWords: 3 * truth.ends.length,
        partial: opts.take !== undefined,
        blocks: 1,
        timeline: {
          intervalSeconds: 300,
          firstEnd: truth.ends[a],
          step: 300_000,
          count: b - a,
          values: truth.pulses.map((p) => p.slice(a, b)),
          warnings: [],
        },
      },
      flags: new Uint8Array(b - a),
    };
  });
  const meterTime = groups[0].parameters.meterTime;
  const startedAt = opts.startedAt ?? wallToInstant(now, ZONE);
  const reading: Reading = {
    address: 'tcp://127.0.0.1:1',
    sequence: 'memoria',
    readerSerial: '000001',
    zone: ZONE,
    startedAt,
    endedAt: startedAt + 2000,
    ok: true,
    failure: null,
    meterSerial: opts.serial ?? sim.serial,
    identity: { model: '0001', softwareVersion: '01' },
    clock: { meterTime, readerTime: now, driftSeconds: Math.round((meterTime - now) / 1000) },
    groups,
    steps: [
      {
        index: 0,
        label: '51 g0 1d',
        code: 0x51,
        startedAt,
        endedAt: startedAt + 500,
        status: 'ok',
        blocks: 1,
        stats: {
          code: 0x51,
          startedAt,
          endedAt: startedAt + 500,
          bytesIn: 258,
          bytesOut: 66,
          transmissions: 1,
          retries: 0,
          timeouts: 0,
          sequenceBreaks: 0,
          naksSent: 0,
          naksReceived: 0,
          waits: 0,
          reAcks: 0,
          blocks: 1,
        },
      },
    ],
    frames: [
      { at: startedAt + 10, direction: 'tx', step: 0, bytes: new Uint8Array(66).fill(0x51) },
      { at: startedAt + 400, direction: 'rx', step: 0, bytes: new Uint8Array(258).fill(0x51) },
    ],
    warnings: [],
  };
  opts.mutate?.(reading);
  return reading;
}

async function counts(store: Store): Promise<Record<string, number>> {
  const r = await store.pool.query(`SELECT
      (SELECT count(*) FROM read_session)::int AS sessions,
      (SELECT count(*) FROM read_session_frames)::int AS frames,
      (SELECT count(*) FROM interval_raw)::int AS blocks,
      (SELECT coalesce(sum(filled), 0) FROM interval_raw)::int AS filled,
      (SELECT count(*) FROM meter_event)::int AS events`);
  return r.rows[0];
}

/** Every interval of the window equals the simulator's ground-truth energy in the slot of its end instant. */
async function assertStoredTruth(
  store: Store,
  sim: SimulatedMeter,
  meterId: number,
  fromEnd: WallTime,
  toEnd: WallTime,
) {
  const truth = sim.groundTruth(0, fromEnd, toEnd);
  const blocks = await readDayBlocks(store.db, { fromDay: '2000-01-01', toDay: '2100-01-01', meterIds: [meterId] });
  const byKey = new Map(blocks.map((b) => [`${b.channel}@${b.day}`, b]));
  for (let i = 0; i < truth.ends.length; i++) {
    const end = wallToInstant(truth.ends[i], ZONE);
    const day = new Date(truth.ends[i] - 1).toISOString().slice(0, 10);
    const k = (end - operatingDayStart(day, ZONE)) / 300_000 - 1;
    for (let c = 0; c < 3; c++) {
      const b = byKey.get(`${c + 1}@${day}`);
      assert.ok(b, `no block for channel ${c + 1} on ${day}`);
      assert.ok(b.flags[k] & FLAG_ACTUAL, `channel ${c + 1} ${day} slot ${k} is not actual`);
      assert.equal(b.value[k], truth.energy[c][i], `channel ${c + 1} ${day} slot ${k}`);
      assert.equal(b.pulses[k], truth.pulses[c][i]);
    }
  }
  return blocks;
}

for (const backend of backends) {
  describe(`ingest on ${backend.name}`, () => {
    test('a real 1-day reading: 3 channels × 288 actual slots equal to ground truth; re-ingest adds nothing', async () => {
      const { meter: sim, server, address } = await startTestMeter({ seed: 21 });
      servers.push(server);
      const reading = await readMeter(address, {
        sequence: 'memoria',
        window: { amount: 1, unit: 'days' },
        groups: [0],
      });
      assert.ok(reading.ok, JSON.stringify(reading.failure));
      const store = await backend.open();
      try {
        const { meter, point } = await register(store, sim);
        const input: IngestInput = { meter, point, channel: null, purpose: 'daily', reading, jobId: 'job-7' };
        const r = await ingestReading(store, input);
        assert.equal(r.status, 'ok');
        assert.equal(r.intervals, 3 * 288);
        assert.equal(r.filledSlots, 3 * 288);
        assert.equal(r.conflicts, 0);
        assert.equal(r.skippedReason, undefined);
        const t = reading.groups[0].massMemory!.timeline;
        const blocks = await assertStoredTruth(store, sim, meter.id, t.firstEnd, t.firstEnd + 287 * t.step);
        for (const ch of [1, 2, 3]) {
          assert.equal(
            blocks.filter((b) => b.channel === ch).reduce((s, b) => s + b.filled, 0),
            288,
          );
        }
        assert.deepEqual(r.days, [...new Set(blocks.map((b) => b.day))].sort());
        assert.ok(blocks.every((b) => b.firstSession === r.sessionId && b.lastSession === r.sessionId));

        const s = await readSession(store.db, r.sessionId);
        assert.equal(s?.status, 'ok');
        assert.equal(s?.meter_serial, sim.serial);
        assert.equal(s?.job_id, 'job-7');
        assert.equal(s?.sequence, 'memoria');
        assert.equal(s?.intervals, 864);
        assert.equal(s?.drift_s, reading.clock!.driftSeconds + 0); // + 0: a rounded −0 is stored as 0
        assert.equal(
          s?.bytes_in,
          reading.steps.reduce((a, x) => a + (x.stats?.bytesIn ?? 0), 0),
        );
        assert.ok((s?.bytes_out ?? 0) > 0);
        assert.equal((s!.steps as unknown[]).length, reading.steps.length);
        assert.deepEqual(await readSessionFrames(store.db, r.sessionId), reading.frames);

        // The same reading again (a retried batch): recognised, nothing new.
        const before = await counts(store);
        const stamp = await store.pool.query('SELECT max(updated_at) AS t FROM interval_raw');
        const again = await ingestReading(store, input);
        assert.equal(again.skippedReason, 'duplicate');
        assert.equal(again.sessionId, r.sessionId);
        assert.deepEqual(await counts(store), before);
        // A re-read with the same data (a new session): no filled slot, no conflict, no event, blocks untouched.
        const reread = await ingestReading(store, {
          ...input,
          reading: { ...reading, startedAt: reading.startedAt + 1 },
        });
        assert.notEqual(reread.sessionId, r.sessionId);
        assert.deepEqual([reread.filledSlots, reread.conflicts, reread.events], [0, 0, 0]);
        assert.deepEqual(await counts(store), { ...before, sessions: before.sessions + 1, frames: before.frames + 1 });
        const stamp2 = await store.pool.query('SELECT max(updated_at) AS t FROM interval_raw');
        assert.deepEqual(stamp2.rows[0].t, stamp.rows[0].t);
      } finally {
        await store.close();
      }
    });

    test('a failed reading keeps its session and the intervals it got; the full re-read fills only the rest', async () => {
      // The link drops after 5 blocks: 0x51 and 0x80 answers, then 3 of the 6 blocks of 0x52.
      const { meter: sim, server, address } = await startTestMeter({ seed: 22, faults: { disconnectAfterBlocks: 5 } });
      servers.push(server);
      const failed = await readMeter(address, {
        sequence: 'memoria',
        window: { amount: 1, unit: 'days' },
        groups: [0],
      });
      assert.equal(failed.ok, false);
      const kept = failed.groups[0].massMemory!.timeline.count;
      assert.ok(kept > 0 && kept < 288, `kept ${kept}`);
      const store = await backend.open();
      try {
        const { meter, point } = await register(store, sim);
        const r1 = await ingestReading(store, { meter, point, channel: null, purpose: 'daily', reading: failed });
        assert.equal(r1.status, 'failed');
        assert.equal(r1.filledSlots, 3 * kept);
        const s = await readSession(store.db, r1.sessionId);
        assert.equal(s?.status, 'failed');
        assert.equal(s?.failure_step, failed.failure!.step);
        assert.equal(s?.error_code, failed.failure!.code);
        assert.equal(s?.error_message, failed.failure!.message);
        const t = failed.groups[0].massMemory!.timeline;
        await assertStoredTruth(store, sim, meter.id, t.firstEnd, t.firstEnd + (kept - 1) * t.step);

        // The full window from the meter's ground truth at the same moment fills exactly the missing slots.
        const full = simReading(sim, failed.clock!.readerTime, { startedAt: failed.startedAt + 1000 });
        const ft = full.groups[0].massMemory!.timeline;
        assert.equal(ft.firstEnd, t.firstEnd, 'same window');
        const r2 = await ingestReading(store, { meter, point, channel: null, purpose: 'gap', reading: full });
        assert.equal(r2.filledSlots, 3 * (ft.count - kept));
        assert.equal(r2.conflicts, 0);
        const blocks = await assertStoredTruth(
          store,
          sim,
          meter.id,
          ft.firstEnd,
          ft.firstEnd + (ft.count - 1) * ft.step,
        );
        assert.ok(blocks.every((b) => b.firstSession === r1.sessionId || b.firstSession === r2.sessionId));
        assert.ok(blocks.some((b) => b.firstSession === r1.sessionId && b.lastSession === r2.sessionId));
      } finally {
        await store.close();
      }
    });

    test('a disagreeing re-read is a conflict event and never overwrites; a serial mismatch stores no data', async () => {
      const store = await backend.open();
      try {
        const sim = new SimulatedMeter(meterConfig(23));
        const { meter, point } = await register(store, sim);
        const now = todayMidnightWall() - DAY + 14 * HOUR;
        const good = simReading(sim, now);
        const r1 = await ingestReading(store, { meter, point, channel: null, purpose: 'daily', reading: good });
        assert.equal(r1.filledSlots, 864);
        const t = good.groups[0].massMemory!.timeline;
        const bad = simReading(sim, now, {
          startedAt: good.startedAt + 60_000,
          mutate: (r) => {
            r.groups[0].massMemory!.timeline.values[1][100] += 3;
          },
        });
        const r2 = await ingestReading(store, { meter, point, channel: null, purpose: 'gap', reading: bad });
        assert.deepEqual([r2.filledSlots, r2.conflicts, r2.events], [0, 1, 1]);
        const [conflict] = await listEvents(store.db, { meterId: meter.id, kinds: ['conflict'] });
        const end = wallToInstant(t.firstEnd + 100 * t.step, ZONE);
        assert.equal(conflict.at.getTime(), end);
        assert.equal(conflict.session_id, r2.sessionId);
        const c = sim.constants(0)[1];
        const truePulses = good.groups[0].massMemory!.timeline.values[1][100];
        const detail = conflict.detail as Record<string, unknown>;
        assert.equal(detail.channel, 2);
        assert.equal(detail.stored, (truePulses * c.numerator) / c.denominator);
        assert.equal(detail.read, ((truePulses + 3) * c.numerator) / c.denominator);
        assert.equal(detail.session, r2.sessionId);
        const day = detail.day as string;
        const slot = detail.slot as number;
        assert.equal(operatingDayStart(day, ZONE) + (slot + 1) * 300_000, end);
        const [b] = await readDayBlocks(store.db, { fromDay: day, toDay: day, meterIds: [meter.id], channels: [2] });
        assert.equal(b.value[slot], detail.stored, 'stored value unchanged');
        assert.equal(b.flags[slot], FLAG_ACTUAL | FLAG_CONFLICT);
        // The same disagreement read again: still a conflict, no second event.
        const r3 = await ingestReading(store, {
          meter,
          point,
          channel: null,
          purpose: 'gap',
          reading: { ...bad, startedAt: bad.startedAt + 60_000 },
        });
        assert.deepEqual([r3.conflicts, r3.events], [1, 0]);

        // Another meter answering on this meter's line: session and event, no data, none of its logs.
        const before = await counts(store);
        const other = simReading(sim, now, {
          serial: '99999999',
          startedAt: good.startedAt + 300_000,
          mutate: (r) => {
            r.outages = {
              period: 'current',
              value: { records: [{ slot: 0, start: now - HOUR, end: now }], tail: new Uint8Array(11) },
            };
            r.groups[0].massMemory!.timeline.values[0][5] += 1;
          },
        });
        const r4 = await ingestReading(store, { meter, point, channel: null, purpose: 'daily', reading: other });
        assert.equal(r4.skippedReason, 'serial_mismatch');
        assert.deepEqual([r4.intervals, r4.filledSlots, r4.conflicts, r4.events], [0, 0, 0, 1]);
        const after = await counts(store);
        assert.deepEqual(after, {
          ...before,
          sessions: before.sessions + 1,
          frames: before.frames + 1,
          events: before.events + 1,
        });
        const [mismatch] = await listEvents(store.db, { meterId: meter.id, kinds: ['serial_mismatch'] });
        assert.deepEqual(
          { registered: mismatch.detail.registered, read: mismatch.detail.read },
          { registered: sim.serial, read: '99999999' },
        );
        assert.equal((await readSession(store.db, r4.sessionId))?.meter_serial, '99999999');
      } finally {
        await store.close();
      }
    });

    test('meter logs become events once: outages, alterations, occurrences, drift, clock sync, resets, constants', async () => {
      const store = await backend.open();
      try {
        const sim = new SimulatedMeter(meterConfig(24));
        const map = [0, 1, 2].map((i) => ({
          group: 0,
          channel: i + 1,
          quantityCode: sim.quantityCodes(0)[i],
          ...sim.constants(0)[i],
        }));
        map[1] = { ...map[1], numerator: map[1].numerator * 2 };
        const { meter, point } = await register(store, sim, {
          channelMap: map,
          constantsIncludeRatios: false,
          tpRatio: 2,
          tcRatio: 3,
        });
        const now = todayMidnightWall() - DAY + 15 * HOUR;
        const outageStart = now - 5 * HOUR;
        const openStart = now - HOUR;
        const reading = simReading(sim, now, {
          mutate: (r) => {
            r.outages = {
              period: 'current',
              value: {
                records: [
                  { slot: 0, start: outageStart, end: outageStart + 20 * 60_000 },
                  { slot: 1, start: openStart, end: null },
                ],
                tail: new Uint8Array(11),
              },
            };
            r.alterations = {
              entries: [
                {
                  slot: 0,
                  extended: false,
                  code: 0x29,
                  codeName: 'Alteração de data',
                  readerSerial: '000002',
                  time: now - 2 * HOUR,
                },
                {
                  slot: 1,
                  extended: false,
                  code: 0x21,
                  codeName: 'Leitura',
                  readerSerial: '000001',
                  time: now - 2 * HOUR,
                },
                {
                  slot: 2,
                  extended: false,
                  code: 0x30,
                  codeName: 'Alteração de hora',
                  readerSerial: '000002',
                  time: null,
                },
              ],
            };
            r.clock = { meterTime: now + 45_000, readerTime: now, driftSeconds: 45 };
            r.clockSet = {
              before: { meterTime: now + 45_000, readerTime: now, driftSeconds: 45 },
              after: { meterTime: now + 1000, readerTime: now + 1000, driftSeconds: 0 },
              setTo: now + 1000,
            };
            r.steps.push({
              index: 1,
              label: '80',
              code: 0x80,
              startedAt: r.startedAt + 600,
              endedAt: r.startedAt + 700,
              status: 'failed',
              blocks: 1,
              error: { code: 'FRONTEIRA_E_ABNT_OCCURRENCE', message: 'meter reported occurrence 0x46' },
            });
            const block = new Uint8Array(258);
            block[0] = 0x40;
            block[5] = 0x46;
            block[6] = 0x02;
            r.frames.push({ at: r.startedAt + 650, direction: 'rx', step: 1, bytes: block });
            const g = r.groups[0];
            const k = Math.round((outageStart + 10 * 60_000 - g.massMemory!.timeline.firstEnd) / 300_000);
            g.flags![k] = MM_FLAG_POWER_OFF;
          },
        });
        const r1 = await ingestReading(store, { meter, point, channel: null, purpose: 'daily', reading });
        const events = await listEvents(store.db, { meterId: meter.id });
        const kinds = events.map((e) => e.kind).sort();
        assert.deepEqual(kinds, [
          'alteration',
          'clock_drift',
          'clock_sync',
          'constants_mismatch',
          'demand_reset',
          'demand_reset',
          'occurrence',
          'outage',
          'outage',
        ]);
        assert.equal(r1.events, events.length);
        const byKind = (k: string) => events.filter((e) => e.kind === k);
        const closed = byKind('outage').find((e) => e.ended_at !== null)!;
        assert.equal(closed.at.getTime(), wallToInstant(outageStart, ZONE));
        assert.equal(closed.ended_at!.getTime(), wallToInstant(outageStart + 20 * 60_000, ZONE));
        assert.equal(byKind('alteration')[0].detail.code, 0x29, 'reads in the log are not alterations');
        assert.deepEqual(
          { occurrence: byKind('occurrence')[0].detail.occurrence, subCode: byKind('occurrence')[0].detail.subCode },
          { occurrence: 0x46, subCode: 2 },
        );
        assert.equal(byKind('clock_drift')[0].detail.driftSeconds, 45);
        assert.deepEqual(byKind('constants_mismatch')[0].detail.channel, 2);
        assert.deepEqual(
          byKind('demand_reset')
            .map((e) => e.at.getTime())
            .sort(),
          [reading.groups[0].parameters.penultimateReset!, reading.groups[0].parameters.lastReset!]
            .map((w) => wallToInstant(w, ZONE))
            .sort(),
        );
        assert.ok(events.every((e) => e.session_id === r1.sessionId));
        // Energy with TP × TC (constants do not include the ratios), and the outage mark on its interval.
        const t = reading.groups[0].massMemory!.timeline;
        const blocks = await readDayBlocks(store.db, {
          fromDay: '2000-01-01',
          toDay: '2100-01-01',
          meterIds: [meter.id],
        });
        const c1 = sim.constants(0)[0];
        const first = blocks.find((b) => b.channel === 1)!;
        const k0 = first.flags.findIndex((f) => (f & FLAG_ACTUAL) !== 0);
        assert.equal(first.value[k0], ((t.values[0][0] * c1.numerator) / c1.denominator) * 6);
        assert.equal(
          blocks.reduce((n, b) => n + b.flags.filter((f) => (f & FLAG_POWER_OFF) !== 0).length, 0),
          3,
        );

        // A later read: the open outage has ended; nothing else is new (same log, drift now small).
        const later = simReading(sim, now + HOUR / 2, {
          mutate: (r) => {
            r.outages = {
              period: 'current',
              value: {
                records: [
                  { slot: 0, start: outageStart, end: outageStart + 20 * 60_000 },
                  { slot: 1, start: openStart, end: openStart + 40 * 60_000 },
                ],
                tail: new Uint8Array(11),
              },
            };
            r.alterations = reading.alterations;
            r.clock = { meterTime: now + HOUR / 2, readerTime: now + HOUR / 2, driftSeconds: 0 };
          },
        });
        const r2 = await ingestReading(store, { meter, point, channel: null, purpose: 'intraday', reading: later });
        assert.equal(r2.events, 0);
        const outages = await listEvents(store.db, { meterId: meter.id, kinds: ['outage'] });
        assert.ok(outages.every((o) => o.ended_at !== null));
      } finally {
        await store.close();
      }
    });

    test('one transaction per batch: a failure anywhere leaves nothing; readings of one meter merge in order', async () => {
      const store = await backend.open();
      try {
        const sim = new SimulatedMeter(meterConfig(25));
        const sim2 = new SimulatedMeter(meterConfig(26));
        const a = await register(store, sim);
        const b = await register(store, sim2);
        const now = todayMidnightWall() - DAY + 10 * HOUR;
        const ra = simReading(sim, now);
        const rb = simReading(sim2, now);
        const empty = await counts(store);
        await assert.rejects(
          ingestReadings(
            store,
            [
              { ...a, channel: null, purpose: 'daily', reading: ra },
              { ...b, channel: null, purpose: 'daily', reading: rb },
            ],
            {
              beforeCommit: async () => {
                throw new Error('injected failure after every write');
              },
            },
          ),
          /injected failure/,
        );
        assert.deepEqual(await counts(store), empty);
        // A meter that does not exist: the batch fails in the store, still nothing is left.
        const ghost = { ...b.meter, id: 999_999 };
        await assert.rejects(
          ingestReadings(store, [
            { ...a, channel: null, purpose: 'daily', reading: ra },
            { meter: ghost, point: b.point, channel: null, purpose: 'daily', reading: rb },
          ]),
        );
        assert.deepEqual(await counts(store), empty);

        // The store is fine afterwards. Two readings of one meter in a batch merge in order (partial then
        // full), a copy of a reading counts once, and the other meter's reading is stored alongside.
        const partial = simReading(sim, now, { take: [0, 100], startedAt: ra.startedAt - 5000 });
        partial.ok = false;
        partial.failure = { step: '52 g0', code: 'FRONTEIRA_E_LINK_NO_RESPONSE', message: 'silence' };
        const res = await ingestReadings(store, [
          { ...a, channel: null, purpose: 'daily', reading: partial },
          { ...a, channel: null, purpose: 'gap', reading: ra },
          { ...b, channel: null, purpose: 'daily', reading: rb },
          { ...a, channel: null, purpose: 'gap', reading: ra },
        ]);
        assert.deepEqual(
          res.map((r) => [r.status, r.filledSlots, r.skippedReason]),
          [
            ['failed', 300, undefined],
            ['ok', 864 - 300, undefined],
            ['ok', 864, undefined],
            ['ok', 0, 'duplicate'],
          ],
        );
        assert.equal(res[3].sessionId, res[1].sessionId);
        const c = await counts(store);
        assert.equal(c.sessions, 3);
        assert.equal(c.filled, 2 * 864);
        await assertStoredTruth(
          store,
          sim,
          a.meter.id,
          ra.groups[0].massMemory!.timeline.firstEnd,
          ra.groups[0].massMemory!.timeline.firstEnd + 287 * 300_000,
        );
        assert.deepEqual(await ingestReadings(store, []), []);
      } finally {
        await store.close();
      }
    });
  });
}

test('bad input to ingest is a typed error', async () => {
  const store = await backends[0].open();
  try {
    const sim = new SimulatedMeter(meterConfig(27));
    const { meter, point } = await register(store, sim);
    const reading = simReading(sim, todayMidnightWall() - DAY + 9 * HOUR);
    await assert.rejects(
      ingestReading(store, { meter: { ...meter, mm_interval_s: 0 }, point, channel: null, purpose: 'daily', reading }),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
    assert.equal((await counts(store)).sessions, 0);
  } finally {
    await store.close();
  }
});
