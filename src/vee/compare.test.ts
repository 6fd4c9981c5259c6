import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { comparePoint, compareRange, diffPercent, slotLabels, usedLabel, wallLabel } from './compare.ts';
import { DEFAULT_PARAMS, mergeParams } from './params.ts';
import { expectedSlots } from './slots.ts';
import { emptyFinalDay, type FinalDay, Method, meterDay, Quality, RAW_ACTUAL, Reason, Source } from './types.ts';

const DAY = '2024-03-04';

function md(
  role: 'principal' | 'retaguarda',
  values: (number | null)[],
  opts: { quantityCode?: number; day?: string; intervalS?: number; meterId?: number } = {},
) {
  return meterDay({
    meterId: opts.meterId ?? (role === 'principal' ? 1 : 2),
    role,
    channel: opts.quantityCode === 14 ? 4 : 1,
    quantityCode: opts.quantityCode ?? 1,
    day: opts.day ?? DAY,
    slots: values.length,
    intervalS: opts.intervalS ?? 300,
    value: values,
    flags: Uint8Array.from(values, (v) => (v === null ? 0 : RAW_ACTUAL)),
  });
}

const fill = (n: number, v: number | null): (number | null)[] => new Array(n).fill(v);

function near(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);
}

function final(sources: { from: number; to: number; source: number; method: number; quality: number }[]): FinalDay {
  const f = emptyFinalDay({ pointId: 1, pointCode: 'P1', quantityCode: 1, day: DAY, slots: 288, intervalS: 300 });
  for (const s of sources) {
    for (let k = s.from; k <= s.to; k++) {
      f.value[k] = 10;
      f.source[k] = s.source;
      f.method[k] = s.method;
      f.quality[k] = s.quality;
      f.reason[k] = Reason.none;
    }
  }
  return f;
}

describe('diffPercent', () => {
  test('relative to the principal; to the retaguarda when the principal is ~0; NaN when undefined', () => {
    near(diffPercent(10, 10.1), -1, '10 vs 10.1');
    near(diffPercent(10.1, 10), 0.9900990099009901, '10.1 vs 10');
    assert.equal(diffPercent(0.5, 0), 100);
    assert.equal(diffPercent(0, 0.5), -100);
    assert.ok(Number.isNaN(diffPercent(0, 0)));
    assert.ok(Number.isNaN(diffPercent(Number.NaN, 1)));
    assert.ok(Number.isNaN(diffPercent(1, Number.NaN)));
  });
});

