import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  assertStoredMatchesTruth,
  quiet,
  registerFleet,
  startTestFleet,
  storedSlots,
} from '../../test/helpers/collect.ts';
import { backends } from '../../test/helpers/stores.ts';
import { addDays, instantToWall, operatingDayOfIntervalEnd, wallToInstant } from '../domain/time.ts';
import { noteSessions } from '../store/collect-state.ts';
import type { GapHistoryEntry, GapRow } from '../store/gaps.ts';
import { listActiveMeters } from '../store/registry.ts';
import { startEngine } from './engine.ts';
import { type GapMeter, memoryStart, planGapReads, reconcileMeterGaps } from './gaps.ts';
import { ingestReadings } from './ingest.ts';
import { Runner } from './runner.ts';

const MIN = 60_000;
const STEP = 5 * MIN;
const DAY = 86_400_000;
const NOW = Date.parse('2025-03-10T17:07:30Z');
const METER: GapMeter = { id: 4, intervalMs: STEP, memoryDays: 10 };

let nextId = 1;
function gapRow(first: number, last: number, over: Partial<GapRow> = {}): GapRow {
  return {
    id: nextId++,
    meter_id: 4,
    first_end: new Date(first),
    last_end: new Date(last),
    intervals: (last - first) / STEP + 1,
    state: 'pending',
    attempts: 0,
    next_attempt_at: null,
    last_attempt_at: null,
    last_error: null,
    history: [],
    created_at: new Date(NOW - DAY),
    closed_at: null,
    ...over,
  };
}

const miss = (first: number, last: number) => ({
  firstEnd: new Date(first),
  lastEnd: new Date(last),
  intervals: (last - first) / STEP + 1,
});
const t = (h: number) => Date.parse('2025-03-10T00:00:00Z') + h * 3_600_000;

describe('reconcileMeterGaps', () => {
  test('a new hole becomes a pending gap; a filled gap is recovered; an unchanged gap is left alone', () => {
    const filled = gapRow(t(1), t(2));
    const same = gapRow(t(5), t(6));
    const c = reconcileMeterGaps(METER, [filled, same], [miss(t(3), t(4)), miss(t(5), t(6))], NOW);
    assert.equal(c.inserts.length, 1);
    assert.equal(c.inserts[0].state, 'pending');
    assert.equal(c.inserts[0].intervals, 13);
    assert.equal(c.inserts[0].history[0].action, 'found');
    assert.deepEqual(
      c.updates.map((u) => [u.id, u.state]),
      [[filled.id, 'recovered']],
    );
    assert.ok(c.updates[0].closedAt);
    assert.deepEqual(c.deletes, []);
  });

  test('touching and overlapping holes merge into the oldest gap, keeping the others’ history', () => {
    const a = gapRow(t(1), t(2), { state: 'retrying', attempts: 2 });
    const b = gapRow(t(3), t(4), { history: [{ at: 'x', action: 'found', sessionId: null, result: null }] });
    // The hole now runs from 01:00 to 04:00 (01:00–02:00, then 02:05–04:00 adjacent).
    const c = reconcileMeterGaps(METER, [a, b], [miss(t(1), t(2)), miss(t(2) + STEP, t(4))], NOW);
    assert.deepEqual(c.deletes, [b.id]);
    assert.equal(c.inserts.length, 0);
    const u = c.updates[0];
    assert.equal(u.id, a.id);
    assert.equal(u.firstEnd.getTime(), t(1));
    assert.equal(u.lastEnd.getTime(), t(4));
    assert.equal(u.intervals, 37);
    assert.equal(u.state, 'retrying');
    assert.equal(u.attempts, 2);
    const actions = u.history.map((h: GapHistoryEntry) => h.action);
    assert.deepEqual(actions, ['found', 'merged', 'grown']);
  });

  test('a partly filled gap shrinks to what is still missing', () => {
    const g = gapRow(t(1), t(4));
    const c = reconcileMeterGaps(METER, [g], [miss(t(3), t(4))], NOW);
    assert.equal(c.updates[0].firstEnd.getTime(), t(3));
    assert.equal(c.updates[0].intervals, 13);
    assert.equal(c.updates[0].history[0].action, 'shrunk');
  });

  test('older than the memory: lost; straddling the memory start: the old part is split off as lost', () => {
    const start = memoryStart(METER, NOW);
    const old = gapRow(start - 2 * DAY, start - DAY);
    const straddling = gapRow(start - 12 * STEP, start + 11 * STEP);
    const c = reconcileMeterGaps(METER, [old, straddling], [miss(start - 12 * STEP, start + 11 * STEP)], NOW);
    assert.deepEqual(
      c.updates.map((u) => [u.id, u.state]),
      [
        [old.id, 'lost'],
        [straddling.id, 'pending'],
      ],
    );
    assert.equal(c.updates[1].firstEnd.getTime(), start);
    assert.equal(c.updates[1].intervals, 12);
    assert.equal(c.inserts.length, 1);
    assert.equal(c.inserts[0].state, 'lost');
    assert.equal(c.inserts[0].lastEnd.getTime(), start - STEP);
    assert.equal(c.inserts[0].intervals, 12);
    assert.match(c.inserts[0].history[0].result ?? '', /split from gap/);
  });
});

