import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { HolidayCalendar, parseCalendarSpec, weekdayOf } from './calendar.ts';

const typed = (e: unknown) =>
  isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') || isFronteiraError(e, 'FRONTEIRA_E_DOMAIN_ARGUMENT');

test('weekdayOf', () => {
  assert.equal(weekdayOf('2024-03-12'), 2);
  assert.equal(weekdayOf('2024-03-17'), 0);
  assert.equal(weekdayOf('2024-03-16'), 6);
});

test('day classes: weekday, Saturday, Sunday and holidays (national and pontos facultativos by default)', () => {
  const c = HolidayCalendar.national();
  assert.equal(c.dayClass('2024-03-12'), 'weekday');
  assert.equal(c.dayClass('2024-03-16'), 'saturday');
  assert.equal(c.dayClass('2024-03-17'), 'sunday_holiday');
  assert.equal(c.dayClass('2025-04-21'), 'sunday_holiday'); // Tiradentes, a Monday
  assert.equal(c.dayClass('2024-02-13'), 'sunday_holiday'); // Carnival Tuesday (ponto facultativo)
  assert.equal(c.holiday('2025-04-21')?.origin, 'national');
  const strict = new HolidayCalendar({ kinds: ['national'] });
  assert.equal(strict.dayClass('2024-02-13'), 'weekday');
  assert.equal(strict.dayClass('2025-04-21'), 'sunday_holiday');
});

test('like-day candidates: same class, most recent first, within the weeks asked, holidays left out', () => {
  const c = HolidayCalendar.national();
  // 2024-02-13 (Carnival Tuesday) is not a weekday-class day.
  assert.deepEqual(c.likeDayCandidates('2024-03-12', 4), [
    '2024-03-11',
    '2024-03-08',
    '2024-03-07',
    '2024-03-06',
    '2024-03-05',
    '2024-03-04',
    '2024-03-01',
    '2024-02-29',
    '2024-02-28',
    '2024-02-27',
    '2024-02-26',
    '2024-02-23',
    '2024-02-22',
    '2024-02-21',
    '2024-02-20',
    '2024-02-19',
    '2024-02-16',
    '2024-02-15',
    '2024-02-14',
  ]);
  assert.deepEqual(c.likeDayCandidates('2024-03-16', 2), ['2024-03-09', '2024-03-02']);
  // A holiday's like-days are Sundays and other holidays.
  assert.deepEqual(c.likeDayCandidates('2024-02-13', 1), ['2024-02-12', '2024-02-11']);
  assert.throws(() => c.likeDayCandidates('2024-03-12', 0), typed);
  assert.throws(() => c.likeDayCandidates('2024-3-12'), typed);
});

test('edits: added and removed dates, copies leave the original untouched', () => {
  const base = HolidayCalendar.national();
  const local = base.withAdded('2024-03-12', 'Aniversário da cidade');
  assert.equal(local.dayClass('2024-03-12'), 'sunday_holiday');
  assert.deepEqual(local.holiday('2024-03-12'), { date: '2024-03-12', name: 'Aniversário da cidade', origin: 'added' });
  assert.equal(base.dayClass('2024-03-12'), 'weekday');
  const noCarnival = local.withRemoved('2024-02-13');
  assert.equal(noCarnival.dayClass('2024-02-13'), 'weekday');
  assert.deepEqual(noCarnival.spec.removed, ['2024-02-13']);
  assert.equal(noCarnival.dayClass('2024-03-12'), 'sunday_holiday');
  // Removing an added date drops it rather than listing it as removed.
  const back = noCarnival.withRemoved('2024-03-12');
  assert.equal(back.dayClass('2024-03-12'), 'weekday');
  assert.deepEqual(back.spec.removed, ['2024-02-13']);
  // Re-adding a removed national date clears the removal.
  assert.deepEqual(back.withAdded('2024-02-13', 'Carnaval').spec.removed, []);
});

test('holidays(year) lists the calendar in force, sorted', () => {
  const c = new HolidayCalendar({
    added: [{ date: '2024-07-09', name: 'Revolução Constitucionalista' }],
    removed: ['2024-05-30'],
  });
  const list = c.holidays(2024);
  assert.ok(list.some((h) => h.date === '2024-07-09' && h.origin === 'added'));
  assert.ok(!list.some((h) => h.date === '2024-05-30'));
  assert.deepEqual(
    list.map((h) => h.date),
    [...list.map((h) => h.date)].sort(),
  );
  assert.ok(list.some((h) => h.date === '2024-12-25'));
  assert.throws(() => c.holidays(1500), typed);
});

test('parseCalendarSpec cleans and rejects with the field named', () => {
  assert.deepEqual(
    parseCalendarSpec({ added: [{ date: '2024-07-09', name: ' X ' }], removed: ['2024-05-30', '2024-05-30'] }),
    {
      kinds: ['national', 'optional'],
      added: [{ date: '2024-07-09', name: 'X' }],
      removed: ['2024-05-30'],
    },
  );
  const bad: [unknown, RegExp][] = [
    [null, /^calendar: must be an object/],
    [{ kinds: ['local'] }, /^calendar\.kinds/],
    [{ added: [{ date: '2024-02-30', name: 'x' }] }, /^calendar\.added\[0\]\.date/],
    [{ added: [{ date: '2024-02-01', name: ' ' }] }, /^calendar\.added\[0\]\.name/],
    [
      {
        added: [
          { date: '2024-02-01', name: 'a' },
          { date: '2024-02-01', name: 'b' },
        ],
      },
      /^calendar\.added\[1\]\.date/,
    ],
    [{ added: [{ date: '2024-02-01', name: 'a' }], removed: ['2024-02-01'] }, /^calendar\.removed\[0\]/],
    [{ other: 1 }, /^calendar\.other/],
  ];
  for (const [spec, re] of bad) {
    assert.throws(
      () => parseCalendarSpec(spec),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && re.test(e.message),
    );
  }
});
