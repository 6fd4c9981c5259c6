import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FronteiraError, isFronteiraError } from '../../domain/errors.ts';
import { type CheckedFormula, checkFormula, type FormulaEnv, type Reference, seriesKey, staticEnv } from './check.ts';
import { parseFormula } from './parse.ts';

const A = 'RSPKSCALADM01';
const B = 'RSPKSCALADM02';
const C = 'MGUSINAXX0001';

const env = staticEnv({
  points: {
    [A]: { C: { id: 11 }, G: { id: 12 }, QC: { id: 13 } },
    [B]: { C: { id: 21 }, G: { id: 22 } },
    [C]: { G: { id: 32 } },
  },
  virtuals: { net: { id: 100, unit: 'kWh' }, ratio: { id: 101, unit: '' }, reactive: { id: 102, unit: 'kvarh' } },
  groups: { usinas: [C, B], vms: ['vm:net', 'vm:ratio'], empty: [], kwh: ['vm:net'] },
});

const check = (text: string, e: FormulaEnv = env): CheckedFormula => checkFormula(parseFormula(text), e);

function checkError(text: string, e: FormulaEnv = env): FronteiraError {
  try {
    check(text, e);
  } catch (err) {
    assert.ok(isFronteiraError(err, 'FRONTEIRA_E_FORMULA'), `expected FRONTEIRA_E_FORMULA, got ${String(err)}`);
    return err as FronteiraError;
  }
  assert.fail(`'${text}' passed the check`);
}

function assertErrorAt(text: string, column: number, pattern: RegExp): void {
  const e = checkError(text);
  assert.equal(e.details.column, column, `${text}: ${e.message}`);
  assert.ok(e.message.startsWith(`formula column ${column}: `), e.message);
  assert.match(e.message, pattern);
}

test('result unit and inputs in order of first appearance, deduplicated', () => {
  const c = check(`${A}.C - ${A}.G + 0.5 * ${A}.C - vm("net")`);
  assert.equal(c.unit, 'kWh');
  assert.deepEqual(
    c.inputs.map((i) => [i.kind, i.id, i.label]),
    [
      ['point', 11, `${A}.C`],
      ['point', 12, `${A}.G`],
      ['virtual', 100, 'vm("net")'],
    ],
  );
  assert.deepEqual(c.dependencies, ['point:11', 'point:12', 'virtual:100']);
  assert.equal(seriesKey({ kind: 'virtual', id: 100 }), 'virtual:100');
  // The call form and the dotted form name the same series.
  assert.equal(check(`ch("${A}", "C") + ${A}.C`).inputs.length, 1);
});

test('groups expand to their members at check time, in the group order', () => {
  const c = check(`sum(group("usinas").G) - ${B}.G`);
  assert.deepEqual(
    c.inputs.map((i) => i.id),
    [32, 22],
  );
  assert.deepEqual(c.groups, ['usinas']);
  assert.deepEqual(c.expr, {
    op: 'sub',
    left: {
      op: 'sum',
      args: [
        { op: 'input', index: 0 },
        { op: 'input', index: 1 },
      ],
    },
    right: { op: 'input', index: 1 },
  });
  assert.equal(check('sum(group("kwh"), vm("net"))').inputs.length, 1);
});

test('constants are folded and take the unit of what they meet', () => {
  const c = check(`(1 + 2) * ${A}.C - 2 * 0.5 + max(${A}.C, 3 - 3)`);
  assert.equal(c.unit, 'kWh');
  assert.deepEqual(c.expr, {
    op: 'add',
    left: {
      op: 'sub',
      left: { op: 'mul', left: { op: 'const', value: 3 }, right: { op: 'input', index: 0 } },
      right: { op: 'const', value: 1 },
    },
    right: {
      op: 'max',
      args: [
        { op: 'input', index: 0 },
        { op: 'const', value: 0 },
      ],
    },
  });
  assert.deepEqual(check(`loss(${A}.C, 1 - 0.015)`).expr, {
    op: 'loss',
    arg: { op: 'input', index: 0 },
    factor: 0.985,
  });
  assert.deepEqual(check(`${A}.C * abs(-2)`).expr.op, 'mul');
});

test('dimensionless series multiply and divide energies', () => {
  assert.equal(check(`${A}.C * vm("ratio")`).unit, 'kWh');
  assert.equal(check(`vm("ratio") * ${A}.C`).unit, 'kWh');
  assert.equal(check(`${A}.C / vm("ratio")`).unit, 'kWh');
  assert.equal(check(`vm("ratio") * 2`).unit, '');
  assert.equal(check(`${A}.QC - vm("reactive")`).unit, 'kvarh');
});