for (const backend of backends) {
  describe(`gap lifecycle on ${backend.name}`, () => {
    test('pending → retrying while the meter is unreachable → recovered with the true values; → lost when old', async () => {
      const store = await backend.open();
      const now = Date.now();
      const faults = { unreachable: [{ from: now - 3_600_000, to: now + 3_600_000 }] };
      const fleet = await startTestFleet({ meters: 1, faults: { 0: faults } });
      const engine = await startEngine(store, {
        queue: false,
        logger: quiet,
        runner: { maxAttempts: 1 },
        gaps: { retryBaseMs: 10 * MIN },
      });
      try {
        const [meter] = await registerFleet(store, fleet, { memoryDays: 1 });
        const gaps = () =>
          store.db.selectFrom('gap').selectAll().where('meter_id', '=', meter.id).orderBy('id').execute();

        const first = await engine.runOnce('gaps');
        assert.equal(first.gaps?.found, 1);
        assert.equal(first.failed, 1);
        let [g] = await gaps();
        assert.equal(g.state, 'retrying');
        assert.equal(g.attempts, 1);
        assert.match(g.last_error ?? '', /FRONTEIRA_E_TRANSPORT/);
        assert.ok(g.next_attempt_at && g.next_attempt_at.getTime() > Date.now() + 5 * MIN, 'backoff');
        assert.deepEqual(
          (g.history as GapHistoryEntry[]).map((h) => h.action),
          ['found', 'scheduled', 'reread'],
        );
        // Not due yet: nothing is read.
        assert.equal((await engine.runOnce('gaps')).reads, 0);

        // The link comes back and the backoff elapses.
        faults.unreachable.length = 0;
        await sql`UPDATE gap SET next_attempt_at = now() - interval '1 second'`.execute(store.db);
        const third = await engine.runOnce('gaps');
        assert.equal(third.ok, 1);
        [g] = await gaps();
        assert.equal(g.state, 'recovered');
        assert.ok(g.closed_at);
        const history = g.history as GapHistoryEntry[];
        assert.deepEqual(
          history.map((h) => h.action),
          ['found', 'scheduled', 'reread', 'scheduled', 'reread', 'recovered'],
        );
        assert.equal(history[4].result, 'ok');
        assert.ok(history[4].sessionId, 'the re-read session is named');
        const today = operatingDayOfIntervalEnd(Date.now());
        assert.ok((await assertStoredMatchesTruth(store, fleet, 0, meter.id, addDays(today, -2), today)) > 250 * 3);

        // A gap found long ago and never recovered, now older than the meter's memory.
        await store.db
          .insertInto('gap')
          .values({
            meter_id: meter.id,
            first_end: new Date(now - 3 * DAY),
            last_end: new Date(now - 3 * DAY + 3_600_000),
            intervals: 13,
            state: 'retrying',
            history: '[]',
          })
          .execute();
        const fourth = await engine.runOnce('gaps');
        assert.equal(fourth.gaps?.lost, 1);
        const states = (await gaps()).map((x) => x.state);
        assert.deepEqual(states, ['recovered', 'lost']);
      } finally {
        await engine.stop();
        await fleet.close();
        await store.close();
      }
    });
  });
}

for (const backend of backends) {
  describe(`gap re-read through 0x27 on ${backend.name}`, () => {
    test('a gap early in the previous billing period is read with recuperacao (22 → 27), values as the meter holds', async (t) => {
      const store = await backend.open();
      const fleet = await startTestFleet({ meters: 1 });
      try {
        const [meter] = await registerFleet(store, fleet, { memoryDays: 60 });
        const now = Date.now();
        const resets = fleet.meters[0].resetState(instantToWall(now));
        const last = wallToInstant(resets.lastReset);
        const penultimate = wallToInstant(resets.penultimateReset);
        if (now - last < 3 * 3_600_000) {
          t.skip('too close to the monthly reset for the previous period to be the smaller read');
          return;
        }
        await noteSessions(store.db, [
          {
            meterId: meter.id,
            at: new Date(now),
            ok: true,
            error: null,
            driftS: 0,
            lastReset: new Date(last),
            penultimateReset: new Date(penultimate),
          },
        ]);
        const first = penultimate + 2 * 3_600_000;
        const lastEnd = first + 11 * STEP;
        const [gap] = await store.db
          .insertInto('gap')
          .values({
            meter_id: meter.id,
            first_end: new Date(first),
            last_end: new Date(lastEnd),
            intervals: 12,
            state: 'pending',
            history: '[]',
          })
          .returningAll()
          .execute();
        const active = new Map((await listActiveMeters(store.db)).map((m) => [m.meter.id, m]));
        const [decision] = await planGapReads(store.db, [gap], active, now);
        assert.equal(decision.kind, 'read');
        const read = (decision as { read: { sequence: string } }).read;
        assert.equal(read.sequence, 'recuperacao');
        const runner = new Runner({ ingest: (inputs) => ingestReadings(store, inputs), logger: quiet });
        const [outcome] = await runner.run([(decision as { read: Parameters<Runner['run']>[0][0] }).read]);
        await runner.close();
        assert.equal(outcome.ok, true, JSON.stringify(outcome.failure));
        const day = operatingDayOfIntervalEnd(first);
        const slots = (await storedSlots(store, meter.id, 1, day, day)).filter(
          (x) => x.end >= first && x.end <= lastEnd,
        );
        assert.equal(slots.length, 12);
        assert.ok(slots.every((x) => x.value !== null));
        assert.ok((await assertStoredMatchesTruth(store, fleet, 0, meter.id, day, day)) >= 12 * 3);
      } finally {
        await fleet.close();
        await store.close();
      }
    });
  });
}
