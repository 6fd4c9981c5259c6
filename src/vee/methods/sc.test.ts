import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyFinalDay, type FinalDay, Method, Quality, type RegisterAdvance } from '../types.ts';
import { registerFit, rescaleToRegister } from './sc.ts';

function day(values: number[], methods: number[]): FinalDay {
  const f = emptyFinalDay({
    pointId: 1,
    pointCode: 'P',
    quantityCode: 1,
    day: '2026-11-23',
    slots: values.length,
    intervalS: 300,
  });
  f.value.set(values);
  f.method.set(methods);
  f.quality.set(methods.map((m) => (m === Method.none ? Quality.A : Quality.E)));
  return f;
}

const adv = (over: Partial<RegisterAdvance> = {}): RegisterAdvance[] => [
  { quantityCode: 1, energy: 10, firstSlot: 0, lastSlot: 3, ...over },
];

test('registerFit: factor from the advance less the other slots and the energy outside the day', () => {
  const f = day([1, 2, 2, 1], [0, 0, 0, 0]);
  const marked = Uint8Array.from([0, 1, 1, 0]);
  const fit = registerFit(f, marked, adv({ energy: 12, outsideSum: 2 }), (k) => f.value[k]);
  assert.ok(fit.ok);
  assert.deepEqual([fit.periodTotal, fit.target, fit.sum, fit.factor, fit.slots], [10, 8, 4, 2, 4 / 2]);
});

test('registerFit: nothing to say without marked slots or without an advance of the quantity', () => {
  const f = day([1, 2, 2, 1], [0, 0, 0, 0]);
  assert.deepEqual(
    registerFit(f, new Uint8Array(4), adv(), (k) => f.value[k]),
    { ok: false, why: null },
  );
  const marked = Uint8Array.from([0, 1, 0, 0]);
  assert.deepEqual(
    registerFit(f, marked, adv({ quantityCode: 14 }), (k) => f.value[k]),
    { ok: false, why: null },
  );
  // malformed periods are not advances
  assert.deepEqual(
    registerFit(f, marked, adv({ lastSlot: 4 }), (k) => f.value[k]),
    { ok: false, why: null },
  );
  assert.deepEqual(
    registerFit(f, marked, adv({ energy: Number.NaN }), (k) => f.value[k]),
    { ok: false, why: null },
  );
});

test('registerFit: reasons it cannot scale', () => {
  const f = day([1, 2, 0, 1], [0, 0, 0, 0]);
  const why = (marked: number[], a: RegisterAdvance[], valueAt = (k: number) => f.value[k]) => {
    const fit = registerFit(f, Uint8Array.from(marked), a, valueAt);
    return fit.ok ? 'ok' : fit.why;
  };
  assert.match(why([0, 1, 0, 0], adv({ firstSlot: 2 }))!, /no register advance covers slots 1–1/);
  assert.match(
    why([0, 1, 0, 0], adv(), (k) => (k === 3 ? Number.NaN : f.value[k]))!,
    /1 slot\(s\) .* 0–3 have no value/,
  );
  assert.match(why([0, 0, 1, 0], adv())!, /sum to 0/);
  assert.match(why([0, 1, 0, 0], adv({ energy: 1 }))!, /already exceed/);
});

test('rescaleToRegister scales LI and LD slots only, within maxDeviation', () => {
  const f = day([4, 2, 2, 1], [Method.none, Method.LI, Method.LD, Method.RT]);
  const messages: string[] = [];
  rescaleToRegister(f, adv({ energy: 10 }), { enabled: true, maxDeviation: 0.5 }, messages);
  assert.deepEqual(Array.from(f.value), [4, 2.5, 2.5, 1]);
  assert.deepEqual(f.notes.scale, { factor: 1.25, target: 10, slots: 2 });
  assert.deepEqual(messages, []);
  const g = day([4, 2, 2, 1], [Method.none, Method.LI, Method.LD, Method.RT]);
  rescaleToRegister(g, adv({ energy: 10 }), { enabled: true, maxDeviation: 0.2 }, messages);
  assert.deepEqual(Array.from(g.value), [4, 2, 2, 1]);
  assert.equal(g.notes.scale, undefined);
  assert.match(messages[0], /factor 1\.2500 deviates more than 0\.2/);
});
