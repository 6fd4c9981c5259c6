import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { Random } from '../domain/random.ts';
import { addDays } from '../domain/time.ts';
import { type EstimateInput, estimate } from './estimate.ts';
import type { ChainMethod, VeeParamsPatch } from './params.ts';
import {
  type ChannelFixture,
  FIXTURE_DAY,
  finalTripleProblems,
  fixtureEstimate,
  fixtureLikeDay,
  type SlotFlag,
  slotRange,
} from './testing.ts';
import {
  type FinalDay,
  finalDaysEqual,
  type LikeDay,
  type MeterContext,
  Method,
  methodName,
  Quality,
  qualityName,
  RAW_CONFLICT,
  Reason,
  type RegisterAdvance,
  reasonName,
  Severity,
  sourceName,
  type TimeRange,
} from './types.ts';

const DAY = FIXTURE_DAY;

/** quality/method/source/reason of slot k, by name. */
function codes(f: FinalDay, k: number): string {
  return `${qualityName(f.quality[k])} ${methodName(f.method[k])} ${sourceName(f.source[k])} ${reasonName(f.reason[k])}`;
}

function values(f: FinalDay, from = 0, to = f.slots - 1): (number | null)[] {
  return Array.from(f.value.subarray(from, to + 1), (v) => (Number.isNaN(v) ? null : v));
}

function close(actual: readonly (number | null)[], expected: readonly number[], eps = 1e-9): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  actual.forEach((v, i) => {
    assert.ok(v !== null && Math.abs(v - expected[i]) <= eps, `slot ${i}: ${v} vs ${expected[i]} in ${actual}`);
  });
}

function only(e: EstimateInput): FinalDay {
  const out = estimate(e);
  assert.equal(out.length, 1);
  assert.deepEqual(finalTripleProblems(out[0]), []);
  return out[0];
}

