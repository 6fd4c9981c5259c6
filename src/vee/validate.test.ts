import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { Random } from '../domain/random.ts';
import { DEFAULT_PARAMS } from './params.ts';
import { at, channel, DAY, input, only, point, series } from './rules/testkit.ts';
import {
  type MeterContext,
  type MeterDay,
  RAW_CLOCK_SUSPECT,
  RAW_CONFLICT,
  RAW_POWER_OFF,
  Reason,
  RULE_IDS,
  ruleBit,
  ruleReason,
  Severity,
  type ValidationInput,
} from './types.ts';
import { validate } from './validate.ts';

const outage = (from: number, to: number): MeterContext => ({
  meterId: 1,
  role: 'principal',
  events: { outages: [{ from: at(from), to: at(to) }], clockChanges: [], occurrences: [] },
});

test('precedence: a confirmed outage outranks an error rule on the same slot', () => {
  const md = channel({ values: series((k) => (k === 50 ? 500 : 10)) });
  const r = validate(input([md], [outage(245, 255)]), only(['V03', 'V07']));
  const cv = r.channels[0];
  assert.equal(cv.rules[50], ruleBit('V03') | ruleBit('V07'));
  assert.equal(cv.severity[50], Severity.error);
  assert.equal(cv.reason[50], Reason.outage);
});

test('precedence: missing outranks clock and rule reasons, but not a confirmed outage', () => {
  const md = channel({ values: series((k) => (k === 10 || k === 100 ? null : 1)) });
  const m: MeterContext = { ...outage(495, 505), driftS: [900] };
  const r = validate(input([md], [m]), only(['V02', 'V03', 'V04']));
  const cv = r.channels[0];
  assert.equal(cv.rules[10], ruleBit('V02') | ruleBit('V04'));
  assert.equal(cv.severity[10], Severity.error);
  assert.equal(cv.reason[10], Reason.missing);
  assert.equal(cv.reason[100], Reason.outage);
  assert.equal(cv.reason[11], Reason.clock);
});

test('precedence: clock > conflict > error rule > suspect rule > warning rule; lower rule number on a tie', () => {
  const v = series((k) => (k === 50 || k === 60 ? 500 : 10));
  const md = channel({ values: v, flags: { 50: RAW_CONFLICT } });
  const clockOn60: MeterContext = {
    meterId: 1,
    role: 'principal',
    events: { outages: [], clockChanges: [{ from: at(302), to: at(302) }], occurrences: [] },
  };
  const r = validate(input([md], [clockOn60]), only(['V01', 'V03', 'V07']));
  assert.equal(r.channels[0].reason[50], Reason.conflict);
  assert.equal(r.channels[0].reason[60], Reason.clock);
  // An occurrence (V03 suspect) on a flat line (V06 warning).
  const flat = channel({ values: series((k) => (k < 30 ? 2 : k % 5)) });
  const occ: MeterContext = {
    meterId: 1,
    role: 'principal',
    events: { outages: [], clockChanges: [], occurrences: [{ from: at(12), to: at(12) }] },
  };
  const a = validate(input([flat], [occ]), only(['V03', 'V06']));
  assert.equal(a.channels[0].reason[2], ruleReason('V03'));
  assert.equal(a.channels[0].reason[3], ruleReason('V06'));
  const b = validate(input([flat], [occ]), only(['V03', 'V06'], { rules: { V06: { severity: 'error' } } }));
  assert.equal(b.channels[0].reason[2], ruleReason('V06'));
  assert.equal(b.channels[0].severity[2], Severity.error);
  const c = validate(input([flat], [occ]), only(['V03', 'V06'], { rules: { V06: { severity: 'suspect' } } }));
  assert.equal(c.channels[0].reason[2], ruleReason('V03'));
});