describe('comparePoint', () => {
  test('principal 10.1 vs retaguarda 10: 0.99 % per interval and hour, daily beyond 0.5 %', () => {
    const cmp = comparePoint({
      day: DAY,
      principal: [md('principal', fill(288, 10.1))],
      retaguarda: [md('retaguarda', fill(288, 10))],
      finals: [],
      params: DEFAULT_PARAMS,
    });
    assert.equal(cmp.quantities.length, 1);
    const q = cmp.quantities[0];
    assert.equal(q.quantityCode, 1);
    assert.equal(q.unit, 'kWh');
    assert.equal(q.slots, 288);
    assert.ok(q.diffPct instanceof Float64Array);
    near(q.diff[0], 0.1, 'diff');
    near(q.diffPct[0], 0.9900990099009901, 'interval pct');
    assert.equal(q.hours.length, 24);
    assert.equal(q.hours[0].hour, '00:00');
    assert.equal(q.hours[23].hour, '23:00');
    near(q.hours[5].principal, 121.2, 'hour principal');
    near(q.hours[5].retaguarda, 120, 'hour retaguarda');
    near(q.hours[5].pct, 0.9900990099009901, 'hour pct');
    assert.equal(q.hours[5].beyond, false, '0.99 % is within the 1 % hourly tolerance');
    assert.equal(q.longestBeyondHours, 0);
    near(q.day.principal, 2908.8, 'day principal');
    near(q.day.retaguarda, 2880, 'day retaguarda');
    near(q.day.pct, 0.9900990099009901, 'day pct');
    assert.equal(q.day.beyond, true);
    assert.equal(q.day.compared, 288);
    assert.deepEqual(q.beyond, [], '0.99 % is within the 2 % interval tolerance');
  });

  test('a spike: listed beyond tolerance with its end time, its hour beyond, the day within', () => {
    const p = fill(288, 10);
    p[13] = 12; // 01:05–01:10
    const cmp = comparePoint({
      day: DAY,
      principal: [md('principal', p)],
      retaguarda: [md('retaguarda', fill(288, 10))],
      finals: [final([{ from: 0, to: 287, source: Source.principal, method: Method.none, quality: Quality.A }])],
      params: DEFAULT_PARAMS,
    });
    const q = cmp.quantities[0];
    assert.deepEqual(q.beyond, [
      { slot: 13, end: '01:10', principal: 12, retaguarda: 10, diff: 2, pct: (100 * 2) / 12, used: 'principal' },
    ]);
    near(q.hours[1].principal, 122, 'hour 01 principal');
    near(q.hours[1].pct, (100 * 2) / 122, 'hour 01 pct');
    assert.equal(q.hours[1].beyond, true);
    assert.deepEqual(
      q.hours.filter((h) => h.beyond).map((h) => h.hour),
      ['01:00'],
    );
    assert.equal(q.longestBeyondHours, 1);
    near(q.day.pct, (100 * 2) / 2882, 'day pct');
    assert.equal(q.day.beyond, false);
  });

  test('tolerances come from params.compare and rules.V11; tiny intervals are not listed', () => {
    const p = fill(288, 10);
    p[0] = 0.5;
    const r = fill(288, 10);
    r[0] = 0;
    const params = mergeParams(DEFAULT_PARAMS, {
      compare: { minIntervalEnergy: 1 },
      rules: { V11: { hourlyPct: 50 } },
    });
    const q = comparePoint({
      day: DAY,
      principal: [md('principal', p)],
      retaguarda: [md('retaguarda', r)],
      finals: [],
      params,
    }).quantities[0];
    assert.equal(q.diffPct[0], 100);
    assert.deepEqual(q.beyond, [], 'below minIntervalEnergy');
    assert.equal(q.hours[0].beyond, false, 'within a 50 % hourly tolerance');
    assert.equal(q.tolerances.hourlyPct, 50);
    const q2 = comparePoint({
      day: DAY,
      principal: [md('principal', p)],
      retaguarda: [md('retaguarda', r)],
      finals: [],
      params: DEFAULT_PARAMS,
    }).quantities[0];
    assert.deepEqual(
      q2.beyond.map((b) => [b.slot, b.end, b.pct]),
      [[0, '00:05', 100]],
    );
  });

  test('missing slots on either side are excluded from the sums and counted', () => {
    const p = fill(288, 10);
    const r = fill(288, 10);
    p[30] = null; // hour 02
    r[40] = null; // hour 03
    r[41] = null;
    p[50] = null; // hour 04, both missing
    r[50] = null;
    r[30] = 99; // would spoil hour 02 if it were summed
    const q = comparePoint({
      day: DAY,
      principal: [md('principal', p)],
      retaguarda: [md('retaguarda', r)],
      finals: [],
      params: DEFAULT_PARAMS,
    }).quantities[0];
    assert.ok(Number.isNaN(q.diff[30]));
    assert.ok(Number.isNaN(q.diffPct[30]));
    assert.equal(q.hours[2].compared, 11);
    assert.equal(q.hours[2].slots, 12);
    near(q.hours[2].principal, 110, 'hour 02 principal');
    near(q.hours[2].retaguarda, 110, 'hour 02 retaguarda');
    assert.equal(q.hours[3].compared, 10);
    near(q.hours[3].diff, 0, 'hour 03 diff');
    assert.equal(q.day.compared, 284);
    assert.equal(q.day.missingPrincipal, 2);
    assert.equal(q.day.missingRetaguarda, 3);
    near(q.day.principal, 2840, 'day principal');
    near(q.day.pct, 0, 'day pct');
    assert.deepEqual(q.beyond, []);
  });

  test('an hour with nothing to compare has null sums and is not beyond', () => {
    const p = fill(288, 10);
    for (let k = 0; k < 12; k++) p[k] = null;
    const q = comparePoint({
      day: DAY,
      principal: [md('principal', p)],
      retaguarda: [md('retaguarda', fill(288, 10))],
      finals: [],
      params: DEFAULT_PARAMS,
    }).quantities[0];
    assert.deepEqual(
      { ...q.hours[0] },
      {
        hour: '00:00',
        firstSlot: 0,
        lastSlot: 11,
        principal: null,
        retaguarda: null,
        diff: null,
        pct: null,
        beyond: false,
        compared: 0,
        slots: 12,
      },
    );
  });

  test('which source the final series used, per interval and counted', () => {
    const p = fill(288, 10);
    p[5] = 20;
    const f = final([
      { from: 0, to: 9, source: Source.retaguarda, method: Method.RT, quality: Quality.S },
      { from: 10, to: 11, source: Source.estimate, method: Method.LI, quality: Quality.E },
      { from: 12, to: 12, source: Source.manual, method: Method.ME, quality: Quality.M },
      { from: 13, to: 286, source: Source.principal, method: Method.none, quality: Quality.A },
    ]);
    const cmp = comparePoint({
      day: DAY,
      principal: [md('principal', p)],
      retaguarda: [md('retaguarda', fill(288, 10))],
      finals: [f],
      params: DEFAULT_PARAMS,
    });
    const q = cmp.quantities[0];
    assert.deepEqual(q.usedCounts, { none: 1, principal: 274, retaguarda: 10, estimate: 2, manual: 1, virtual: 0 });
    assert.equal(q.used[10], Source.estimate);
    assert.equal(q.usedMethod[10], Method.LI);
    assert.equal(q.beyond[0].used, 'retaguarda');
    assert.equal(usedLabel(q.used[0], q.usedMethod[0]), 'retaguarda (RT)');
    assert.equal(usedLabel(q.used[10], q.usedMethod[10]), 'estimativa (LI)');
    assert.equal(usedLabel(q.used[20], q.usedMethod[20]), 'principal');
    assert.equal(usedLabel(q.used[287], q.usedMethod[287]), 'nenhum');
    assert.deepEqual(cmp.messages, []);
  });

  test('without a final series every interval is "none" and a message says so', () => {
    const cmp = comparePoint({
      day: DAY,
      principal: [md('principal', fill(288, 1))],
      retaguarda: [md('retaguarda', fill(288, 1))],
      finals: [],
      params: DEFAULT_PARAMS,
    });
    assert.equal(cmp.quantities[0].usedCounts.none, 288);
    assert.match(cmp.messages[0], /quantity 1: no final series/);
  });

  test('only quantities both meters hold are compared, ascending; a replaced meter is merged', () => {
    const firstHalf = [...fill(144, 10), ...fill(144, null)];
    const secondHalf = [...fill(144, null), ...fill(144, 11)];
    const cmp = comparePoint({
      day: DAY,
      principal: [
        md('principal', fill(288, 5), { quantityCode: 14 }),
        md('principal', firstHalf, { meterId: 1 }),
        md('principal', secondHalf, { meterId: 3 }),
        md('principal', fill(288, 2), { quantityCode: 10 }),
      ],
      retaguarda: [md('retaguarda', fill(288, 2), { quantityCode: 10 }), md('retaguarda', fill(288, 10))],
      finals: [],
      params: DEFAULT_PARAMS,
    });
    assert.deepEqual(
      cmp.quantities.map((q) => [q.quantityCode, q.unit]),
      [
        [1, 'kWh'],
        [10, 'kvarh'],
      ],
    );
    const q = cmp.quantities[0];
    assert.deepEqual(q.principalMeterIds, [1, 3]);
    assert.equal(q.day.compared, 288);
    near(q.day.principal, 144 * 10 + 144 * 11, 'merged principal');
  });

  test('meters on different intervals are not compared; data of another day is refused', () => {
    const cmp = comparePoint({
      day: DAY,
      principal: [md('principal', fill(288, 1))],
      retaguarda: [md('retaguarda', fill(96, 3), { intervalS: 900 })],
      finals: [],
      params: DEFAULT_PARAMS,
    });
    assert.deepEqual(cmp.quantities, []);
    assert.match(cmp.messages[0], /quantity 1 not compared: principal has 288 slots of 300 s, retaguarda 96 of 900 s/);
    assert.throws(
      () =>
        comparePoint({
          day: DAY,
          principal: [md('principal', fill(288, 1), { day: '2024-03-05' })],
          retaguarda: [],
          finals: [],
          params: DEFAULT_PARAMS,
        }),
      (e: unknown) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && /2024-03-05/.test(e.message),
    );
  });

  test('15-minute meters: four slots an hour', () => {
    const q = comparePoint({
      day: DAY,
      principal: [md('principal', fill(96, 4), { intervalS: 900 })],
      retaguarda: [md('retaguarda', fill(96, 4), { intervalS: 900 })],
      finals: [],
      params: DEFAULT_PARAMS,
    }).quantities[0];
    assert.equal(q.hours.length, 24);
    assert.deepEqual([q.hours[3].firstSlot, q.hours[3].lastSlot, q.hours[3].principal], [12, 15, 16]);
  });

  test('DST days: 23 hours starting at 01:00, and 25 hours with 23:00 twice', () => {
    const spring = '2018-11-04';
    const n1 = expectedSlots(spring, 300);
    assert.equal(n1, 276);
    const q1 = comparePoint({
      day: spring,
      principal: [md('principal', fill(n1, 1), { day: spring })],
      retaguarda: [md('retaguarda', fill(n1, 1), { day: spring })],
      finals: [],
      params: DEFAULT_PARAMS,
    }).quantities[0];
    assert.equal(q1.hours.length, 23);
    assert.equal(q1.hours[0].hour, '01:00');
    assert.equal(q1.hours[22].hour, '23:00');

    const autumn = '2019-02-16';
    const n2 = expectedSlots(autumn, 300);
    assert.equal(n2, 300);
    const p = fill(n2, 1);
    p[n2 - 1] = 2;
    const q2 = comparePoint({
      day: autumn,
      principal: [md('principal', p, { day: autumn })],
      retaguarda: [md('retaguarda', fill(n2, 1), { day: autumn })],
      finals: [],
      params: DEFAULT_PARAMS,
    }).quantities[0];
    assert.equal(q2.hours.length, 25);
    assert.deepEqual(
      q2.hours.slice(22).map((h) => [h.hour, h.firstSlot, h.lastSlot]),
      [
        ['22:00', 264, 275],
        ['23:00', 276, 287],
        ['23:00', 288, 299],
      ],
    );
    assert.deepEqual(
      q2.beyond.map((b) => [b.slot, b.end]),
      [[299, '24:00']],
    );
  });
});

