import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { operatingDayStart } from '../domain/time.ts';
import type { ActiveMeter, ChannelRow, MeterRow, PointRow } from '../store/registry.ts';
import {
  collectRange,
  groupsOf,
  lastSlotEnd,
  memoryStartEnd,
  needsLastGood,
  type PlanDecision,
  type PlannedRead,
  planCollect,
  planGapRead,
  windowReaching,
} from './planner.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const STEP = 5 * MIN;
// 2025-03-10 14:07:30 Brasília (17:07:30Z).
const NOW = Date.parse('2025-03-10T17:07:30Z');
const TODAY_START = operatingDayStart('2025-03-10');
const YESTERDAY_START = operatingDayStart('2025-03-09');

function meter(over: Partial<MeterRow> = {}): ActiveMeter {
  const m = {
    id: 7,
    point_id: 1,
    serial: '12345678',
    role: 'principal',
    mm_interval_s: 300,
    memory_days: 35,
    channel_map: [
      { group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 },
      { group: 0, channel: 2, quantityCode: 10, numerator: 1, denominator: 100 },
      { group: 0, channel: 3, quantityCode: 11, numerator: 1, denominator: 100 },
    ],
    ...over,
  } as unknown as MeterRow;
  const point = { id: 1, code: 'SPSIMUI000001', timezone: 'America/Sao_Paulo', tags: [] } as unknown as PointRow;
  const channel = {
    id: 3,
    meter_id: 7,
    address: 'tcp://127.0.0.1:1',
    concurrency_group: 'l1',
  } as unknown as ChannelRow;
  return { meter: m, point, channels: [channel] };
}

const span = (first: number, last: number) => ({
  firstEnd: new Date(first),
  lastEnd: new Date(last),
  intervals: (last - first) / STEP + 1,
});

function read(d: PlanDecision): PlannedRead {
  assert.equal(d.kind, 'read', d.kind === 'skip' ? d.reason : '');
  return (d as { read: PlannedRead }).read;
}

describe('planner windows', () => {
  test('hours while they fit in 99, then days; the window reaches the wanted interval end', () => {
    const w = windowReaching(NOW - 3 * HOUR, NOW, { intervalMs: STEP, marginMs: 0 });
    assert.deepEqual(w.window, { amount: 3, unit: 'hours' });
    const w2 = windowReaching(NOW - 3 * HOUR, NOW, { intervalMs: STEP, marginMs: 60_000 });
    assert.deepEqual(w2.window, { amount: 4, unit: 'hours' });
    const w3 = windowReaching(NOW - 98 * HOUR, NOW, { intervalMs: STEP, marginMs: 0 });
    assert.deepEqual(w3.window, { amount: 98, unit: 'hours' });
    const w4 = windowReaching(NOW - 100 * HOUR, NOW, { intervalMs: STEP, marginMs: 0 });
    assert.deepEqual(w4.window, { amount: 5, unit: 'days' });
    assert.equal(w4.reaches, true);
    const w5 = windowReaching(NOW - 120 * DAY, NOW, { intervalMs: STEP, marginMs: 0 });
    assert.deepEqual(w5.window, { amount: 99, unit: 'days' });
    assert.equal(w5.reaches, false);
  });

  test('a meter clock ahead (or behind) widens the window by the drift', () => {
    const plain = windowReaching(NOW - 2 * HOUR + 30 * MIN, NOW, { intervalMs: STEP, marginMs: 0 });
    const drifting = windowReaching(NOW - 2 * HOUR + 30 * MIN, NOW, { intervalMs: STEP, marginMs: 0, driftS: -1900 });
    assert.deepEqual(plain.window, { amount: 2, unit: 'hours' });
    assert.deepEqual(drifting.window, { amount: 3, unit: 'hours' });
  });

  test('groups come from the channel map; an empty map leaves the reader default', () => {
    assert.deepEqual(groupsOf(meter().meter.channel_map), [0]);
    assert.deepEqual(
      groupsOf([
        { group: 1, channel: 4, quantityCode: 14, numerator: 1, denominator: 1 },
        { group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 1 },
        { group: 1, channel: 5, quantityCode: 15, numerator: 1, denominator: 1 },
      ]),
      [0, 1],
    );
    assert.equal(groupsOf([]), undefined);
  });

  test('collect range: daily looks at yesterday and today, in the point zone', () => {
    const r = collectRange('daily', NOW, 'America/Sao_Paulo');
    assert.deepEqual(r, { fromDay: '2025-03-09', toDay: '2025-03-10', rangeStart: YESTERDAY_START });
    assert.equal(lastSlotEnd(NOW, STEP), Date.parse('2025-03-10T17:05:00Z'));
    assert.equal(memoryStartEnd(meter({ memory_days: 2 }).meter, NOW), Date.parse('2025-03-08T17:10:00Z'));
  });
});

