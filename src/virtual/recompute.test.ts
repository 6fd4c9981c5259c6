import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import type { VirtualMeterRow } from '../store/virtual.ts';
import { emptyFinalDay, type FinalDay, Method, Quality, Reason, Source } from '../vee/types.ts';
import { type EnvSnapshot, storeEnv } from './env.ts';
import { evaluateVirtualDay, planVirtuals } from './recompute.ts';

const DAY = '2026-01-10';

function vm(id: number, name: string, formula: string, tags: string[] = [], channel = 'C'): VirtualMeterRow {
  const t = new Date(0);
  return {
    id,
    pointId: 100 + id,
    code: `VM${String(id).padStart(11, '0')}`,
    segment: 'faturamento',
    name,
    channel,
    quantityCode: channel === 'G' ? 14 : 1,
    unit: 'kWh',
    formula,
    description: null,
    tags,
    version: 1,
    createdBy: 'x',
    createdAt: t,
    updatedAt: t,
    retiredAt: null,
  };
}

function snapshot(virtuals: VirtualMeterRow[]): EnvSnapshot {
  return {
    points: [
      { id: 1, code: 'AAAAAAAAAAAA1', kind: 'fronteira', tags: ['g'], quantityCodes: [1, 14] },
      { id: 2, code: 'AAAAAAAAAAAA2', kind: 'geracao', tags: ['g'], quantityCodes: [14] },
      ...virtuals.map((v) => ({ id: v.pointId, code: v.code, kind: 'virtual', tags: v.tags, quantityCodes: [] })),
    ],
    virtuals,
  };
}

function series(
  pointId: number,
  qc: number,
  slots: number,
  intervalS: number,
  value: (k: number) => number,
  q?: (k: number) => number,
): FinalDay {
  const f = emptyFinalDay({ pointId, pointCode: 'X', quantityCode: qc, day: DAY, slots, intervalS });
  for (let k = 0; k < slots; k++) {
    const qq = q ? q(k) : Quality.A;
    f.quality[k] = qq;
    if (qq === Quality.N) continue;
    f.value[k] = value(k);
    f.reason[k] = qq === Quality.A ? Reason.none : Reason.outage;
    f.method[k] = qq === Quality.A ? Method.none : qq === Quality.E ? Method.LD : Method.RT;
    f.source[k] = Source.principal;
  }
  return f;
}

test('environment: points by code and channel, groups by tag, virtual meters by name; a virtual code is refused', () => {
  const env = storeEnv(snapshot([vm(1, 'a', 'AAAAAAAAAAAA1.C', ['vg'])]));
  assert.deepEqual(env.resolve({ kind: 'point', code: 'AAAAAAAAAAAA1', channel: 'G' }), {
    kind: 'point',
    id: '1/14',
    unit: 'kWh',
    label: 'AAAAAAAAAAAA1.G',
  });
  assert.equal(env.series('point:1/14')?.quantityCode, 14);
  assert.deepEqual(env.resolve({ kind: 'point', code: 'AAAAAAAAAAAA2', channel: 'C' }), {
    kind: 'missing',
    what: 'channel',
  });
  const g = env.resolve({ kind: 'group', name: 'g', channel: 'C' });
  assert.ok(g && g.kind === 'group');
  assert.deepEqual(
    g.members.map((m) => m.label),
    ['AAAAAAAAAAAA1.C'],
    'a point of the tag without channel C is left out',
  );
  const vg = env.resolve({ kind: 'group', name: 'vg', channel: null });
  assert.ok(vg && vg.kind === 'group' && vg.members[0].kind === 'virtual');
  const v = env.resolve({ kind: 'point', code: 'VM00000000001', channel: 'C' });
  assert.ok(v && v.kind === 'missing' && /vm\("a"\)/.test(v.message ?? ''));
  assert.equal(env.resolve({ kind: 'virtual', name: 'nope' }), null);
});