test('results are parallel to the input channels, refused ones included', () => {
  const chans = [
    channel({ channel: 2, quantityCode: 10 }),
    channel({ slots: 287 }),
    channel({ meterId: 2, role: 'retaguarda' }),
  ];
  const r = validate(input(chans), DEFAULT_PARAMS);
  assert.equal(r.channels.length, 3);
  r.channels.forEach((cv, i) => {
    assert.equal(cv.meterDay, chans[i]);
    assert.equal(cv.channel, chans[i].channel);
    assert.equal(cv.rules.length, chans[i].slots);
  });
  assert.ok(r.channels[1].refused);
  assert.equal(r.pointId, 7);
  assert.equal(r.day, DAY);
});

test('every disabled rule is reported once; defaults evaluate every rule', () => {
  const off = validate(input([channel()]), only([]));
  assert.deepEqual(
    off.outcomes.map((o) => o.rule),
    [...RULE_IDS],
  );
  const on = validate(input([channel()]), DEFAULT_PARAMS);
  assert.ok(on.outcomes.every((o) => o.status !== 'disabled'));
  assert.deepEqual([...new Set(on.outcomes.map((o) => o.rule))], [...RULE_IDS]);
});

test('bad input is a typed error', () => {
  const bad = [
    null,
    { ...input([]), day: '2024-13-01' },
    { ...input([]), day: 20240312 },
    input([], [], { point: point({ timezone: 'Mars/Olympus' }) }),
    { ...input([]), channels: [null] },
    { ...input([]), meters: 'x' },
  ];
  for (const b of bad) {
    assert.throws(
      () => validate(b as unknown as ValidationInput, DEFAULT_PARAMS),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
  }
  assert.throws(
    () => validate(input([]), {} as typeof DEFAULT_PARAMS),
    (e) => isFronteiraError(e),
  );
});

test('malformed meter contexts and history are typed errors naming the field', () => {
  const m = { meterId: 1, role: 'principal' };
  const cases: [unknown, string][] = [
    [{ ...m, events: { outages: [] } }, 'meters[0].events.clockChanges'],
    [{ ...m, events: { outages: [5], clockChanges: [], occurrences: [] } }, 'meters[0].events.outages[0]'],
    [{ ...m, driftS: 12 }, 'meters[0].driftS'],
    [{ ...m, registerAdvance: [null] }, 'meters[0].registerAdvance[0]'],
    [{ ...m, observed: { serial: null, intervalS: null, channels: {} } }, 'meters[0].observed.channels'],
  ];
  for (const [meter, field] of cases) {
    assert.throws(
      () => validate(input([channel()], [meter as MeterContext]), DEFAULT_PARAMS),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && e.details.field === field,
      field,
    );
  }
  const h = input([channel()], [], { history: [{ quantityCode: 1 }] as never });
  assert.throws(
    () => validate(h, DEFAULT_PARAMS),
    (e) => isFronteiraError(e) && e.details.field === 'history[0].totals',
  );
  // Odd scalars inside well-shaped containers are judged, not thrown on.
  const odd = {
    ...m,
    registration: { serial: 123, intervalS: 300, channels: null },
    observed: { serial: '123 ', intervalS: 300, channels: null },
    driftS: ['x', 5],
  };
  const r = validate(input([channel()], [odd as unknown as MeterContext]), DEFAULT_PARAMS);
  assert.equal(r.outcomes.find((o) => o.rule === 'V13')?.status, 'pass');
  assert.equal(r.outcomes.find((o) => o.rule === 'V04')?.status, 'pass');
});

// ---------------------------------------------------------------------------------------------------------------
// Seeded random point-days

function randomInput(rng: Random): ValidationInput {
  const channels: MeterDay[] = [];
  const meters: MeterContext[] = [];
  const codes = [1, 10, 11, 14, 15, 16];
  for (const [meterId, role] of [
    [1, 'principal'],
    [2, 'retaguarda'],
  ] as const) {
    for (let i = 0; i < 6; i++) {
      if (rng.next() < 0.15) continue;
      const slots = rng.next() < 0.05 ? 287 : 288;
      const base = rng.next() * 20;
      const values = series((k) => {
        const x = rng.next();
        if (x < 0.05) return null;
        if (x < 0.07) return 0;
        if (x < 0.075) return -1;
        if (x < 0.08) return base * 50;
        return Math.round(base * (1 + 0.3 * Math.sin(k / 40)) * 1000) / 1000;
      }, slots);
      const flags: Record<number, number> = {};
      for (let n = rng.int(0, 3); n > 0; n--)
        flags[rng.int(0, slots - 1)] = rng.pick([RAW_CONFLICT, RAW_POWER_OFF, RAW_CLOCK_SUSPECT]);
      channels.push(channel({ meterId, role, channel: i + 1, quantityCode: codes[i], values, slots, flags }));
    }
    const t = () => at(rng.int(-60, 1500));
    meters.push({
      meterId,
      role,
      events: {
        outages: [{ from: t(), to: rng.next() < 0.5 ? null : t() }],
        clockChanges: [{ from: t(), to: null }],
        occurrences: [],
      },
      driftS: [rng.int(-400, 400)],
      registerAdvance: [{ quantityCode: 1, energy: rng.next() * 3000, firstSlot: 0, lastSlot: 287 }],
      instant: {
        at: t(),
        voltageV: { a: 220, b: rng.int(0, 260), c: 220 },
        currentA: { a: 5, b: 6, c: 1 },
        nominalV: 220,
      },
      registration: { serial: 'A', intervalS: 300, channels: null, tpRatio: 1 },
      observed: { serial: rng.next() < 0.5 ? 'A' : 'B', intervalS: 300, channels: null, tpRatio: rng.pick([1, 2]) },
    });
  }
  return input(channels, meters, {
    point: point({ loadCapacityKw: rng.next() < 0.5 ? null : 100, kind: rng.pick(['consumidor_livre', 'geracao']) }),
    history: [{ quantityCode: 1, totals: [rng.next() * 3000, rng.next() * 3000] }],
  });
}

function snapshot(i: ValidationInput): unknown {
  return structuredClone(i);
}

test('property: validate never modifies its input and is deterministic (seeded)', () => {
  const rng = new Random('vee-validate');
  const params = {
    ...DEFAULT_PARAMS,
    rules: { ...DEFAULT_PARAMS.rules, V12: { ...DEFAULT_PARAMS.rules.V12, maxCurrentUnbalancePct: 10 } },
  };
  for (let run = 0; run < 40; run++) {
    const inp = randomInput(rng.fork(run));
    const before = snapshot(inp);
    const a = validate(inp, params);
    assert.deepEqual(inp, before, `run ${run}: input changed`);
    const b = validate(inp, params);
    assert.deepEqual(a, b, `run ${run}: not deterministic`);
    // Invariants: a flagged slot has a severity and a reason; an unflagged value has neither.
    a.channels.forEach((cv, i) => {
      const v = inp.channels[i].value;
      for (let k = 0; k < cv.rules.length; k++) {
        assert.equal(cv.rules[k] !== 0, cv.severity[k] !== 0, `run ${run} ch ${i} slot ${k}`);
        if (!cv.refused) assert.equal(cv.reason[k] !== 0, cv.rules[k] !== 0 || Number.isNaN(v[k]));
      }
    });
  }
});

test('DST day (2018-11-04, 23 h): 276 slots accepted, hours and windows follow the wall clock', () => {
  const day = '2018-11-04';
  const P = channel({ day, slots: 276, values: 10 });
  const Q = channel({ day, slots: 276, channel: 3, quantityCode: 11, values: series((k) => (k < 12 ? 6 : 0), 276) });
  const r = validate(input([P, Q], [], { day }), DEFAULT_PARAMS);
  assert.equal(r.channels[0].refused, null);
  assert.equal(r.dayStartMs, Date.UTC(2018, 10, 4, 3));
  // The first elapsed hour is 01:00 on the wall: inside the 00:00–06:00 capacitive window.
  assert.match(r.findings.find((f) => f.rule === 'V14')?.message ?? '', /capacitive 01:00 \(0\.857\)$/);
  const wrong = validate(input([channel({ day, slots: 288 })], [], { day }), DEFAULT_PARAMS);
  assert.match(wrong.channels[0].refused ?? '', /288 slots, expected 276/);
});
