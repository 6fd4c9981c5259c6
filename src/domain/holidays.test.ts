import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from './errors.ts';
import { brazilianHolidays, easterSunday, holidayOn } from './holidays.ts';

test('Easter Sunday for known years', () => {
  assert.equal(easterSunday(2000), '2000-04-23');
  assert.equal(easterSunday(2019), '2019-04-21');
  assert.equal(easterSunday(2024), '2024-03-31');
  assert.equal(easterSunday(2025), '2025-04-20');
  assert.equal(easterSunday(2026), '2026-04-05');
  assert.equal(easterSunday(2038), '2038-04-25');
  // Extremes of the Gregorian range of Easter dates.
  assert.equal(easterSunday(1818), '1818-03-22');
  assert.equal(easterSunday(1943), '1943-04-25');
});

test('2025 holidays: fixed dates and the Easter-based ones', () => {
  const list = brazilianHolidays(2025);
  const byName = new Map(list.map((h) => [h.name, h]));
  assert.equal(byName.get('Carnaval (segunda-feira)')?.date, '2025-03-03');
  assert.equal(byName.get('Carnaval (terça-feira)')?.date, '2025-03-04');
  assert.equal(byName.get('Sexta-feira da Paixão')?.date, '2025-04-18');
  assert.equal(byName.get('Corpus Christi')?.date, '2025-06-19');
  assert.deepEqual(
    list.filter((h) => h.kind === 'national').map((h) => h.date),
    [
      '2025-01-01',
      '2025-04-18',
      '2025-04-21',
      '2025-05-01',
      '2025-09-07',
      '2025-10-12',
      '2025-11-02',
      '2025-11-15',
      '2025-11-20',
      '2025-12-25',
    ],
  );
  assert.deepEqual(
    list.filter((h) => h.kind === 'optional').map((h) => h.date),
    ['2025-03-03', '2025-03-04', '2025-06-19'],
  );
  // Sorted and unique.
  const dates = list.map((h) => h.date);
  assert.deepEqual([...dates].sort(), dates);
  assert.equal(new Set(dates).size, dates.length);
});

test('2024 moveable holidays and 20/11 only from 2024', () => {
  const dates = brazilianHolidays(2024).map((h) => h.date);
  for (const d of ['2024-02-12', '2024-02-13', '2024-03-29', '2024-05-30', '2024-11-20'])
    assert.ok(dates.includes(d), d);
  assert.ok(!brazilianHolidays(2023).some((h) => h.date === '2023-11-20'));
  assert.equal(brazilianHolidays(2023).length, 12);
  assert.equal(brazilianHolidays(2024).length, 13);
});

test('2026: Carnival 16–17 Feb, Good Friday 3 Apr, Corpus Christi 4 Jun', () => {
  assert.equal(holidayOn('2026-02-16')?.kind, 'optional');
  assert.equal(holidayOn('2026-02-17')?.name, 'Carnaval (terça-feira)');
  assert.equal(holidayOn('2026-04-03')?.name, 'Sexta-feira da Paixão');
  assert.equal(holidayOn('2026-06-04')?.name, 'Corpus Christi');
  assert.equal(holidayOn('2026-06-05'), undefined);
});

test('ponta exemptions follow ANEEL: Carnival Monday keeps ponta, Tuesday does not', () => {
  const list = brazilianHolidays(2026);
  assert.equal(list.find((h) => h.date === '2026-02-16')?.noPonta, false);
  assert.equal(list.filter((h) => h.noPonta).length, 12);
});

test('returned lists are copies (callers cannot corrupt the cache)', () => {
  const a = brazilianHolidays(2027);
  a[0].name = 'changed';
  a.pop();
  assert.equal(brazilianHolidays(2027)[0].name, 'Confraternização Universal');
  assert.equal(brazilianHolidays(2027).length, 13);
});

test('bad years and dates are typed errors', () => {
  assert.throws(
    () => easterSunday(1200),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_DOMAIN_ARGUMENT'),
  );
  assert.throws(
    () => brazilianHolidays(2025.5),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_DOMAIN_ARGUMENT'),
  );
  assert.throws(
    () => holidayOn('25/12/2025'),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_DOMAIN_ARGUMENT'),
  );
});