test('plan: topological order over chains; the meter added last carries the cycle it closes', () => {
  const rows = [vm(3, 'c', 'vm("b") + 1 * AAAAAAAAAAAA1.C'), vm(1, 'a', 'AAAAAAAAAAAA1.C'), vm(2, 'b', 'vm("a") * 2')];
  const plan = planVirtuals(storeEnv(snapshot(rows)));
  assert.deepEqual(plan.graph.topologicalOrder(), ['virtual:101', 'virtual:102', 'virtual:103']);
  assert.deepEqual(plan.graph.dependents('point:1/1'), ['virtual:101', 'virtual:102', 'virtual:103']);
  const cyc = [vm(1, 'a', 'vm("c")'), vm(2, 'b', 'vm("a")'), vm(3, 'c', 'vm("b")')];
  assert.throws(
    () => planVirtuals(storeEnv(snapshot(cyc)), 'a'),
    (e) =>
      isFronteiraError(e, 'FRONTEIRA_E_FORMULA') &&
      /vm\("a"\) → vm\("c"\) → vm\("b"\) → vm\("a"\)/.test((e as Error).message),
  );
  // Without a strict meter, problems are recorded instead.
  const lax = planVirtuals(storeEnv(snapshot(cyc)));
  assert.equal(lax.problems.size, 1);
});

test('day: finer inputs summed to the coarser interval, weakest quality and its method, a missing input named', () => {
  const env = storeEnv(snapshot([vm(1, 'x', 'AAAAAAAAAAAA1.C + AAAAAAAAAAAA1.G - AAAAAAAAAAAA2.G')]));
  const plan = planVirtuals(env);
  const m = plan.meters.get(101)!;
  // Input 0: hourly (24 slots); input 1: 15-min (96 slots), slot 5 estimated (hour 1); input 2: absent.
  const a = series(1, 1, 24, 3600, (k) => k);
  const b = series(
    1,
    14,
    96,
    900,
    () => 0.25,
    (k) => (k === 5 ? Quality.E : Quality.A),
  );
  const r = evaluateVirtualDay(m, DAY, [a, b, undefined]);
  assert.ok(r);
  assert.equal(r.final.slots, 24);
  assert.equal(r.final.intervalS, 3600);
  assert.ok(
    r.final.quality.every((q) => q === Quality.N),
    'input 2 missing: every slot missing',
  );
  assert.deepEqual(r.missingInputs, ['AAAAAAAAAAAA2.G']);
  assert.deepEqual(r.final.notes.messages, ['AAAAAAAAAAAA2.G: no final series']);

  const c = series(
    2,
    14,
    24,
    3600,
    () => 0.5,
    (k) => (k === 7 ? Quality.S : Quality.A),
  );
  const r2 = evaluateVirtualDay(m, DAY, [a, b, c])!;
  for (let k = 0; k < 24; k++) assert.equal(r2.final.value[k], k + 1 - 0.5, `slot ${k}`);
  assert.equal(r2.final.quality[1], Quality.E);
  assert.equal(r2.final.method[1], Method.LD);
  assert.equal(r2.final.quality[7], Quality.S);
  assert.equal(r2.final.method[7], Method.RT);
  assert.equal(r2.final.reason[7], Reason.outage);
  assert.equal(r2.final.source[0], Source.virtual);
  assert.equal(r2.final.quality[0], Quality.A);
  assert.equal(r2.final.method[0], Method.none);
  const notes = r2.final.notes as unknown as { virtual: { nonActual: unknown[]; inputs: string[] } };
  assert.deepEqual(notes.virtual.nonActual, [
    { input: 'AAAAAAAAAAAA1.G', quality: 'E', firstSlot: 1, lastSlot: 1 },
    { input: 'AAAAAAAAAAAA2.G', quality: 'S', firstSlot: 7, lastSlot: 7 },
  ]);
  // No input at all: nothing, unless the meter has a series of its own that day (then all missing).
  assert.equal(evaluateVirtualDay(m, DAY, [undefined, undefined, undefined]), null);
  const blank = evaluateVirtualDay(m, DAY, [undefined, undefined, undefined], { slots: 24, intervalS: 3600 })!;
  assert.ok(blank.final.quality.every((q) => q === Quality.N));
  assert.ok(blank.final.reason.every((q) => q === Reason.missing));
});

test('day: an interval that does not fit the coarsest counts as missing, with a message', () => {
  const env = storeEnv(snapshot([vm(1, 'x', 'AAAAAAAAAAAA1.C + AAAAAAAAAAAA2.G')]));
  const m = planVirtuals(env).meters.get(101)!;
  const a = series(1, 1, 96, 900, () => 1);
  const b = series(2, 14, 144, 600, () => 1);
  const r = evaluateVirtualDay(m, DAY, [a, b])!;
  assert.equal(r.final.intervalS, 900);
  assert.deepEqual(r.final.notes.messages, [
    'AAAAAAAAAAAA2.G: 600 s interval does not add up to 900 s; counted as missing',
  ]);
  assert.ok(r.final.quality.every((q) => q === Quality.N));
});
