import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { applyEdits, describeEdit, type EditContext, type ManualEdit, parseEditRequest } from './edits.ts';
import {
  emptyFinalDay,
  type FinalDay,
  finalDaysEqual,
  Method,
  meterDay,
  Quality,
  RAW_ACTUAL,
  Reason,
  ruleReason,
  Source,
} from './types.ts';

const DAY = '2024-03-04';
// 12 slots of 2 h: a whole day in a series small enough to check by hand.
const SLOTS = 12;
const INTERVAL = 7200;

/** A final series of plain principal actuals; NaN = missing (quality N, reason missing). */
function actualFinal(values: number[], quantityCode = 1): FinalDay {
  const f = emptyFinalDay({ pointId: 7, pointCode: 'PT7', quantityCode, day: DAY, slots: SLOTS, intervalS: INTERVAL });
  values.forEach((v, k) => {
    if (Number.isNaN(v)) return;
    f.value[k] = v;
    f.quality[k] = Quality.A;
    f.method[k] = Method.none;
    f.source[k] = Source.principal;
    f.reason[k] = Reason.none;
  });
  f.notes.principalMeterId = 100;
  return f;
}

function md(role: 'principal' | 'retaguarda', values: (number | null)[], meterId = role === 'principal' ? 100 : 200) {
  return meterDay({
    meterId,
    role,
    channel: 1,
    quantityCode: 1,
    day: DAY,
    slots: SLOTS,
    intervalS: INTERVAL,
    value: values,
    flags: Uint8Array.from(values, (v) => (v === null ? 0 : RAW_ACTUAL)),
  });
}

let nextId = 1;
function edit(e: Partial<ManualEdit> & Pick<ManualEdit, 'kind' | 'firstSlot' | 'lastSlot'>): ManualEdit {
  const id = e.id ?? nextId++;
  return {
    pointId: 7,
    quantityCode: 1,
    day: DAY,
    values: null,
    comment: 'teste',
    createdBy: 'analista',
    createdAt: 1000 + id,
    reversedAt: null,
    ...e,
    id,
  };
}

const BASE = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
const NO_CTX: EditContext = { principal: null, retaguarda: null };

function validationField(fn: () => unknown, field: string, slot?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'), String(e));
    assert.equal(e.details.field, field, e.message);
    if (slot !== undefined) assert.equal(e.details.slot, slot, e.message);
    return true;
  });
}