describe('planCollect', () => {
  const end = lastSlotEnd(NOW, STEP);
  const base = { now: NOW, rangeStart: YESTERDAY_START };

  test('intraday reads from the first interval after the last good one', () => {
    const d = planCollect(meter(), 'intraday', { ...base, missing: [span(end - 11 * STEP, end)] });
    const r = read(d);
    assert.equal(r.sequence, 'memoria');
    assert.equal(r.purpose, 'intraday');
    assert.equal(r.fromEnd, end - 11 * STEP);
    assert.deepEqual(r.window, { amount: 1, unit: 'hours' });
    assert.deepEqual(r.groups, [0]);
  });

  test('intraday with nothing new, or no channel, is skipped', () => {
    const hole = span(TODAY_START + 12 * STEP, TODAY_START + 20 * STEP);
    assert.deepEqual(planCollect(meter(), 'intraday', { ...base, missing: [hole] }), {
      kind: 'skip',
      meterId: 7,
      reason: 'up to date',
    });
    const none = { ...meter(), channels: [] };
    assert.equal(planCollect(none, 'intraday', { ...base, missing: [span(end - STEP, end)] }).kind, 'skip');
  });

  test('daily covers the earliest missing interval of yesterday, even when the trailing run is short', () => {
    const d = planCollect(meter(), 'daily', {
      ...base,
      missing: [span(YESTERDAY_START + 100 * STEP, YESTERDAY_START + 110 * STEP), span(end - 2 * STEP, end)],
    });
    const r = read(d);
    assert.equal(r.fromEnd, YESTERDAY_START + 100 * STEP);
    // From 2025-03-09 08:20 to 14:07 the next day: 29 h 47 min + margin.
    assert.deepEqual(r.window, { amount: 30, unit: 'hours' });
  });

  test('daily with everything stored is skipped', () => {
    assert.equal(planCollect(meter(), 'daily', { ...base, missing: [] }).kind, 'skip');
  });

  test('a meter with nothing in the range reads back to its last good interval, capped by its memory', () => {
    const all = [span(YESTERDAY_START + STEP, end)];
    assert.equal(needsLastGood(meter().meter, { ...base, missing: all }), true);
    const lastGood = new Date(NOW - 5 * DAY);
    const r = read(planCollect(meter(), 'daily', { ...base, missing: all, lastGood }));
    assert.equal(r.fromEnd, lastGood.getTime() + STEP);
    // Almost 5 days: more than 99 hours, so days.
    assert.deepEqual(r.window, { amount: 5, unit: 'days' });
    const old = read(
      planCollect(meter({ memory_days: 3 }), 'daily', { ...base, missing: all, lastGood: new Date(NOW - 40 * DAY) }),
    );
    assert.equal(old.fromEnd, memoryStartEnd(meter({ memory_days: 3 }).meter, NOW));
    // Never read: the daily read covers its range only (older data is the gap task's).
    const fresh = read(planCollect(meter(), 'daily', { ...base, missing: all, lastGood: null }));
    assert.equal(fresh.fromEnd, YESTERDAY_START + STEP);
  });
});

describe('planGapRead', () => {
  const gap = (id: number, first: number, last: number) => ({ id, firstEnd: new Date(first), lastEnd: new Date(last) });

  test('one read per meter reaching its oldest gap, with the smallest window', () => {
    const r = read(
      planGapRead(
        meter(),
        [gap(1, NOW - 3 * DAY, NOW - 3 * DAY + HOUR), gap(2, NOW - 5 * HOUR, NOW - 4 * HOUR)],
        NOW,
        null,
      ),
    );
    assert.equal(r.purpose, 'gap');
    assert.equal(r.sequence, 'memoria');
    assert.deepEqual(r.gapIds, [1, 2]);
    assert.deepEqual(r.window, { amount: 73, unit: 'hours' });
  });

  test('a gap in the previous billing period reads 0x27 when that period is smaller than the window', () => {
    const state = {
      driftS: 0,
      lastReset: new Date(NOW - 9 * DAY),
      penultimateReset: new Date(NOW - 39 * DAY),
    };
    // A gap 35 days back: the window would be 36 days, the previous period is 30.
    const far = read(
      planGapRead(meter({ memory_days: 60 }), [gap(1, NOW - 35 * DAY, NOW - 35 * DAY + HOUR)], NOW, state),
    );
    assert.equal(far.sequence, 'recuperacao');
    assert.equal(far.window, undefined);
    // 12 days back: a 13-day window beats the 30-day period.
    const near = read(planGapRead(meter(), [gap(1, NOW - 12 * DAY, NOW - 12 * DAY + HOUR)], NOW, state));
    assert.equal(near.sequence, 'memoria');
    assert.deepEqual(near.window, { amount: 13, unit: 'days' });
    // Spanning the reset: only a window covers both periods.
    const across = read(planGapRead(meter(), [gap(1, NOW - 20 * DAY, NOW - 5 * DAY)], NOW, state));
    assert.equal(across.sequence, 'memoria');
  });

  test('a gap in the current period reads 0x26 only when the day-rounded window would be larger', () => {
    const state = { driftS: 0, lastReset: new Date(NOW - 4.5 * DAY), penultimateReset: new Date(NOW - 35 * DAY) };
    // 4.4 days back → 5-day window (1440 intervals) vs the current period's 4.5 days (1296).
    const r = read(planGapRead(meter(), [gap(1, NOW - 4.4 * DAY, NOW - 4.3 * DAY)], NOW, state));
    assert.equal(r.sequence, 'verificacao');
    const hours = read(planGapRead(meter(), [gap(1, NOW - 2 * DAY, NOW - DAY)], NOW, state));
    assert.equal(hours.sequence, 'memoria');
  });
});
