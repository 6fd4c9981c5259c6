import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import {
  COVER_FULL,
  COVER_NONE,
  COVER_PARTIAL,
  dayStartMs,
  expectedSlots,
  markCoverage,
  slotOfInstant,
  slotStartWallMinutes,
  slotsPerHour,
} from './slots.ts';

const MIN = 60_000;
const typed = (e: unknown) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION');

test('dayStartMs: Brasília midnight, and the first instant after a DST gap', () => {
  assert.equal(new Date(dayStartMs('2024-03-12')).toISOString(), '2024-03-12T03:00:00.000Z');
  // 2018-11-04 00:00 did not exist: clocks jumped to 01:00 (−02).
  assert.equal(new Date(dayStartMs('2018-11-04')).toISOString(), '2018-11-04T03:00:00.000Z');
  assert.equal(new Date(dayStartMs('2024-03-12', 'UTC')).toISOString(), '2024-03-12T00:00:00.000Z');
});

test('dayStartMs and expectedSlots refuse malformed days and intervals with a typed error', () => {
  for (const d of ['2024-13-01', '2024-02-30', 'x', '']) assert.throws(() => dayStartMs(d), typed);
  assert.throws(() => expectedSlots('2024-02-30', 300), typed);
  for (const i of [0, -300, 7, 1.5]) assert.throws(() => expectedSlots('2024-03-12', i), typed);
});

test('expectedSlots: 288 at 5 min, 96 at 15 min, 276/300 on the old DST days', () => {
  assert.equal(expectedSlots('2024-03-12', 300), 288);
  assert.equal(expectedSlots('2024-03-12', 900), 96);
  assert.equal(expectedSlots('2018-11-04', 300), 276);
  assert.equal(expectedSlots('2019-02-16', 300), 300);
  assert.equal(expectedSlots('2019-02-16', 3600), 25);
});

test('slotStartWallMinutes follows the clock, DST days included', () => {
  const plain = slotStartWallMinutes('2024-03-12', 288, 300);
  assert.deepEqual([plain[0], plain[1], plain[143], plain[287]], [0, 5, 715, 1435]);
  const spring = slotStartWallMinutes('2018-11-04', 276, 300);
  assert.deepEqual([spring[0], spring[275]], [60, 1435]);
  // 2019-02-16: 23:00–24:00 happens twice.
  const fall = slotStartWallMinutes('2019-02-16', 300, 300);
  assert.deepEqual([fall[275], fall[276], fall[287], fall[288], fall[299]], [1375, 1380, 1435, 1380, 1435]);
  const hourly = slotStartWallMinutes('2024-03-12', 24, 3600);
  assert.equal(hourly[23], 1380);
});

test('slotOfInstant: slot k holds (start + k·Δ, start + (k+1)·Δ]', () => {
  const s = dayStartMs('2024-03-12');
  assert.equal(slotOfInstant(s, s, 300, 288), -1);
  assert.equal(slotOfInstant(s + 1, s, 300, 288), 0);
  assert.equal(slotOfInstant(s + 5 * MIN, s, 300, 288), 0);
  assert.equal(slotOfInstant(s + 5 * MIN + 1, s, 300, 288), 1);
  assert.equal(slotOfInstant(s + 1440 * MIN, s, 300, 288), 287);
  assert.equal(slotOfInstant(s + 1440 * MIN + 1, s, 300, 288), -1);
});

test('markCoverage: full only for a known range over the whole slot', () => {
  const s = dayStartMs('2024-03-12');
  const cover = (ranges: { from: number | null; to: number | null }[]) => {
    const out = new Uint8Array(288);
    markCoverage(out, ranges, s, 300);
    return out;
  };
  const exact = cover([{ from: s + 10 * MIN, to: s + 20 * MIN }]);
  assert.deepEqual([exact[1], exact[2], exact[3], exact[4]], [COVER_NONE, COVER_FULL, COVER_FULL, COVER_NONE]);
  const inside = cover([{ from: s + 11 * MIN, to: s + 12 * MIN }]);
  assert.deepEqual([inside[1], inside[2], inside[3]], [COVER_NONE, COVER_PARTIAL, COVER_NONE]);
  const ragged = cover([{ from: s + 12 * MIN, to: s + 23 * MIN }]);
  assert.deepEqual([...ragged.subarray(1, 6)], [COVER_NONE, COVER_PARTIAL, COVER_FULL, COVER_PARTIAL, COVER_NONE]);
  const open = cover([{ from: s + 1428 * MIN, to: null }]);
  assert.deepEqual([...open.subarray(285)], [COVER_PARTIAL, COVER_PARTIAL, COVER_PARTIAL]);
  assert.equal(open[284], COVER_NONE);
  const noStart = cover([{ from: null, to: s + 5 * MIN }]);
  assert.deepEqual([noStart[0], noStart[1]], [COVER_PARTIAL, COVER_NONE]);
  const instant = cover([{ from: s + 7 * MIN, to: s + 7 * MIN }]);
  assert.deepEqual([...instant.subarray(0, 3)], [COVER_NONE, COVER_PARTIAL, COVER_NONE]);
  assert.ok(cover([{ from: s + 20 * MIN, to: s + 10 * MIN }]).every((x) => x === COVER_NONE));
  assert.ok(cover([{ from: s - 100 * MIN, to: s - 50 * MIN }]).every((x) => x === COVER_NONE));
  // A range from the previous day fully covers the first slots; the highest mark wins across ranges.
  const spill = cover([
    { from: s - 60 * MIN, to: s + 7 * MIN },
    { from: s + 5 * MIN, to: s + 10 * MIN },
  ]);
  assert.deepEqual([...spill.subarray(0, 3)], [COVER_FULL, COVER_FULL, COVER_NONE]);
});

test('slotsPerHour', () => {
  assert.equal(slotsPerHour(300), 12);
  assert.equal(slotsPerHour(900), 4);
  assert.equal(slotsPerHour(3600), 1);
  assert.equal(slotsPerHour(7200), 1);
});
