import assert from 'node:assert/strict';
import test from 'node:test';
import { Random } from '../domain/random.ts';
import { intervalsJson, numberJson } from './json.ts';
import type { Series } from './series.ts';

test('numberJson writes what JSON.stringify writes, for interval-like and arbitrary numbers', () => {
  const rnd = new Random('intervals-json');
  const xs: number[] = [0, -0, 1, 0.1, 0.01, 0.05, 1.05, 2.5, 12.34, 0.000001, 1e-7, 0.0125, 999_999_999.99, 1e9, 1e21];
  xs.push(-1.5, -0.01, 1 / 3, Math.PI, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 123_456.000_001);
  for (let i = 0; i < 20_000; i++) {
    const p = rnd.int(0, 5_000_000);
    xs.push(p / 100, p / 10_000, p / 1_000_000, p * 0.0125, (p * 7) / 1000, p * 1.2 * 0.01, rnd.next() * 1000);
    xs.push(-p / 100, rnd.next() * 1e12);
  }
  for (const x of xs) assert.equal(numberJson(x), JSON.stringify(x), `x = ${x}`);
  for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) assert.equal(numberJson(x), 'null');
});

test('intervalsJson is the JSON of the same answer built as objects (missing values null, extra columns)', () => {
  const value = Float64Array.from({ length: 288 }, (_, k) => (k % 7 === 0 ? Number.NaN : k / 100 - 0.5));
  value[3] = Number.POSITIVE_INFINITY;
  const quality = Uint8Array.from({ length: 288 }, (_, k) => k % 6);
  const flags = new Uint8Array(288).fill(9);
  const method = Array.from({ length: 288 }, (_, k) => (k % 2 ? 'RT' : 'a "quoted" name'));
  const series: Series[] = [
    {
      meterSerial: '30000001',
      role: 'principal',
      channel: 1,
      quantityCode: 1,
      unit: 'kWh',
      days: [
        {
          day: '2026-10-01',
          intervalS: 300,
          slots: 288,
          firstEnd: Date.parse('2026-10-01T03:05:00Z'),
          value,
          quality,
          extra: { flags },
        },
        {
          day: '2026-10-02',
          intervalS: 300,
          slots: 288,
          firstEnd: Date.parse('2026-10-02T03:05:00Z'),
          value: new Float64Array(288).fill(1.25),
          quality: new Uint8Array(288).fill(1),
          extra: { method },
          version: 2,
        },
      ],
    },
    { quantityCode: null, unit: '', days: [] },
  ];
  const head = {
    point: 'SPBENCH000001',
    timezone: 'America/Sao_Paulo',
    layer: 'raw' as const,
    resolution: '5min' as const,
    from: '2026-10-01',
    to: '2026-10-02',
  };
  const body = JSON.parse(intervalsJson(head, series));
  assert.equal(body.point, 'SPBENCH000001');
  assert.equal(body.series.length, 2);
  assert.deepEqual(body.series[1], { quantityCode: null, unit: '', days: [] });
  const [d1, d2] = body.series[0].days;
  assert.equal(d1.firstEnd, '2026-10-01T00:05:00-03:00');
  assert.equal(d1.version, undefined);
  assert.equal(d1.values[0], null);
  assert.equal(d1.values[3], null);
  assert.equal(d1.values[1], 0.01 - 0.5);
  assert.deepEqual(d1.quality.slice(0, 6), ['N', 'A', 'S', 'E', 'M', 'N']);
  assert.equal(d1.flags.length, 288);
  assert.equal(d1.flags[5], 9);
  assert.equal(d2.version, 2);
  assert.equal(d2.values[287], 1.25);
  assert.equal(d2.method[0], 'a "quoted" name');
  assert.deepEqual(Object.keys(d2), [
    'day',
    'intervalS',
    'slots',
    'firstEnd',
    'version',
    'values',
    'quality',
    'method',
  ]);
});