describe('labels', () => {
  test('wall labels and slot labels', () => {
    assert.equal(wallLabel(0), '00:00');
    assert.equal(wallLabel(65), '01:05');
    assert.equal(wallLabel(1440), '24:00');
    const l = slotLabels(DAY, 288, 300);
    assert.deepEqual([l.hour[0], l.end[0]], ['00:00', '00:05']);
    assert.deepEqual([l.hour[287], l.end[287]], ['23:00', '24:00']);
    assert.deepEqual([l.hour[12], l.end[12]], ['01:00', '01:05']);
  });
});

describe('compareRange', () => {
  test('period totals over days, per quantity', () => {
    const day = (d: string, p: number, r: number) =>
      comparePoint({
        day: d,
        principal: [md('principal', fill(288, p), { day: d })],
        retaguarda: [md('retaguarda', fill(288, r), { day: d })],
        finals: [],
        params: DEFAULT_PARAMS,
      });
    const range = compareRange([day('2024-03-05', 10, 10), day('2024-03-04', 10, 9)]);
    assert.equal(range.from, '2024-03-04');
    assert.equal(range.to, '2024-03-05');
    assert.equal(range.quantities.length, 1);
    const t = range.quantities[0];
    assert.equal(t.days, 2);
    near(t.principal, 5760, 'principal');
    near(t.retaguarda, 2880 + 2592, 'retaguarda');
    near(t.diff, 288, 'diff');
    near(t.pct, (100 * 288) / 5760, 'pct');
    assert.equal(t.compared, 576);
    assert.equal(t.beyondDays, 1);
    assert.equal(t.beyondHours, 24);
    assert.equal(t.beyondIntervals, 288);
    assert.equal(t.usedCounts.none, 576);
    assert.deepEqual(compareRange([]), { from: null, to: null, quantities: [] });
  });
});
