import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { formatDateTime, formatDecimal, parseBoolean, parseDateTime, parseDecimal } from './text.ts';

function rejects(fn: () => unknown, field: string, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'), String(e));
    assert.equal(e.details.field, field);
    assert.match(String(e.details.reason), reason);
    return true;
  });
}

test('decimals: comma or point, thousands grouping, ambiguity refused', () => {
  assert.equal(parseDecimal('x', '13,8'), 13.8);
  assert.equal(parseDecimal('x', '13.8'), 13.8);
  assert.equal(parseDecimal('x', ' 1.234,5 '), 1234.5);
  assert.equal(parseDecimal('x', '1,234.5'), 1234.5);
  assert.equal(parseDecimal('x', '1.234.567'), 1234567);
  assert.equal(parseDecimal('x', '0,001'), 0.001);
  assert.equal(parseDecimal('x', '1,500'), 1.5, 'a lone comma is decimal');
  assert.equal(parseDecimal('x', '0.500'), 0.5, 'a leading zero cannot be a thousands group');
  assert.equal(parseDecimal('x', '-2'), -2);
  assert.equal(parseDecimal('x', 7), 7);
  rejects(() => parseDecimal('carga', '1.500'), 'carga', /ambiguous: write 1500 or 1,5/);
  rejects(() => parseDecimal('x', '1,2,3'), 'x', /more than one decimal comma/);
  rejects(() => parseDecimal('x', '12.34,5'), 'x', /group thousands/);
  rejects(() => parseDecimal('x', 'abc'), 'x', /not a number/);
  rejects(() => parseDecimal('x', ''), 'x', /empty/);
  rejects(() => parseDecimal('x', Number.NaN), 'x', /finite/);
});

test('decimal formatting reads back exactly', () => {
  for (const n of [0, 1, 13.8, 0.001, 1234.5, 1.234, 100000, 0.0000001, 2.5e-9]) {
    const s = formatDecimal(n);
    assert.doesNotMatch(s, /e/i);
    assert.equal(parseDecimal('x', s), n, s);
  }
  assert.equal(formatDecimal(13.8), '13,8');
});

test('dates: dd/mm/aaaa [hh:mm[:ss]] in the zone, ISO with or without offset', () => {
  assert.equal(parseDateTime('d', '01/02/2025').toISOString(), '2025-02-01T03:00:00.000Z');
  assert.equal(parseDateTime('d', '1/2/2025 14:30').toISOString(), '2025-02-01T17:30:00.000Z');
  assert.equal(parseDateTime('d', '01/02/2025 14:30:15').toISOString(), '2025-02-01T17:30:15.000Z');
  assert.equal(parseDateTime('d', '2025-02-01').toISOString(), '2025-02-01T03:00:00.000Z');
  assert.equal(parseDateTime('d', '2025-02-01T14:30').toISOString(), '2025-02-01T17:30:00.000Z');
  assert.equal(parseDateTime('d', '2025-02-01T14:30:00Z').toISOString(), '2025-02-01T14:30:00.000Z');
  assert.equal(parseDateTime('d', '2025-02-01T14:30:00-02:00').toISOString(), '2025-02-01T16:30:00.000Z');
  assert.equal(parseDateTime('d', '01/02/2025 14:30', 'America/Manaus').toISOString(), '2025-02-01T18:30:00.000Z');
  // Brasília summer time (UTC−2) in January 2015.
  assert.equal(parseDateTime('d', '10/01/2015 12:00').toISOString(), '2015-01-10T14:00:00.000Z');
  rejects(() => parseDateTime('valido_desde', '31/02/2025'), 'valido_desde', /calendar date/);
  rejects(() => parseDateTime('d', '01/02/2025 25:00'), 'd', /calendar date/);
  rejects(() => parseDateTime('d', 'ontem'), 'd', /not a date/);
});

test('date formatting: dd/mm/aaaa hh:mm in the zone, reads back to the same instant', () => {
  const cases = [
    '2025-02-01T17:30:00.000Z',
    '2025-02-01T17:30:15.000Z',
    '1999-12-31T02:00:00.000Z',
    '2000-01-01T00:00:00.000Z',
    '2015-01-10T14:00:00.000Z',
  ];
  for (const iso of cases) {
    const d = new Date(iso);
    const s = formatDateTime(d);
    assert.equal(parseDateTime('d', s).toISOString(), iso, s);
  }
  assert.equal(formatDateTime(new Date('2025-02-01T17:30:00Z')), '01/02/2025 14:30');
  assert.equal(formatDateTime(new Date('2025-02-01T17:30:15Z')), '01/02/2025 14:30:15');
  // The second 23:30 of the 2018-02-17 fall-back cannot be written as wall time alone.
  const second = new Date('2018-02-18T02:30:00Z');
  assert.equal(formatDateTime(new Date('2018-02-18T01:30:00Z')), '17/02/2018 23:30');
  assert.match(formatDateTime(second), /^2018-02-17T23:30:00\.000-03:00$/);
  assert.equal(parseDateTime('d', formatDateTime(second)).toISOString(), second.toISOString());
});

test('booleans in Portuguese and English', () => {
  for (const t of ['sim', 'Sim', 'S', 'yes', 'true', '1', 'x', 'VERDADEIRO'])
    assert.equal(parseBoolean('b', t), true, t);
  for (const f of ['não', 'nao', 'N', 'no', 'false', '0', 'falso']) assert.equal(parseBoolean('b', f), false, f);
  rejects(() => parseBoolean('direcional', 'talvez'), 'direcional', /sim\/não/);
});
