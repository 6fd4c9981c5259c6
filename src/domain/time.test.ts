import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addDays,
  instantToWall,
  intervalsInDay,
  operatingDayOfIntervalEnd,
  operatingDayStart,
  wallToInstant,
  zoneOffsetMs,
} from './time.ts';

const H = 3_600_000;

test('Brasília is UTC−3 without DST today', () => {
  const t = Date.UTC(2026, 0, 15, 12);
  assert.equal(zoneOffsetMs(t), -3 * H);
  assert.equal(instantToWall(t), Date.UTC(2026, 0, 15, 9));
  assert.equal(wallToInstant(Date.UTC(2026, 0, 15, 9)), t);
});

test('old DST (summer 2018/19: UTC−2) is honoured', () => {
  assert.equal(zoneOffsetMs(Date.UTC(2019, 0, 15, 12)), -2 * H);
});

test('operating day labels: 00:05 is the first interval, 24:00 the last', () => {
  const start = operatingDayStart('2026-03-10');
  assert.equal(start, Date.UTC(2026, 2, 10, 3));
  assert.equal(operatingDayOfIntervalEnd(start + 5 * 60_000), '2026-03-10');
  assert.equal(operatingDayOfIntervalEnd(start + 24 * H), '2026-03-10');
  assert.equal(operatingDayOfIntervalEnd(start + 24 * H + 5 * 60_000), '2026-03-11');
});

test('288 five-minute intervals a day now; 276 and 300 on old DST change days', () => {
  assert.equal(intervalsInDay('2026-03-10', 300_000), 288);
  assert.equal(intervalsInDay('2018-11-04', 300_000), 276);
  assert.equal(intervalsInDay('2019-02-16', 300_000), 300);
});

test('wall→instant round trip across a DST fall-back keeps the earlier instant', () => {
  const wall = Date.UTC(2019, 1, 16, 23, 30);
  const inst = wallToInstant(wall);
  assert.equal(instantToWall(inst), wall);
  assert.equal(addDays('2026-12-31', 1), '2027-01-01');
});

test('a wall time inside the spring-forward gap maps to the instant after the gap', () => {
  // 2018-11-04 00:00 did not exist in Brasília: clocks jumped from 00:00 (−3) to 01:00 (−2) at 03:00Z.
  assert.equal(operatingDayStart('2018-11-04'), Date.UTC(2018, 10, 4, 3));
});

test('the offset is right on both sides of a DST change however calls are interleaved (remembered per second)', () => {
  // DST ended 2019-02-17 00:00 local (UTC−2) → 2019-02-16 23:00 (UTC−3), at 02:00 UTC.
  const change = Date.UTC(2019, 1, 17, 2);
  const london = Date.UTC(2019, 6, 1, 12);
  for (const [t, want] of [
    [change - 1, -2 * H],
    [change - 999, -2 * H],
    [change, -3 * H],
    [change + 999, -3 * H],
    [change - 1, -2 * H],
    [change + 1, -3 * H],
  ] as const) {
    assert.equal(zoneOffsetMs(t), want, `at change ${t - change} ms`);
    assert.equal(zoneOffsetMs(london, 'Europe/London'), H);
  }
  assert.equal(zoneOffsetMs(-1, 'UTC'), 0);
  assert.equal(zoneOffsetMs(-1), -3 * H);
});
