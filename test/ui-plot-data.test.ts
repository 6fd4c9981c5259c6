/**
 * The web UI's DOM-free helpers under Node: the per-pixel window the chart draws (extremes and gaps kept),
 * quality runs, and pt-BR formatting and parsing (dd/mm/aaaa, decimal comma, Brasília wall time).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmtDay, fmtNum, monthOf, parseNum, wallDate, zoneOffsetMs } from '../web/src/format.ts';
import { plotWindow, runsOf } from '../web/src/plot-data.ts';

function series(n: number): { x: Float64Array; y: Float64Array } {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    x[k] = 1_000_000 + (k + 1) * 300;
    y[k] = Math.sin(k / 10) * 100;
  }
  return { x, y };
}

test('plotWindow gives the slots themselves when they fit, NaN as a gap', () => {
  const { x, y } = series(50);
  y[10] = Number.NaN;
  const [wx, wy] = plotWindow(x, [y], x[0], x[49], 100) as [Float64Array, (number | null)[]];
  assert.equal(wx.length, 50);
  assert.equal(wy[10], null);
  assert.equal(wy[11], y[11]);
});

test('plotWindow reduces a year to two points per pixel column and keeps every extreme', () => {
  const { x, y } = series(105_120);
  y[50_000] = 1e6;
  y[70_000] = -1e6;
  for (let k = 90_000; k < 91_000; k++) y[k] = Number.NaN;
  const [wx, wy] = plotWindow(x, [y], x[0], x[x.length - 1], 1000) as [Float64Array, (number | null)[]];
  assert.equal(wx.length, 2000);
  assert.equal(wy.length, 2000);
  const values = wy.filter((v): v is number => v !== null);
  assert.equal(Math.max(...values), 1e6);
  assert.equal(Math.min(...values), -1e6);
  assert.ok(wy.includes(null), 'a column with no value is a gap');
  for (let k = 1; k < wx.length; k++) assert.ok(wx[k] >= wx[k - 1], 'x stays ordered');
});

test('plotWindow of a zoomed window covers just that window (plus one slot each side)', () => {
  const { x, y } = series(10_000);
  const [wx] = plotWindow(x, [y], x[1000], x[1099], 500) as [Float64Array];
  assert.equal(wx.length, 102);
  assert.equal(wx[0], x[999]);
  assert.equal(wx[wx.length - 1], x[1100]);
});

test('runsOf groups consecutive non-actual slots by quality', () => {
  // N A A S S E A M
  const q = Uint8Array.from([0, 1, 1, 2, 2, 3, 1, 4]);
  assert.deepEqual(runsOf(q), [
    { from: 0, to: 0, q: 0 },
    { from: 3, to: 4, q: 2 },
    { from: 5, to: 5, q: 3 },
    { from: 7, to: 7, q: 4 },
  ]);
});

test('pt-BR formats: dd/mm/aaaa, decimal comma; parsing accepts both separators', () => {
  assert.equal(fmtDay('2026-11-26'), '26/11/2026');
  assert.equal(fmtNum(1234.5, 2), '1.234,5');
  assert.equal(parseNum('1.234,5'), 1234.5);
  assert.equal(parseNum('123,5'), 123.5);
  assert.equal(parseNum('123.5'), 123.5);
  assert.equal(parseNum('abc'), null);
  assert.equal(parseNum(''), null);
});

test('Brasília wall time: UTC−3 today, UTC−2 under the old summer time', () => {
  assert.equal(zoneOffsetMs(Date.parse('2026-11-26T12:00:00Z')), -3 * 3_600_000);
  assert.equal(zoneOffsetMs(Date.parse('2018-01-15T12:00:00Z')), -2 * 3_600_000);
  const w = wallDate(Date.parse('2026-11-26T03:05:00Z'));
  assert.deepEqual([w.getDate(), w.getMonth() + 1, w.getHours(), w.getMinutes()], [26, 11, 0, 5]);
});

test('calendar months for the Ponto page shortcuts', () => {
  assert.deepEqual(monthOf('2026-11-27'), { from: '2026-11-01', to: '2026-11-30' });
  assert.deepEqual(monthOf('2026-11-27', -1), { from: '2026-10-01', to: '2026-10-31' });
  assert.deepEqual(monthOf('2026-01-05', -1), { from: '2025-12-01', to: '2025-12-31' });
  assert.deepEqual(monthOf('2028-03-31', -1), { from: '2028-02-01', to: '2028-02-29' });
});