describe('applyEdits', () => {
  test('replace: values, codes M/ME/manual, manualOverActual; the input is not mutated', () => {
    const f = actualFinal(BASE);
    const copy = actualFinal(BASE);
    const out = applyEdits(f, [edit({ kind: 'replace', firstSlot: 2, lastSlot: 4, values: [1, 2, 3] })], NO_CTX);
    assert.deepEqual([...out.value], [10, 11, 1, 2, 3, 15, 16, 17, 18, 19, 20, 21]);
    for (const k of [2, 3, 4]) {
      assert.equal(out.quality[k], Quality.M);
      assert.equal(out.method[k], Method.ME);
      assert.equal(out.source[k], Source.manual);
      assert.equal(out.reason[k], Reason.manual);
    }
    assert.equal(out.quality[5], Quality.A);
    assert.equal(out.method[5], Method.none);
    assert.deepEqual(out.notes.manualOverActual, [2, 3, 4]);
    assert.ok(finalDaysEqual(f, copy), 'input unchanged');
    assert.equal(f.notes.manualOverActual, undefined);
  });

  test('replace with one stored value fills the range', () => {
    const out = applyEdits(
      actualFinal(BASE),
      [edit({ kind: 'replace', firstSlot: 0, lastSlot: 1, values: [5] })],
      NO_CTX,
    );
    assert.deepEqual([...out.value.slice(0, 3)], [5, 5, 12]);
  });

  test('interpolate: linear between the neighbours; a missing range filled is not "over actual"', () => {
    const f = actualFinal([10, 11, 12, NaN, NaN, NaN, 20, 17, 18, 19, 20, 21]);
    const out = applyEdits(f, [edit({ kind: 'interpolate', firstSlot: 3, lastSlot: 5 })], NO_CTX);
    assert.deepEqual([...out.value.slice(2, 7)], [12, 14, 16, 18, 20]);
    assert.equal(out.quality[4], Quality.M);
    assert.equal(out.source[4], Source.manual);
    assert.equal(out.notes.manualOverActual, undefined);
  });

  test('interpolate uses the values earlier edits left; edits apply in (createdAt, id) order', () => {
    const f = actualFinal(BASE);
    const later = edit({ kind: 'interpolate', firstSlot: 3, lastSlot: 5, createdAt: 2000 });
    const earlier = edit({ kind: 'replace', firstSlot: 6, lastSlot: 6, values: [40], createdAt: 1500 });
    const out = applyEdits(f, [later, earlier], NO_CTX);
    // From 12 at slot 2 to 40 at slot 6: steps of 7.
    assert.deepEqual([...out.value.slice(2, 7)], [12, 19, 26, 33, 40]);
    assert.deepEqual(out.notes.manualOverActual, [3, 4, 5, 6]);
  });

  test('same createdAt: the higher id applies last', () => {
    const a = edit({ id: 50, kind: 'replace', firstSlot: 0, lastSlot: 0, values: [1], createdAt: 5 });
    const b = edit({ id: 51, kind: 'replace', firstSlot: 0, lastSlot: 0, values: [2], createdAt: 5 });
    assert.equal(applyEdits(actualFinal(BASE), [b, a], NO_CTX).value[0], 2);
    const c = edit({ id: 52, kind: 'replace', firstSlot: 0, lastSlot: 0, values: [3], createdAt: 4 });
    assert.equal(applyEdits(actualFinal(BASE), [a, b, c], NO_CTX).value[0], 2);
  });

  test('interpolate whose neighbour is missing is skipped with a message', () => {
    const f = actualFinal([10, NaN, NaN, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    const e = edit({ kind: 'interpolate', firstSlot: 2, lastSlot: 2 });
    const out = applyEdits(f, [e], NO_CTX);
    assert.ok(Number.isNaN(out.value[2]));
    assert.equal(out.quality[2], Quality.N);
    assert.equal(out.notes.messages?.length, 1);
    assert.match(out.notes.messages![0], new RegExp(`manual edit ${e.id} .*slot 1 before the range has no value`));
  });

  test('copy_retaguarda: retaguarda actual × loss factor, source retaguarda, quality M', () => {
    const f = actualFinal(BASE);
    const ret = md('retaguarda', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const out = applyEdits(f, [edit({ kind: 'copy_retaguarda', firstSlot: 8, lastSlot: 9 })], {
      principal: null,
      retaguarda: ret,
      lossFactor: 1.5,
    });
    assert.deepEqual([out.value[8], out.value[9]], [13.5, 15]);
    assert.equal(out.quality[8], Quality.M);
    assert.equal(out.method[8], Method.ME);
    assert.equal(out.source[8], Source.retaguarda);
    assert.equal(out.reason[8], Reason.manual);
    assert.equal(out.notes.retaguardaMeterId, 200);
    assert.equal(out.notes.lossFactor, 1.5);
    assert.deepEqual(out.notes.manualOverActual, [8, 9]);
  });

  test('copy_retaguarda with a slot the retaguarda lacks is skipped as a whole, recorded in messages', () => {
    const f = actualFinal(BASE);
    const ret = md('retaguarda', [1, 2, 3, 4, 5, 6, 7, 8, null, 10, 11, 12]);
    const out = applyEdits(f, [edit({ kind: 'copy_retaguarda', firstSlot: 7, lastSlot: 9 })], {
      principal: null,
      retaguarda: ret,
    });
    assert.deepEqual([...out.value], BASE);
    assert.deepEqual([...out.quality], [...f.quality]);
    assert.equal(out.notes.messages?.length, 1);
    assert.match(out.notes.messages![0], /retaguarda meter 200 has no actual value at slot 8/);
    const none = applyEdits(f, [edit({ kind: 'copy_retaguarda', firstSlot: 7, lastSlot: 9 })], NO_CTX);
    assert.match(none.notes.messages![0], /no retaguarda meter data/);
  });

  test('accept: the principal raw value of a substituted slot, quality A / ME / principal / manual', () => {
    // Slot 3 flagged (V07 spike) and replaced from the retaguarda by VEE.
    const f = actualFinal(BASE);
    f.value[3] = 12.9;
    f.quality[3] = Quality.S;
    f.method[3] = Method.RT;
    f.source[3] = Source.retaguarda;
    f.reason[3] = ruleReason('V07');
    const principal = md('principal', [10, 11, 12, 95, 14, 15, 16, 17, 18, 19, 20, 21]);
    const out = applyEdits(f, [edit({ kind: 'accept', firstSlot: 3, lastSlot: 3 })], { principal, retaguarda: null });
    assert.equal(out.value[3], 95);
    assert.equal(out.quality[3], Quality.A);
    assert.equal(out.method[3], Method.ME);
    assert.equal(out.source[3], Source.principal);
    assert.equal(out.reason[3], Reason.manual);
    assert.equal(out.notes.manualOverActual, undefined);
    const missing = md('principal', [10, 11, 12, null, 14, 15, 16, 17, 18, 19, 20, 21]);
    const skipped = applyEdits(f, [edit({ kind: 'accept', firstSlot: 3, lastSlot: 3 })], {
      principal: missing,
      retaguarda: null,
    });
    assert.equal(skipped.value[3], 12.9);
    assert.match(skipped.notes.messages![0], /principal meter 100 has no actual value at slot 3/);
  });

  test('reversal: a reversed edit is skipped and the original comes back exactly', () => {
    const f = actualFinal([10, 11, 12, NaN, NaN, 15, 16, 17, 18, 19, 20, 21]);
    const a = edit({ kind: 'replace', firstSlot: 3, lastSlot: 4, values: [1, 2] });
    const b = edit({ kind: 'interpolate', firstSlot: 8, lastSlot: 9 });
    const applied = applyEdits(f, [a, b], NO_CTX);
    assert.ok(!finalDaysEqual(applied, f));
    const reversedA = { ...a, reversedAt: 99_999 };
    const reversedB = { ...b, reversedAt: 99_999 };
    assert.ok(finalDaysEqual(applyEdits(f, [reversedA, reversedB], NO_CTX), f));
    assert.ok(finalDaysEqual(applyEdits(f, [reversedA, b], NO_CTX), applyEdits(f, [b], NO_CTX)));
    assert.ok(finalDaysEqual(applyEdits(f, [], NO_CTX), f));
  });

  test('re-applying the same edits is deterministic', () => {
    const f = actualFinal(BASE);
    const edits = [
      edit({ kind: 'replace', firstSlot: 1, lastSlot: 1, values: [0] }),
      edit({ kind: 'interpolate', firstSlot: 5, lastSlot: 6 }),
    ];
    assert.ok(finalDaysEqual(applyEdits(f, edits, NO_CTX), applyEdits(f, edits, NO_CTX)));
  });

  test('an edit of another series or with slots outside the day is skipped with a message', () => {
    const f = actualFinal(BASE);
    const other = edit({ kind: 'replace', firstSlot: 0, lastSlot: 0, values: [1], quantityCode: 14 });
    const outside = edit({ kind: 'replace', firstSlot: 11, lastSlot: 12, values: [1, 2] });
    const out = applyEdits(f, [other, outside], NO_CTX);
    assert.deepEqual([...out.value], BASE);
    assert.equal(out.notes.messages?.length, 2);
    assert.match(out.notes.messages![0], /quantity 14/);
    assert.match(out.notes.messages![1], /not a range of the day/);
  });
});

describe('describeEdit', () => {
  test('before and after of each slot of the edit, missing as null', () => {
    const before = actualFinal([10, NaN, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    const e = edit({ kind: 'replace', firstSlot: 1, lastSlot: 2, values: [7, 8] });
    const after = applyEdits(before, [e], NO_CTX);
    assert.deepEqual(describeEdit(before, after, e), {
      slots: [
        {
          slot: 1,
          before: { value: null, quality: 'N', method: 'none' },
          after: { value: 7, quality: 'M', method: 'ME' },
        },
        {
          slot: 2,
          before: { value: 12, quality: 'A', method: 'none' },
          after: { value: 8, quality: 'M', method: 'ME' },
        },
      ],
    });
    assert.doesNotThrow(() => JSON.stringify(describeEdit(before, after, e)));
  });
});

describe('parseEditRequest', () => {
  const f = actualFinal([10, 11, NaN, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
  const ok = {
    quantityCode: 1,
    day: DAY,
    firstSlot: 3,
    lastSlot: 5,
    kind: 'replace',
    values: 4,
    comment: '  medidor trocado ',
  };

  test('a valid replace: one number fills the range, the comment is trimmed', () => {
    assert.deepEqual(parseEditRequest(ok, f), {
      quantityCode: 1,
      day: DAY,
      firstSlot: 3,
      lastSlot: 5,
      kind: 'replace',
      values: [4, 4, 4],
      comment: 'medidor trocado',
    });
    assert.deepEqual(parseEditRequest({ ...ok, values: [1, 2, 3] }, f).values, [1, 2, 3]);
  });

  test('comment is mandatory, non-blank and at most 2000 characters', () => {
    const { comment: _omit, ...noComment } = ok;
    validationField(() => parseEditRequest(noComment, f), 'comment');
    validationField(() => parseEditRequest({ ...ok, comment: '   \n' }, f), 'comment');
    validationField(() => parseEditRequest({ ...ok, comment: 'x'.repeat(2001) }, f), 'comment');
    assert.doesNotThrow(() => parseEditRequest({ ...ok, comment: 'x'.repeat(2000) }, f));
  });

  test('slots inside the day and in order', () => {
    validationField(() => parseEditRequest({ ...ok, firstSlot: -1 }, f), 'firstSlot');
    validationField(() => parseEditRequest({ ...ok, firstSlot: 1.5 }, f), 'firstSlot');
    validationField(() => parseEditRequest({ ...ok, lastSlot: 12 }, f), 'lastSlot');
    validationField(() => parseEditRequest({ ...ok, firstSlot: 5, lastSlot: 3 }, f), 'lastSlot');
  });

  test('identity, kind and unknown fields', () => {
    validationField(() => parseEditRequest(null, f), 'edit');
    validationField(() => parseEditRequest({ ...ok, kind: 'delete' }, f), 'kind');
    validationField(() => parseEditRequest({ ...ok, quantityCode: 14 }, f), 'quantityCode');
    validationField(() => parseEditRequest({ ...ok, day: '2024-03-05' }, f), 'day');
    validationField(() => parseEditRequest({ ...ok, day: '2024-02-30' }, f), 'day');
    validationField(() => parseEditRequest({ ...ok, pointId: 7 }, f), 'pointId');
  });

  test('replace values: present, one or one per slot, finite, not negative for energy', () => {
    const { values: _omit, ...noValues } = ok;
    validationField(() => parseEditRequest(noValues, f), 'values');
    validationField(() => parseEditRequest({ ...ok, values: [1, 2] }, f), 'values');
    validationField(() => parseEditRequest({ ...ok, values: [1, 'x', 3] }, f), 'values[1]');
    validationField(() => parseEditRequest({ ...ok, values: [1, 2, -3] }, f), 'values[2]');
    validationField(() => parseEditRequest({ ...ok, values: Number.POSITIVE_INFINITY }, f), 'values');
    validationField(() => parseEditRequest({ ...ok, kind: 'interpolate' }, f), 'values');
  });

  test('interpolate needs a value on both sides inside the day', () => {
    const req = { ...ok, kind: 'interpolate', values: undefined };
    assert.equal(parseEditRequest({ ...req, firstSlot: 4, lastSlot: 6 }, f).kind, 'interpolate');
    validationField(() => parseEditRequest({ ...req, firstSlot: 3, lastSlot: 4 }, f), 'firstSlot');
    validationField(() => parseEditRequest({ ...req, firstSlot: 0, lastSlot: 1 }, f), 'firstSlot');
    validationField(() => parseEditRequest({ ...req, firstSlot: 10, lastSlot: 11 }, f), 'lastSlot');
    validationField(() => parseEditRequest({ ...req, firstSlot: 5, lastSlot: 1 }, f), 'lastSlot');
    validationField(() => parseEditRequest({ ...req, firstSlot: 1, lastSlot: 1 }, f), 'lastSlot');
  });

  test('accept and copy_retaguarda need the source in every slot (given the meters), naming the slot', () => {
    const principal = md('principal', [10, 11, null, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    const retaguarda = md('retaguarda', [10, 11, 12, 13, null, 15, 16, 17, 18, 19, 20, 21]);
    const ctx = { principal, retaguarda };
    const accept = { ...ok, kind: 'accept', values: undefined };
    const copy = { ...ok, kind: 'copy_retaguarda', values: undefined };
    assert.equal(parseEditRequest({ ...accept, firstSlot: 3, lastSlot: 5 }, f, ctx).kind, 'accept');
    validationField(() => parseEditRequest({ ...accept, firstSlot: 1, lastSlot: 3 }, f, ctx), 'kind', 2);
    validationField(() => parseEditRequest({ ...copy, firstSlot: 3, lastSlot: 5 }, f, ctx), 'kind', 4);
    validationField(() => parseEditRequest(copy, f, { principal, retaguarda: null }), 'kind');
    validationField(
      () => parseEditRequest({ ...copy, firstSlot: 5, lastSlot: 6 }, f, { principal, retaguarda, lossFactor: 0 }),
      'lossFactor',
    );
    assert.equal(parseEditRequest({ ...copy, firstSlot: 5, lastSlot: 6 }, f, ctx).kind, 'copy_retaguarda');
    // Without the meters' data the source is checked at apply time.
    assert.equal(parseEditRequest({ ...accept, firstSlot: 1, lastSlot: 3 }, f).kind, 'accept');
  });

  test('a negative value is accepted for a non-energy quantity', () => {
    const pf = actualFinal(BASE, 23);
    const req = { ...ok, quantityCode: 23, values: -0.5 };
    assert.deepEqual(parseEditRequest(req, pf).values, [-0.5, -0.5, -0.5]);
  });
});