function withGap(n: number, base: (k: number) => number, gap: readonly number[]): (number | null)[] {
  return Array.from({ length: n }, (_, k) => (gap.includes(k) ? null : base(k)));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function principalCtx(over: Partial<MeterContext>): MeterContext {
  return { meterId: 1, role: 'principal', ...over };
}

function outages(...ranges: TimeRange[]): MeterContext['events'] {
  return { outages: ranges, clockChanges: [], occurrences: [] };
}

/** Like-days of the weekdays before DAY (2026-11-20 is a holiday, so 19, 18, 17, 16), flat at the given values. */
function weekdayHistory(slots: number, perDay: Record<string, number>): LikeDay[] {
  return Object.entries(perDay).map(([d, v]) => fixtureLikeDay(d, new Array(slots).fill(v)));
}

// ---------------------------------------------------------------------------------------------------------------
// Actuals

test('valid principal actuals are kept as A / none / principal / none; notes name the meters and unit', () => {
  const e = fixtureEstimate({
    channels: [
      { values: [1, 2, 3, 4], unit: 'kWh' },
      { role: 'retaguarda', values: [9, 9, 9, 9] },
    ],
    params: { estimation: { SC: { enabled: true } } },
  });
  const f = only(e);
  assert.deepEqual(values(f), [1, 2, 3, 4]);
  for (let k = 0; k < 4; k++) assert.equal(codes(f, k), 'A none principal none');
  assert.equal(f.unit, 'kWh');
  assert.equal(f.pointId, 7);
  assert.equal(f.pointCode, 'PT-TEST');
  assert.equal(f.day, DAY);
  assert.equal(f.intervalS, 300);
  assert.equal(f.notes.principalMeterId, 1);
  assert.equal(f.notes.retaguardaMeterId, 2);
  assert.equal(f.notes.messages, undefined);
  assert.deepEqual(f.notes.worstCase, { slots: 0, energy: 0, estimatedEnergy: 0, difference: 0 });
});

test('a warning does not make a candidate; an actual with an error flag does', () => {
  const f = only(
    fixtureEstimate({
      channels: [
        {
          values: [10, 11, 50, 13, 14],
          flags: [
            { from: 0, rule: 'V06', severity: 'warning' },
            { from: 2, rule: 'V07', severity: 'error' },
          ],
        },
      ],
    }),
  );
  assert.equal(codes(f, 0), 'A none principal none');
  assert.equal(codes(f, 2), 'E LI estimate rule:V07');
  assert.equal(f.value[2], 12);
});

test('one final day per principal quantity code, sorted; retaguarda-only codes are not estimated', () => {
  const out = estimate(
    fixtureEstimate({
      channels: [
        { quantityCode: 14, channel: 4, values: [0, 0] },
        { quantityCode: 1, channel: 1, values: [1, 1] },
        { quantityCode: 10, channel: 2, values: [2, 2] },
        { role: 'retaguarda', quantityCode: 11, channel: 3, values: [3, 3] },
      ],
    }),
  );
  assert.deepEqual(
    out.map((f) => [f.quantityCode, f.unit]),
    [
      [1, 'kWh'],
      [10, 'kvarh'],
      [14, 'kWh'],
    ],
  );
});

// ---------------------------------------------------------------------------------------------------------------
// RT

test('RT copies the retaguarda × lossFactor, quality S, reason of the principal slot', () => {
  const f = only(
    fixtureEstimate({
      channels: [
        { values: [10, null, null, 40, 50], flags: [{ from: 4, rule: 'V07', severity: 'error' }] },
        { role: 'retaguarda', values: [11, 21, 31, 41, 51] },
      ],
      params: { estimation: { RT: { lossFactor: 0.98 } } },
    }),
  );
  close(values(f, 1, 2), [21 * 0.98, 31 * 0.98]);
  assert.equal(codes(f, 1), 'S RT retaguarda missing');
  assert.equal(codes(f, 4), 'S RT retaguarda rule:V07');
  close(values(f, 4, 4), [51 * 0.98]);
  assert.equal(codes(f, 0), 'A none principal none');
  assert.equal(f.notes.lossFactor, 0.98);
});

test('RT skips retaguarda slots that are themselves candidates; LI fills those', () => {
  const f = only(
    fixtureEstimate({
      channels: [
        { values: [10, null, null, null, 14] },
        {
          role: 'retaguarda',
          values: [10, 11, 99, null, 14],
          flags: [{ from: 2, rule: 'V03', severity: 'suspect' }],
        },
      ],
    }),
  );
  assert.equal(codes(f, 1), 'S RT retaguarda missing');
  assert.equal(f.value[1], 11);
  // 2 and 3 form a run between 11 (S) and 14 (A)
  assert.deepEqual([codes(f, 2), codes(f, 3)], ['E LI estimate missing', 'E LI estimate missing']);
  close(values(f, 2, 3), [12, 13]);
  assert.equal(f.notes.lossFactor, undefined);
});

test('RT refuses a retaguarda on another interval and says why', () => {
  const f = only(
    fixtureEstimate({
      channels: [{ values: [10, null, 14] }, { role: 'retaguarda', intervalS: 900, values: [1, 2, 3] }],
    }),
  );
  assert.equal(codes(f, 1), 'E LI estimate missing');
  assert.equal(f.notes.messages?.length, 1);
  assert.match(f.notes.messages![0], /RT not used: retaguarda meter 2 .*900 s/);
});

test('RT refuses a refused retaguarda channel-day', () => {
  const f = only(
    fixtureEstimate({
      channels: [{ values: [10, null, 14] }, { role: 'retaguarda', values: [1, 2, 3], refused: 'duplicate slot 1' }],
    }),
  );
  assert.equal(codes(f, 1), 'E LI estimate missing');
  assert.match(f.notes.messages![0], /refused by V01 \(duplicate slot 1\)/);
});

test('a refused principal is replaced by the retaguarda with reason rule:V01', () => {
  const f = only(
    fixtureEstimate({
      channels: [
        { values: [5, 5, 5], refused: 'interval 900 s, registered 300 s' },
        { role: 'retaguarda', values: [1, 2, 3] },
      ],
    }),
  );
  assert.deepEqual(values(f), [1, 2, 3]);
  for (let k = 0; k < 3; k++) assert.equal(codes(f, k), 'S RT retaguarda rule:V01');
});

test('a principal refused for its shape: the series takes the retaguarda slots; both refused: the day at the interval', () => {
  const f = only(
    fixtureEstimate({
      channels: [
        { values: [5, 5, 5], intervalS: 900, refused: 'interval 900 s, registered 300 s' },
        { role: 'retaguarda', values: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
      ],
      meters: [principalCtx({ rereadPossible: true })],
    }),
  );
  assert.deepEqual([f.slots, f.intervalS], [9, 300]);
  assert.deepEqual(values(f), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (let k = 0; k < 9; k++) assert.equal(codes(f, k), 'S RT retaguarda rule:V01');
  assert.equal(f.notes.rereadPending, undefined);
  // arrays that do not even match their own slot count (refused by V01) are not read
  const e = fixtureEstimate({
    channels: [
      { values: [5, 5, 5], refused: 'value holds 3 slots, expected 288' },
      { role: 'retaguarda', values: [1, null, 3], refused: 'duplicate of input channel #0' },
    ],
    meters: [principalCtx({ registration: { serial: null, intervalS: 900, channels: null } })],
  });
  const cv = e.validation.channels[0];
  const broken = { ...cv, meterDay: { ...cv.meterDay, slots: 288 } };
  const g = only({ ...e, validation: { ...e.validation, channels: [broken, e.validation.channels[1]] } });
  assert.deepEqual([g.slots, g.intervalS], [96, 900]);
  for (let k = 0; k < 96; k++) assert.equal(codes(g, k), 'N none none rule:V01');
  assert.match(g.notes.messages![0], /RT not used: retaguarda meter 2 channel 1 was refused by V01/);
});

test('a point with no principal channel gets the retaguarda series', () => {
  const out = estimate(
    fixtureEstimate({
      channels: [
        { role: 'retaguarda', quantityCode: 14, channel: 4, values: [0, 1] },
        { role: 'retaguarda', quantityCode: 1, values: [3, null] },
      ],
    }),
  );
  assert.deepEqual(
    out.map((f) => f.quantityCode),
    [1, 14],
  );
  const [c] = out;
  assert.equal(c.notes.principalMeterId, null);
  assert.equal(c.notes.retaguardaMeterId, 2);
  assert.equal(codes(c, 0), 'S RT retaguarda missing');
  assert.equal(codes(c, 1), 'N none none missing');
  assert.deepEqual(finalTripleProblems(c), []);
});

test('RAW_CONFLICT makes a candidate: RT replaces it, else keepSuspectActual keeps it with reason conflict', () => {
  const channels: ChannelFixture[] = [{ values: [1, 2, 3], conflicts: [1] }];
  const kept = only(fixtureEstimate({ channels }));
  assert.equal(codes(kept, 1), 'A none principal conflict');
  assert.equal(kept.value[1], 2);
  const replaced = only(fixtureEstimate({ channels: [...channels, { role: 'retaguarda', values: [7, 8, 9] }] }));
  assert.equal(codes(replaced, 1), 'S RT retaguarda conflict');
  assert.equal(replaced.value[1], 8);
  // a conflicting retaguarda slot is not a source
  const both = only(
    fixtureEstimate({ channels: [...channels, { role: 'retaguarda', values: [7, 8, 9], conflicts: [1] }] }),
  );
  assert.equal(codes(both, 1), 'A none principal conflict');
  assert.equal(both.value[1], 2);
});

// ---------------------------------------------------------------------------------------------------------------
// LI

test('LI: a 3-slot gap between 10 and 14 gives 11, 12, 13', () => {
  const f = only(fixtureEstimate({ channels: [{ values: [9, 10, null, null, null, 14, 15] }] }));
  assert.deepEqual(values(f, 2, 4), [11, 12, 13]);
  for (let k = 2; k <= 4; k++) assert.equal(codes(f, k), 'E LI estimate missing');
  assert.equal(f.notes.likeDays, undefined);
});

test('LI: 24 slots are interpolated, 25 are not (LD then, or N without like-days)', () => {
  const n = 60;
  const base = (k: number) => 100 + k;
  const ok = only(fixtureEstimate({ channels: [{ values: withGap(n, base, range(10, 33)) }] }));
  for (let k = 10; k <= 33; k++) assert.equal(codes(ok, k), 'E LI estimate missing');
  close(values(ok, 10, 33), range(10, 33).map(base));
  const long = only(fixtureEstimate({ channels: [{ values: withGap(n, base, range(10, 34)) }] }));
  for (let k = 10; k <= 34; k++) assert.equal(codes(long, k), 'N none none missing');
  assert.match(long.notes.messages![0], /LD not used: no valid weekday like-day within 4 weeks/);
  const ld = only(
    fixtureEstimate({
      channels: [{ values: withGap(n, base, range(10, 34)) }],
      history: { 1: weekdayHistory(n, { '2026-11-19': 7 }) },
    }),
  );
  for (let k = 10; k <= 34; k++) assert.equal(codes(ld, k), 'E LD estimate missing');
  // maxGap is a parameter
  const wide = only(
    fixtureEstimate({
      channels: [{ values: withGap(n, base, range(10, 34)) }],
      params: { estimation: { LI: { maxGap: 25 } } },
    }),
  );
  assert.equal(codes(wide, 34), 'E LI estimate missing');
});

test('LI needs a valid value on both sides inside the day', () => {
  const f = only(fixtureEstimate({ channels: [{ values: [null, null, 3, 4, null] }] }));
  assert.equal(codes(f, 0), 'N none none missing');
  assert.equal(codes(f, 4), 'N none none missing');
  // a neighbour that is itself estimated-missing does not count either
  const g = only(
    fixtureEstimate({
      channels: [{ values: [1, null, 9, null, 5], flags: [{ from: 2, rule: 'V07', severity: 'error' }] }],
    }),
  );
  // slots 1–3 form one run (2 is a candidate too) between 1 and 5
  close(values(g, 1, 3), [2, 3, 4]);
  assert.equal(codes(g, 2), 'E LI estimate rule:V07');
});

test('LI never interpolates across a confirmed outage, even one touching a single slot partly', () => {
  const half = slotRange(DAY, 3, 3);
  const partly = { from: (half.from! + half.to!) / 2, to: half.to! + 120_000 }; // ends inside slot 4
  const f = only(
    fixtureEstimate({
      channels: [{ values: [10, 10, null, null, null, 14, 14] }],
      meters: [principalCtx({ events: outages(partly) })],
    }),
  );
  // slot 3 and 4 only partly covered: ZO does not apply, so the run stays missing
  for (let k = 2; k <= 4; k++) assert.equal(codes(f, k), 'N none none missing');
  // an unconfirmed outage (end unknown) does not block LI
  const g = only(
    fixtureEstimate({
      channels: [{ values: [10, 10, null, null, null, 14, 14] }],
      meters: [principalCtx({ events: outages({ from: half.from, to: null }) })],
    }),
  );
  assert.deepEqual(values(g, 2, 4), [11, 12, 13]);
});

// ---------------------------------------------------------------------------------------------------------------
// LD

test('LD averages the right like-days (skipping the 2026-11-20 holiday) and lists them', () => {
  const slots = 40;
  const history = weekdayHistory(slots, {
    '2026-11-22': 1000, // Sunday
    '2026-11-21': 1000, // Saturday
    '2026-11-20': 1000, // Friday, Consciência Negra
    '2026-11-19': 4,
    '2026-11-18': 8,
    '2026-11-17': 12,
    '2026-11-16': 16,
    '2026-11-13': 1000, // 5th weekday back: beyond count
  });
  const f = only(
    fixtureEstimate({ channels: [{ values: withGap(slots, () => 10, range(0, 29)) }], history: { 1: history } }),
  );
  assert.deepEqual(f.notes.likeDays, ['2026-11-19', '2026-11-18', '2026-11-17', '2026-11-16']);
  for (let k = 0; k <= 29; k++) {
    assert.equal(codes(f, k), 'E LD estimate missing');
    assert.equal(f.value[k], 10);
  }
  assert.equal(f.notes.likeDayScale, undefined);
});

test('LD on 2026-11-09 ignores Finados (2026-11-02) and uses per-slot usable values only', () => {
  const day = '2026-11-09';
  const f = only(
    fixtureEstimate({
      day,
      channels: [{ values: [null, null, null, 5] }],
      history: {
        1: [
          fixtureLikeDay('2026-11-02', [100, 100, 100, 100]),
          fixtureLikeDay('2026-10-30', [2, 4, 6, 8], [1, 1, 1, 1]),
          fixtureLikeDay('2026-10-29', [4, 8, 10, 12], [1, 1, 0, 1]),
        ],
      },
      params: { estimation: { LD: { minValidShare: 0.75 } } },
    }),
  );
  assert.deepEqual(f.notes.likeDays, ['2026-10-30', '2026-10-29']);
  assert.deepEqual(values(f, 0, 2), [3, 6, 6]);
});

test('LD scaled to a register advance covering the day, within maxScaleDeviation', () => {
  const history = { 1: weekdayHistory(6, { '2026-11-19': 10 }) };
  const channels: ChannelFixture[] = [{ values: [10, 10, null, null, null, null] }];
  const adv = (energy: number): RegisterAdvance[] => [{ quantityCode: 1, energy, firstSlot: 0, lastSlot: 5 }];
  // LI is out of the way (gap at the end of the day); profile 4 × 10 = 40, target 60 − 20 = 40 × 1.25
  const f = only(fixtureEstimate({ channels, history, meters: [principalCtx({ registerAdvance: adv(70) })] }));
  assert.equal(f.notes.likeDayScale, 1.25);
  assert.deepEqual(values(f), [10, 10, 12.5, 12.5, 12.5, 12.5]);
  // too far from 1: profile kept, message says why
  const g = only(fixtureEstimate({ channels, history, meters: [principalCtx({ registerAdvance: adv(200) })] }));
  assert.equal(g.notes.likeDayScale, undefined);
  assert.deepEqual(values(g), [10, 10, 10, 10, 10, 10]);
  assert.match(g.notes.messages![0], /LD not scaled to the register: factor 4\.5000 deviates/);
  // an advance of another quantity, or scaleToRegister off: nothing happens, nothing said
  const h = only(
    fixtureEstimate({
      channels,
      history,
      meters: [principalCtx({ registerAdvance: [{ quantityCode: 14, energy: 70, firstSlot: 0, lastSlot: 5 }] })],
    }),
  );
  assert.equal(h.notes.likeDayScale, undefined);
  assert.equal(h.notes.messages, undefined);
  const off = only(
    fixtureEstimate({
      channels,
      history,
      meters: [principalCtx({ registerAdvance: adv(70) })],
      params: { estimation: { LD: { scaleToRegister: false } } },
    }),
  );
  assert.equal(off.notes.likeDayScale, undefined);
  // a period that does not cover the LD slots is not used
  const part = only(
    fixtureEstimate({
      channels,
      history,
      meters: [principalCtx({ registerAdvance: [{ quantityCode: 1, energy: 70, firstSlot: 0, lastSlot: 3 }] })],
    }),
  );
  assert.equal(part.notes.likeDayScale, undefined);
  assert.match(part.notes.messages![0], /no register advance covers slots 2–5/);
});

test('LD scale counts the slots a later ZO will zero and the energy outside the day', () => {
  const out = [slotRange(DAY, 5, 5)];
  const f = only(
    fixtureEstimate({
      channels: [{ values: [10, 10, null, null, null, null] }],
      history: { 1: weekdayHistory(6, { '2026-11-19': 10 }) },
      meters: [
        principalCtx({
          events: outages(...out),
          registerAdvance: [{ quantityCode: 1, energy: 65, firstSlot: 0, lastSlot: 5, outsideSum: 15 }],
        }),
      ],
    }),
  );
  // in-day part 50, actuals 20, LD slots 2–4 (30) must make 30: factor 1
  assert.equal(f.notes.likeDayScale, 1);
  assert.equal(codes(f, 5), 'E ZO estimate outage');
  assert.deepEqual(values(f), [10, 10, 10, 10, 10, 0]);
});

// ---------------------------------------------------------------------------------------------------------------
// ZO, RR

test('ZO: slots a confirmed outage fully covers become 0 with reason outage, before LI and LD get them', () => {
  const n = 60;
  const gap = range(10, 40); // 31 slots: LI would refuse anyway, LD is available
  const f = only(
    fixtureEstimate({
      channels: [{ values: withGap(n, () => 5, gap) }],
      history: { 1: weekdayHistory(n, { '2026-11-19': 7 }) },
      meters: [principalCtx({ events: outages(slotRange(DAY, 12, 38)) })],
    }),
  );
  for (let k = 12; k <= 38; k++) {
    assert.equal(codes(f, k), 'E ZO estimate outage');
    assert.equal(f.value[k], 0);
  }
  // the uncovered ends of the gap are LD
  for (const k of [10, 11, 39, 40]) assert.equal(codes(f, k), 'E LD estimate missing');
  // a short outage gap (LI range) also becomes zeros
  const g = only(
    fixtureEstimate({
      channels: [{ values: [5, null, null, 5] }],
      meters: [principalCtx({ events: outages(slotRange(DAY, 1, 2)) })],
    }),
  );
  assert.deepEqual([codes(g, 1), codes(g, 2)], ['E ZO estimate outage', 'E ZO estimate outage']);
});

test('ZO does not replace a measured value: RT first, and valid actuals are never touched', () => {
  const f = only(
    fixtureEstimate({
      channels: [{ values: [5, null, 6, 5] }, { role: 'retaguarda', values: [5, 0.5, 5, 5] }],
      meters: [principalCtx({ events: outages(slotRange(DAY, 1, 2)) })],
    }),
  );
  assert.equal(codes(f, 1), 'S RT retaguarda missing');
  assert.equal(codes(f, 2), 'A none principal none');
  assert.equal(f.value[2], 6);
});

test('ZO uses the point’s other meters when the principal logged no events', () => {
  const f = only(
    fixtureEstimate({
      channels: [{ values: [5, null, 5] }, { role: 'retaguarda', values: [5, null, 5] }],
      meters: [{ meterId: 2, role: 'retaguarda', events: outages(slotRange(DAY, 1, 1)) }],
    }),
  );
  assert.equal(codes(f, 1), 'E ZO estimate outage');
  // the principal's own (empty) event list wins when known
  const g = only(
    fixtureEstimate({
      channels: [{ values: [5, null, 5] }, { role: 'retaguarda', values: [5, null, 5] }],
      meters: [
        principalCtx({ events: outages() }),
        { meterId: 2, role: 'retaguarda', events: outages(slotRange(DAY, 1, 1)) },
      ],
    }),
  );
  assert.equal(codes(g, 1), 'E LI estimate missing');
});

test('RR: a missing slot that can still be re-read stays N / RR; flagged values are estimated', () => {
  const f = only(
    fixtureEstimate({
      channels: [
        { values: [10, null, null, 13, 50, 15], flags: [{ from: 4, rule: 'V07', severity: 'error' }] },
        { role: 'retaguarda', values: [10, 11, 12, 13, 14, 15] },
      ],
      meters: [principalCtx({ rereadPossible: true })],
    }),
  );
  assert.deepEqual([codes(f, 1), codes(f, 2)], ['N RR none missing', 'N RR none missing']);
  assert.ok(Number.isNaN(f.value[1]));
  assert.equal(f.notes.rereadPending, 2);
  assert.equal(codes(f, 4), 'S RT retaguarda rule:V07');
  // per slot
  const g = only(
    fixtureEstimate({
      channels: [{ values: [10, null, null, 13] }],
      meters: [principalCtx({ rereadPossible: Uint8Array.from([0, 0, 1, 0]) })],
    }),
  );
  assert.equal(codes(g, 2), 'N RR none missing');
  assert.equal(codes(g, 1), 'N none none missing'); // LI: the run's right neighbour is RR, not a value
  assert.equal(g.notes.rereadPending, 1);
  // RR out of the order: estimated, nothing pending
  const h = only(
    fixtureEstimate({
      channels: [{ values: [10, null, null, 13] }],
      meters: [principalCtx({ rereadPossible: true })],
      params: { estimation: { order: ['RT', 'LI', 'LD', 'ZO'] } },
    }),
  );
  assert.deepEqual(values(h), [10, 11, 12, 13]);
  assert.equal(h.notes.rereadPending, undefined);
});

test('RR: a per-slot mask of the wrong length is a typed error', () => {
  const e = fixtureEstimate({
    channels: [{ values: [10, null, 13] }],
    meters: [principalCtx({ rereadPossible: new Uint8Array(5) })],
  });
  assert.throws(
    () => estimate(e),
    (x) => isFronteiraError(x, 'FRONTEIRA_E_VALIDATION') && /rereadPossible holds 5 slots, expected 3/.test(x.message),
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Order, keepSuspectActual

test('order is configurable: without RT, LI is used although the retaguarda has the value', () => {
  const channels: ChannelFixture[] = [{ values: [10, null, 14] }, { role: 'retaguarda', values: [10, 20, 14] }];
  const dflt = only(fixtureEstimate({ channels }));
  assert.equal(codes(dflt, 1), 'S RT retaguarda missing');
  const noRt = only(fixtureEstimate({ channels, params: { estimation: { order: ['RR', 'LI', 'LD', 'ZO'] } } }));
  assert.equal(codes(noRt, 1), 'E LI estimate missing');
  assert.equal(noRt.value[1], 12);
  const liFirst = only(fixtureEstimate({ channels, params: { estimation: { order: ['LI', 'RT'] } } }));
  assert.equal(codes(liFirst, 1), 'E LI estimate missing');
  // an empty chain leaves every candidate missing
  const none = only(fixtureEstimate({ channels, params: { estimation: { order: [] } } }));
  assert.equal(codes(none, 1), 'N none none missing');
});

test('keepSuspectActual keeps a suspect actual as A with its reason, unless RT or ZO replace it', () => {
  const flags: SlotFlag[] = [{ from: 1, to: 2, rule: 'V03', severity: 'suspect' }];
  const values5 = [10, 30, 30, 13, 14];
  const kept = only(fixtureEstimate({ channels: [{ values: values5, flags }] }));
  assert.deepEqual([codes(kept, 1), codes(kept, 2)], ['A none principal rule:V03', 'A none principal rule:V03']);
  assert.deepEqual(values(kept), values5);
  const rt = only(
    fixtureEstimate({
      channels: [
        { values: values5, flags },
        { role: 'retaguarda', values: [1, 2, 3, 4, 5] },
      ],
    }),
  );
  assert.equal(codes(rt, 1), 'S RT retaguarda rule:V03');
  const zo = only(
    fixtureEstimate({
      channels: [{ values: values5, flags }],
      meters: [principalCtx({ events: outages(slotRange(DAY, 2, 2)) })],
    }),
  );
  assert.equal(codes(zo, 1), 'A none principal rule:V03');
  assert.equal(codes(zo, 2), 'E ZO estimate outage');
  const off = only(
    fixtureEstimate({ channels: [{ values: values5, flags }], params: { estimation: { keepSuspectActual: false } } }),
  );
  assert.deepEqual(values(off, 1, 2), [11, 12]);
  assert.equal(codes(off, 1), 'E LI estimate rule:V03');
  // an error is never kept
  const err = only(
    fixtureEstimate({ channels: [{ values: values5, flags: [{ from: 1, to: 2, rule: 'V07', severity: 'error' }] }] }),
  );
  assert.equal(codes(err, 1), 'E LI estimate rule:V07');
});

test('kept suspect actuals are LI neighbours', () => {
  const f = only(
    fixtureEstimate({
      channels: [
        {
          values: [10, null, null, null, 14],
          flags: [
            { from: 0, rule: 'V04', severity: 'suspect' },
            { from: 4, rule: 'V04', severity: 'suspect' },
          ],
        },
      ],
    }),
  );
  assert.deepEqual(values(f), [10, 11, 12, 13, 14]);
  assert.equal(codes(f, 0), 'A none principal rule:V04');
});

// ---------------------------------------------------------------------------------------------------------------
// SC, RC

test('SC rescales LI and LD slots so the day meets the register advance; notes.scale', () => {
  const meters = (energy: number) => [
    principalCtx({ registerAdvance: [{ quantityCode: 1, energy, firstSlot: 0, lastSlot: 6 }] }),
  ];
  const channels: ChannelFixture[] = [{ values: [10, null, 10, 10, 10, null, null] }];
  const history = { 1: weekdayHistory(7, { '2026-11-19': 10 }) };
  const sc: VeeParamsPatch = {
    estimation: { SC: { enabled: true, maxDeviation: 0.2 }, LD: { scaleToRegister: false } },
  };
  // slot 1 LI (10), slots 5–6 LD (10 each); actuals 40; advance 73 → estimated 30 → 33: factor 1.1
  const f = only(fixtureEstimate({ channels, history, meters: meters(73), params: sc }));
  assert.equal(f.method[1], Method.LI);
  assert.equal(f.method[5], Method.LD);
  close(values(f), [10, 11, 10, 10, 10, 11, 11]);
  assert.equal(f.notes.scale?.slots, 3);
  assert.equal(f.notes.scale?.target, 73);
  assert.ok(Math.abs(f.notes.scale!.factor - 1.1) < 1e-12);
  // beyond maxDeviation: untouched, explained
  const g = only(fixtureEstimate({ channels, history, meters: meters(100), params: sc }));
  assert.equal(g.notes.scale, undefined);
  assert.deepEqual(values(g), [10, 10, 10, 10, 10, 10, 10]);
  assert.match(g.notes.messages!.at(-1)!, /SC not applied: factor 2\.0000/);
  // disabled (default): untouched
  const h = only(fixtureEstimate({ channels, history, meters: meters(73) }));
  assert.equal(h.notes.scale, undefined);
  // a missing slot in the period: the advance cannot be split
  const i = only(
    fixtureEstimate({
      channels: [{ values: [10, null, 10, 10, 10, null, null] }],
      meters: meters(73),
      params: sc,
    }),
  );
  assert.equal(i.notes.scale, undefined);
  assert.match(i.notes.messages!.at(-1)!, /SC not applied: 2 slot\(s\) of the register period 0–6 have no value/);
});

test('RC: capacity × interval for consumption over E and N slots, zero for generation, null without capacity', () => {
  const channels: ChannelFixture[] = [
    { values: [10, null, 14, null] }, // slot 1 LI 12, slot 3 N
    { quantityCode: 14, channel: 4, values: [0, null, 0, 1] },
  ];
  const [c, g] = estimate(fixtureEstimate({ channels, point: { loadCapacityKw: 120 } }));
  // 120 kW × 5 min = 10 kWh per slot, 2 slots
  assert.deepEqual(c.notes.worstCase, { slots: 2, energy: 20, estimatedEnergy: 12, difference: 8 });
  assert.deepEqual(g.notes.worstCase, { slots: 1, energy: 0, estimatedEnergy: 0, difference: 0 });
  const [c2, g2] = estimate(fixtureEstimate({ channels, point: { loadCapacityKw: null } }));
  assert.equal(c2.notes.worstCase, null);
  assert.deepEqual(g2.notes.worstCase, { slots: 1, energy: 0, estimatedEnergy: 0, difference: 0 });
  // RC is never written in the series
  assert.ok(!Array.from(c.method).includes(Method.RC));
});

// ---------------------------------------------------------------------------------------------------------------
// Input checks, multiple channels

test('inconsistent input is a typed error naming what is wrong', () => {
  const e = fixtureEstimate({ channels: [{ values: [1, 2] }] });
  assert.throws(
    () => estimate({ ...e, input: { ...e.input, channels: [] } }),
    (x) => isFronteiraError(x, 'FRONTEIRA_E_VALIDATION') && /validation holds 1 channels, the input 0/.test(x.message),
  );
  assert.throws(
    () => estimate({ ...e, validation: { ...e.validation, day: '2026-11-24' } }),
    (x) => isFronteiraError(x, 'FRONTEIRA_E_VALIDATION') && /day 2026-11-24/.test(x.message),
  );
  const cv = e.validation.channels[0];
  const short = { ...cv, severity: new Uint8Array(1) };
  assert.throws(
    () => estimate({ ...e, validation: { ...e.validation, channels: [short] } }),
    (x) =>
      isFronteiraError(x, 'FRONTEIRA_E_VALIDATION') &&
      /meter 1 channel 1: severity holds 1 slots, expected 2/.test(x.message),
  );
  const badOrder = { ...e.params, estimation: { ...e.params.estimation, order: ['XX' as ChainMethod] } };
  assert.throws(
    () => estimate({ ...e, validation: { ...e.validation }, params: badOrder }),
    (x) => isFronteiraError(x, 'FRONTEIRA_E_VALIDATION') && /'XX' is not a chain method/.test(x.message),
  );
});

test('two principal channels of one quantity: the one with more actuals is used and the choice reported', () => {
  const f = only(
    fixtureEstimate({
      channels: [
        { meterId: 1, values: [1, null, null, null] },
        { meterId: 3, values: [5, 6, 7, null] },
      ],
    }),
  );
  assert.equal(f.notes.principalMeterId, 3);
  assert.deepEqual(values(f, 0, 2), [5, 6, 7]);
  assert.match(f.notes.messages![0], /2 principal channels measure quantity 1; using meter 3 channel 1/);
});

// ---------------------------------------------------------------------------------------------------------------
// Properties over seeded random point-days

const SLOTS = 96;
const INTERVAL = 900;
const ORDER: ChainMethod[] = ['RR', 'RT', 'LI', 'LD', 'ZO'];

function randomSeries(r: Random, base: number): (number | null)[] {
  const v: (number | null)[] = Array.from({ length: SLOTS }, (_, k) =>
    Math.max(0, base * (1 + 0.5 * Math.sin((k / SLOTS) * 2 * Math.PI)) + r.normal()),
  );
  const gaps = r.int(0, 4);
  for (let g = 0; g < gaps; g++) {
    const start = r.int(0, SLOTS - 1);
    const len = r.pick([1, 2, 5, 24, 25, 40]);
    for (let k = start; k < Math.min(SLOTS, start + len); k++) v[k] = null;
  }
  return v;
}

function randomFlags(r: Random): SlotFlag[] {
  const out: SlotFlag[] = [];
  const n = r.int(0, 5);
  for (let i = 0; i < n; i++) {
    const from = r.int(0, SLOTS - 1);
    out.push({
      from,
      to: Math.min(SLOTS - 1, from + r.int(0, 10)),
      rule: r.pick(['V03', 'V04', 'V05', 'V06', 'V07'] as const),
      severity: r.pick(['info', 'warning', 'suspect', 'error'] as const),
    });
  }
  return out;
}

function randomCase(seed: number): EstimateInput {
  const r = new Random(seed);
  const codesUsed = r.pick([[1], [1, 14], [14, 10]]);
  const channels: ChannelFixture[] = [];
  const hasPrincipal = r.next() < 0.9;
  const hasRetaguarda = r.next() < 0.7;
  for (const q of codesUsed) {
    if (hasPrincipal) {
      channels.push({
        quantityCode: q,
        channel: q,
        intervalS: INTERVAL,
        values: randomSeries(r, 10),
        flags: randomFlags(r),
        conflicts: r.next() < 0.3 ? [r.int(0, SLOTS - 1)] : [],
        refused: r.next() < 0.05 ? 'duplicate slot' : null,
      });
    }
    if (hasRetaguarda || !hasPrincipal) {
      const other = r.next() < 0.1;
      channels.push({
        role: 'retaguarda',
        quantityCode: q,
        channel: q,
        intervalS: other ? 1800 : INTERVAL,
        values: other ? randomSeries(r, 20).slice(0, 48) : randomSeries(r, 10),
        flags: randomFlags(r),
      });
    }
  }
  const day = FIXTURE_DAY;
  const outs: TimeRange[] = [];
  for (let i = r.int(0, 2); i > 0; i--) {
    const from = r.int(0, SLOTS - 1);
    const t = slotRange(day, from, Math.min(SLOTS - 1, from + r.int(0, 30)), INTERVAL);
    outs.push({ from: t.from! + r.int(0, 1) * 60_000, to: r.next() < 0.2 ? null : t.to });
  }
  const reread = r.next();
  const meters: MeterContext[] = [
    principalCtx({
      events: r.next() < 0.8 ? outages(...outs) : null,
      rereadPossible: reread < 0.3 ? true : reread < 0.6 ? Uint8Array.from({ length: SLOTS }, () => r.int(0, 1)) : null,
      registerAdvance:
        r.next() < 0.5
          ? codesUsed.map((q) => ({ quantityCode: q, energy: r.int(500, 1500), firstSlot: 0, lastSlot: SLOTS - 1 }))
          : null,
    }),
  ];
  const history: Record<number, LikeDay[]> = {};
  for (const q of codesUsed) {
    history[q] = [];
    for (let i = 1; i <= 28; i++) {
      if (r.next() < 0.3) continue;
      const usable = Uint8Array.from({ length: SLOTS }, () => (r.next() < 0.95 ? 1 : 0));
      history[q].push(
        fixtureLikeDay(
          addDays(day, -i),
          Array.from({ length: SLOTS }, () => 5 + r.next() * 10),
          usable,
        ),
      );
    }
  }
  const order = ORDER.filter(() => r.next() < 0.85);
  for (let i = order.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return fixtureEstimate({
    day,
    channels,
    meters,
    history,
    point: { loadCapacityKw: r.next() < 0.8 ? 50 : null },
    params: {
      estimation: {
        order: r.next() < 0.5 ? ORDER : order,
        keepSuspectActual: r.next() < 0.7,
        RT: { lossFactor: r.pick([1, 0.98, 1.02]) },
        SC: { enabled: r.next() < 0.5, maxDeviation: 0.5 },
      },
    },
  });
}

/** Everything estimate() reads, as plain JSON, to check nothing was modified. */
function snapshot(e: EstimateInput): string {
  return JSON.stringify([e.input, e.validation, [...e.history], e.params], (_k, v) =>
    ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>, String) : v,
  );
}

test('property: a valid principal actual is never changed; every slot has a consistent triple', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const e = randomCase(seed);
    const out = estimate(e);
    for (const f of out) {
      assert.deepEqual(finalTripleProblems(f), [], `seed ${seed} quantity ${f.quantityCode}`);
      const p = e.validation.channels.find((cv) => cv.role === 'principal' && cv.quantityCode === f.quantityCode);
      if (!p) continue;
      const md = p.meterDay;
      for (let k = 0; k < f.slots; k++) {
        const actual =
          p.refused === null &&
          Number.isFinite(md.value[k]) &&
          p.severity[k] < Severity.suspect &&
          (md.rawFlags[k] & RAW_CONFLICT) === 0;
        if (actual) {
          assert.equal(f.value[k], md.value[k], `seed ${seed} slot ${k}`);
          assert.equal(codes(f, k), 'A none principal none', `seed ${seed} slot ${k}`);
        } else if (f.quality[k] === Quality.A) {
          // only a kept suspect actual stays A
          assert.ok(e.params.estimation.keepSuspectActual, `seed ${seed} slot ${k}`);
          assert.ok(p.severity[k] <= Severity.suspect && p.refused === null, `seed ${seed} slot ${k}`);
          assert.equal(f.value[k], md.value[k]);
          assert.notEqual(f.reason[k], Reason.none);
        } else {
          assert.notEqual(f.reason[k], Reason.none, `seed ${seed} slot ${k}`);
        }
      }
    }
  }
});

test('property: estimating twice gives equal final days and leaves the input untouched', () => {
  for (let seed = 1000; seed < 1200; seed++) {
    const e = randomCase(seed);
    const before = snapshot(e);
    const a = estimate(e);
    const b = estimate(e);
    assert.equal(a.length, b.length);
    a.forEach((f, i) => {
      assert.ok(finalDaysEqual(f, b[i]), `seed ${seed} quantity ${f.quantityCode}`);
    });
    assert.equal(snapshot(e), before, `seed ${seed}: input modified`);
  }
});

test('property: the random cases exercise every method', () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 300; seed++) {
    for (const f of estimate(randomCase(seed))) for (const m of f.method) seen.add(methodName(m));
  }
  assert.deepEqual([...seen].sort(), ['LD', 'LI', 'RR', 'RT', 'ZO', 'none']);
});
