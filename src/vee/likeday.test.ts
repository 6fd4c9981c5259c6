import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { addDays } from '../domain/time.ts';
import { HolidayCalendar } from './calendar.ts';
import { likeDayFromFinal, likeDayProfile, selectLikeDays } from './likeday.ts';
import { DEFAULT_PARAMS } from './params.ts';
import { fixtureLikeDay } from './testing.ts';
import { emptyFinalDay, Quality } from './types.ts';

const LD = DEFAULT_PARAMS.estimation.LD;
const cal = HolidayCalendar.national();

/** Every day from `from` back `n` days, each a flat series of `slots` slots with value = its day-of-month. */
function daysBack(from: string, n: number, slots = 4) {
  const out = [];
  for (let i = 1; i <= n; i++) {
    const d = addDays(from, -i);
    out.push(fixtureLikeDay(d, new Array(slots).fill(Number(d.slice(8)))));
  }
  return out;
}

test('weekday: the 4 most recent weekdays, skipping Friday 2026-11-20 (Consciência Negra) and the weekend', () => {
  const got = selectLikeDays('2026-11-23', daysBack('2026-11-23', 28), cal, LD, 4);
  assert.deepEqual(
    got.map((d) => d.day),
    ['2026-11-19', '2026-11-18', '2026-11-17', '2026-11-16'],
  );
});

test('weekday: Finados 2026-11-02 (a Monday) is not a like-day of Monday 2026-11-09', () => {
  const got = selectLikeDays('2026-11-09', daysBack('2026-11-09', 28), cal, { ...LD, count: 10 }, 4);
  const days = got.map((d) => d.day);
  assert.ok(!days.includes('2026-11-02'));
  assert.deepEqual(days.slice(0, 5), ['2026-11-06', '2026-11-05', '2026-11-04', '2026-11-03', '2026-10-30']);
  // 20 weekdays in 4 weeks, less Finados; count caps at 10
  assert.equal(days.length, 10);
});

test('sunday_holiday: Sunday 2026-11-15 takes Sundays and the holidays, Finados included', () => {
  const got = selectLikeDays('2026-11-15', daysBack('2026-11-15', 28), cal, LD, 4);
  assert.deepEqual(
    got.map((d) => d.day),
    ['2026-11-08', '2026-11-02', '2026-11-01', '2026-10-25'],
  );
});

test('a holiday removed from the calendar is a weekday again', () => {
  const edited = cal.withRemoved('2026-11-20');
  const got = selectLikeDays('2026-11-23', daysBack('2026-11-23', 28), edited, LD, 4);
  assert.equal(got[0].day, '2026-11-20');
});

test('weeks bounds the search; other slot counts and low usable shares are skipped', () => {
  const candidates = [
    fixtureLikeDay('2026-11-19', [1, 2, 3]), // DST-length mismatch: 3 slots
    fixtureLikeDay('2026-11-18', [1, 2, 3, 4], [1, 1, 1, 0]), // 75 % usable < 90 %
    fixtureLikeDay('2026-11-17', [1, Number.NaN, 3, 4]), // NaN is not usable
    fixtureLikeDay('2026-11-16', [5, 5, 5, 5]),
    fixtureLikeDay('2026-11-16', [9, 9, 9, 9]), // duplicate day: first wins
    fixtureLikeDay('2026-10-26', [7, 7, 7, 7]), // exactly 4 weeks back: inside
    fixtureLikeDay('2026-10-23', [8, 8, 8, 8]), // beyond 4 weeks
  ];
  const got = selectLikeDays('2026-11-23', candidates, cal, LD, 4);
  assert.deepEqual(
    got.map((d) => [d.day, d.value[0]]),
    [
      ['2026-11-16', 5],
      ['2026-10-26', 7],
    ],
  );
  const loose = selectLikeDays('2026-11-23', candidates, cal, { ...LD, minValidShare: 0.7, weeks: 1 }, 4);
  assert.deepEqual(
    loose.map((d) => d.day),
    ['2026-11-18', '2026-11-17', '2026-11-16'],
  );
});

test('a like-day whose usable mask has the wrong length is a typed error', () => {
  const broken = { day: '2026-11-19', value: new Float64Array(4), usable: new Uint8Array(3) };
  assert.throws(
    () => selectLikeDays('2026-11-23', [broken], cal, LD, 4),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && /2026-11-19/.test(e.message),
  );
});

test('profile: per slot mean of the usable values only', () => {
  const p = likeDayProfile(
    [fixtureLikeDay('a', [1, 2, 3, 4], [1, 1, 0, 0]), fixtureLikeDay('b', [3, 6, Number.NaN, 8], [1, 1, 1, 0])],
    4,
  );
  assert.deepEqual(Array.from(p.subarray(0, 2)), [2, 4]);
  assert.ok(Number.isNaN(p[2]) && Number.isNaN(p[3]));
});

test('likeDayFromFinal: only A and S slots are usable; the series is copied', () => {
  const f = emptyFinalDay({ pointId: 1, pointCode: 'P', quantityCode: 1, day: '2026-11-19', slots: 5, intervalS: 300 });
  f.value.set([1, 2, 3, 4, Number.NaN]);
  f.quality.set([Quality.A, Quality.S, Quality.E, Quality.M, Quality.N]);
  const d = likeDayFromFinal(f);
  assert.equal(d.day, '2026-11-19');
  assert.deepEqual(Array.from(d.usable!), [1, 1, 0, 0, 0]);
  d.value[0] = 99;
  assert.equal(f.value[0], 1);
});