test('unknown references, with their column', () => {
  assertErrorAt(`${A}.C + RSPKSCALADM99.C`, 19, /unknown point 'RSPKSCALADM99'/);
  assertErrorAt(`${A}.C + ${C}.C`, 19, /point 'MGUSINAXX0001' has no channel C \(kWh consumo/);
  assertErrorAt(`${A}.C + ${A}.QG`, 19, /has no channel QG/);
  assertErrorAt(`${A}.C - vm("nope")`, 19, /unknown virtual meter "nope"/);
  assertErrorAt(`${A}.C - sum(group("nope").C)`, 23, /unknown group "nope"/);
  assertErrorAt('sum(group("empty").C)', 5, /group "empty" has no members/);
  assertErrorAt('sum(group("usinas"))', 5, /group "usinas" cannot be summed \(it holds points: name a channel/);
  assertErrorAt('sum(group("usinas").C)', 5, /member MGUSINAXX0001 has no channel C/);
  assert.equal(checkError(`vm("nope")`).details.reference, 'virtual');
});

test('unit mismatches in + − min max sum, and multiplying or dividing two energies', () => {
  assertErrorAt(`${A}.C + ${A}.QC`, 17, /unit mismatch in '\+': kWh \+ kvarh/);
  assertErrorAt(`${A}.QC - ${A}.G`, 18, /unit mismatch in '-': kvarh - kWh/);
  assertErrorAt(`${A}.C - vm("ratio")`, 17, /kWh - dimensionless/);
  assertErrorAt(`min(${A}.C, 0, vm("reactive"))`, 25, /unit mismatch in min\(\): kWh \(argument 1\) and kvarh/);
  assertErrorAt(`max(${A}.QC, ${A}.C)`, 23, /unit mismatch in max\(\)/);
  assertErrorAt(`sum(${A}.C, group("vms"))`, 22, /group "vms" mixes units: kWh and dimensionless/);
  assertErrorAt(`sum(vm("reactive"), group("usinas").G)`, 21, /unit mismatch in sum\(\): kvarh/);
  assertErrorAt(`${A}.C * ${B}.C`, 17, /cannot multiply kWh by kWh/);
  assertErrorAt(`${A}.C * vm("reactive")`, 17, /cannot multiply kWh by kvarh/);
  assertErrorAt(`${A}.C / ${B}.C`, 17, /cannot divide by a kWh series/);
  assertErrorAt(`1 / ${B}.C`, 3, /cannot divide by a kWh series/);
  assertErrorAt(`abs(${A}.C) + abs(${A}.QC)`, 22, /kWh \+ kvarh/);
});

test('division by a literal (or constant) zero', () => {
  assertErrorAt(`${A}.C / 0`, 17, /division by zero/);
  assertErrorAt(`${A}.C / (1 - 1)`, 17, /division by zero \(the divisor '\(1 - 1\)' is 0\)/);
  assertErrorAt(`${A}.C / 0.0 + 1`, 17, /division by zero/);
  assertErrorAt(`${A}.C * (2 / 0)`, 22, /division by zero/);
  // A series divisor that may be zero is not a definition error: it is flagged per slot when evaluated.
  assert.equal(check(`${A}.C / vm("ratio")`).unit, 'kWh');
});

test('loss factor: a constant in (0, 2)', () => {
  assertErrorAt(`loss(${A}.C, vm("ratio"))`, 23, /loss factor must be a constant number/);
  assertErrorAt(`loss(${A}.C, 0)`, 23, /loss factor 0 is outside \(0, 2\)/);
  assertErrorAt(`loss(${A}.C, 2)`, 23, /outside/);
  assertErrorAt(`loss(${A}.C, -0.5)`, 23, /outside/);
  assert.equal(check(`loss(${A}.C, 1.02)`).unit, 'kWh');
});

test('a formula must read at least one series, and constants must stay finite', () => {
  assertErrorAt('1 + 2', 1, /references no point channel/);
  assertErrorAt(`${A}.C * (1e308 * 10)`, 1, /not a finite number/);
});

test('the environment sees each reference once per occurrence, with the kinds asked', () => {
  const seen: Reference[] = [];
  const spy: FormulaEnv = {
    resolve(ref) {
      seen.push(ref);
      return env.resolve(ref);
    },
  };
  check(`${A}.C + vm("net") + sum(group("usinas").G)`, spy);
  assert.deepEqual(seen, [
    { kind: 'point', code: A, channel: 'C' },
    { kind: 'virtual', name: 'net' },
    { kind: 'group', name: 'usinas', channel: 'G' },
  ]);
});

test('an environment answering with the wrong kind counts as unknown', () => {
  const odd: FormulaEnv = { resolve: () => ({ kind: 'virtual', id: 1, unit: 'kWh' }) };
  assert.match(checkError(`${A}.C`, odd).message, /unknown point/);
});
