import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../../domain/errors.ts';
import { Random } from '../../domain/random.ts';
import { Quality, Reason } from '../../vee/types.ts';
import { checkFormula, type StaticEnvInit, staticEnv } from './check.ts';
import { compileFormula, type FormulaResult, type InputSeries } from './compile.ts';
import { type FormulaNode, parseFormula } from './parse.ts';
import { QUALITY_BY_RANK, QUALITY_RANK } from './quality.ts';

const { N, A, S, E, M } = Quality;
const P1 = 'RSPKSCALADM01';
const P2 = 'RSPKSCALADM02';
const P3 = '1DIGITFIRST01';

const envInit: StaticEnvInit = {
  points: { [P1]: { C: true, G: true }, [P2]: { C: true }, [P3]: { C: true } },
  virtuals: { k1: { unit: 'kWh' }, f1: { unit: '' }, f2: { unit: '' } },
  groups: { grp: [P1, P2, P3] },
};
const env = staticEnv(envInit);

const compile = (text: string) => {
  const checked = checkFormula(parseFormula(text), env);
  return { checked, evaluator: compileFormula(checked) };
};

const series = (values: number[], quality?: number[], reason?: number[]): InputSeries => ({
  value: Float64Array.from(values),
  quality: Uint8Array.from(quality ?? values.map(() => A)),
  reason: reason ? Uint8Array.from(reason) : undefined,
});

const nan = Number.NaN;

test('known results on small arrays', () => {
  const a = series([10, 20, 30, 40]);
  const b = series([1, 2, 3, 4]);
  const cases: [string, InputSeries[], number[]][] = [
    [`${P1}.C - ${P1}.G`, [a, b], [9, 18, 27, 36]],
    [`2 * ${P1}.C + 1`, [a], [21, 41, 61, 81]],
    [`-${P1}.C / 4`, [a], [-2.5, -5, -7.5, -10]],
    [`(${P1}.C - ${P2}.C * 3) * 0.5`, [a, b], [3.5, 7, 10.5, 14]],
    [`abs(${P2}.C - 25)`, [b], [24, 23, 22, 21]],
    [`min(${P1}.C, 25) + max(${P2}.C, 2.5)`, [a, b], [12.5, 22.5, 28, 29]],
    [`max(${P1}.C - 25, ${P2}.C - 5, 0)`, [a, b], [0, 0, 5, 15]],
    [`min(${P1}.C, ${P2}.C * 12)`, [a, b], [10, 20, 30, 40]],
    [`loss(${P1}.C, 0.9)`, [a], [9, 18, 27, 36]],
    [`sum(group("grp").C)`, [a, b, series([100, 100, 100, 100])], [111, 122, 133, 144]],
    [`sum(group("grp").C) - ${P2}.C`, [a, b, series([0, 0, 0, 1])], [10, 20, 30, 41]],
    [`${P1}.C * vm("f1")`, [a, series([0.5, 1, 2, -1])], [5, 20, 60, -40]],
    [`${P1}.C / vm("f1")`, [a, series([0.5, 1, 2, -1])], [20, 20, 15, -40]],
    [`vm("f1") / vm("f2") * ${P1}.C`, [series([1, 2, 3, 4]), series([2, 2, 2, 2]), a], [5, 20, 45, 80]],
    [`${P1}.C`, [a], [10, 20, 30, 40]],
  ];
  for (const [text, inputs, expected] of cases) {
    const { evaluator } = compile(text);
    const r = evaluator.evaluate(inputs);
    assert.deepEqual([...r.value], expected, text);
    assert.deepEqual([...r.quality], [A, A, A, A], text);
    assert.deepEqual([...r.reasonRef], [-1, -1, -1, -1], text);
    assert.equal(r.divZeroCount, 0, text);
  }
});

test('the result of a bare reference is a copy, never the input array', () => {
  const a = series([1, 2]);
  const r = compile(`${P1}.C`).evaluator.evaluate([a]);
  r.value[0] = 99;
  assert.equal(a.value[0], 1);
});

test('division by zero is flagged per slot: NaN, quality N, no input to blame', () => {
  const { evaluator } = compile(`${P1}.C / vm("f1") + ${P1}.C * (2 / vm("f2"))`);
  const r = evaluator.evaluate([
    series([10, 10, 10, 10]),
    series([2, 0, 5, 0], [A, A, E, A]),
    series([1, 1, 0, 4], [A, A, A, S]),
  ]);
  assert.deepEqual([...r.divZero], [0, 1, 1, 1]);
  assert.equal(r.divZeroCount, 3);
  assert.equal(r.value[0], 25);
  assert.ok(Number.isNaN(r.value[1]) && Number.isNaN(r.value[2]) && Number.isNaN(r.value[3]));
  assert.deepEqual([...r.quality], [A, N, N, N]);
  assert.deepEqual([...r.reasonRef], [-1, -1, -1, -1]);
});

test('quality: the weakest input wins, reasonRef names it (first on ties), reason is carried over', () => {
  const { checked, evaluator } = compile(`${P1}.C - ${P1}.G + vm("k1")`);
  assert.deepEqual(
    checked.inputs.map((i) => i.label),
    [`${P1}.C`, `${P1}.G`, 'vm("k1")'],
  );
  const r = evaluator.evaluate([
    series([1, 1, 1, 1, 1, 1, 1], [A, S, A, E, S, M, S], [0, 3, 0, Reason.outage, 3, Reason.manual, 0]),
    series([1, 1, 1, 1, 1, 1, 1], [A, A, M, A, M, E, S], [0, 0, 6, 0, 6, 2, 0]),
    series([1, 1, 1, 1, 1, 1, 1], [A, A, S, S, A, A, S]),
  ]);
  assert.deepEqual([...r.quality], [A, S, M, E, M, E, S]);
  assert.deepEqual([...r.reasonRef], [-1, 0, 1, 0, 1, 1, 0]);
  assert.deepEqual([...r.reason], [0, 3, 6, Reason.outage, 6, 2, 0]);
  assert.deepEqual([...r.value], [1, 1, 1, 1, 1, 1, 1]);
});

test('quality counts inputs whose value does not reach the result (the loser of a max)', () => {
  const r = compile(`max(${P1}.C, ${P2}.C)`).evaluator.evaluate([series([5, 1]), series([1, 5], [E, E])]);
  assert.deepEqual([...r.value], [5, 5]);
  assert.deepEqual([...r.quality], [E, E]);
  assert.deepEqual([...r.reasonRef], [1, 1]);
});

test('missing inputs: NaN or quality N makes the slot N and names the input marked N, else the one with no value', () => {
  const { evaluator } = compile(`${P1}.C + ${P2}.C * 0`);
  const r = evaluator.evaluate([
    series([nan, 1, 1, 7, nan], [N, N, A, E, A], [Reason.missing, Reason.outage, 0, 0, 0]),
    series([1, 1, nan, nan, nan], [A, A, A, N, N]),
  ]);
  assert.ok(
    [...r.value].every((v) => Number.isNaN(v)),
    'every slot is missing',
  );
  assert.deepEqual([...r.quality], [N, N, N, N, N]);
  // Slot 1: input 0 is N but holds a number: still missing. Slot 2: input 1 has no value though marked A.
  // Slot 4: input 0 has no value (marked A), input 1 is marked N: the input marked missing is named.
  assert.deepEqual([...r.reasonRef], [0, 0, 1, 1, 1]);
  assert.deepEqual([...r.reason], [Reason.missing, Reason.outage, 0, 0, 0]);
});

test('n-ary sums: 100 series are one step, exactly the hand-written left-to-right sum', () => {
  const codes = Array.from({ length: 100 }, (_, i) => `PT${String(i).padStart(11, '0')}`);
  const e = staticEnv({ points: Object.fromEntries(codes.map((c) => [c, { C: true }])), groups: { all: codes } });
  const rnd = new Random('n-ary');
  const inputs = codes.map(() => series(Array.from({ length: 301 }, () => rnd.next() * 1000 - 500)));
  const hand = new Float64Array(301);
  for (const s of inputs) for (let k = 0; k < hand.length; k++) hand[k] += s.value[k];
  for (const text of [codes.map((c) => `${c}.C`).join(' + '), 'sum(group("all").C)']) {
    const ev = compileFormula(checkFormula(parseFormula(text), e));
    assert.equal(ev.steps, 1, text.slice(0, 20));
    assert.deepEqual([...ev.evaluate(inputs).value], [...hand]);
  }
  // Scaled and negated terms still fold into that one step.
  const mixed = compileFormula(checkFormula(parseFormula(`${codes[0]}.C - 2 * ${codes[1]}.C + -${codes[2]}.C`), e));
  assert.equal(mixed.steps, 1);
  const r = mixed.evaluate([series([1]), series([10]), series([100])]);
  assert.deepEqual([...r.value], [1 - 20 - 100]);
});

test('one evaluator serves arrays of different lengths; results never share buffers', () => {
  const { evaluator } = compile(`abs(${P1}.C - ${P2}.C) * vm("f1") + 1`);
  const r1 = evaluator.evaluate([series([1, 5, 3]), series([2, 2, 2]), series([1, 2, 3])]);
  const r2 = evaluator.evaluate([series([4]), series([1]), series([2])]);
  const r3 = evaluator.evaluate([series([]), series([]), series([])]);
  assert.deepEqual([...r1.value], [2, 7, 4]);
  assert.deepEqual([...r2.value], [7]);
  assert.equal(r3.value.length, 0);
  const r4 = evaluator.evaluate([series([1, 5, 3]), series([2, 2, 2]), series([1, 1, 1])]);
  assert.deepEqual([...r4.value], [2, 4, 2]);
  assert.deepEqual([...r1.value], [2, 7, 4]);
});

test('malformed inputs are refused with FRONTEIRA_E_VALIDATION naming the input', () => {
  const { evaluator } = compile(`${P1}.C + ${P2}.C`);
  const bad = (inputs: unknown, pattern: RegExp) =>
    assert.throws(
      () => evaluator.evaluate(inputs as InputSeries[]),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && pattern.test(e.message),
    );
  bad([series([1])], /reads 2 series; got 1/);
  bad(null, /got no array/);
  bad([series([1, 2]), series([1])], /input 1 \(RSPKSCALADM02\.C\): every array must hold 2 slots/);
  bad([series([1]), { value: [1], quality: Uint8Array.of(A) }], /input 1 .*Float64Array/);
  bad([series([1]), { value: Float64Array.of(1), quality: Uint8Array.of(A, A) }], /must hold 1 slots/);
  bad(
    [series([1]), { value: Float64Array.of(1), quality: Uint8Array.of(A), reason: [0] }],
    /reason must be a Uint8Array/,
  );
  bad([series([1]), undefined], /input 1/);
});

// ---------------------------------------------------------------------------------------------------------------
// Property: compiled evaluation equals a naive per-slot tree walk

/** Random formula text of unit kWh (or dimensionless), with the divisors kept to plain series and constants. */
function genEnergy(rnd: Random, depth: number): string {
  const leaf = () => rnd.pick([`${P1}.C`, `${P1}.G`, `${P2}.C`, `ch("${P3}", "C")`, 'vm("k1")']);
  if (depth <= 0 || rnd.next() < 0.2) return leaf();
  const e = () => genEnergy(rnd, depth - 1);
  const c = () => rnd.pick(['0', '1', '2', '0.5', '3.25', '1e2', '0.001']);
  switch (rnd.int(0, 14)) {
    case 0:
      return `${e()} + ${e()}`;
    case 1:
      return `${e()} - ${e()}`;
    case 2:
      return `-(${e()})`;
    case 3:
      return `abs(${e()})`;
    case 4:
      return `min(${e()}, ${e()}${rnd.next() < 0.5 ? `, ${c()}` : ''})`;
    case 5:
      return `max(${c()}, ${e()}, ${e()})`;
    case 6:
      return rnd.next() < 0.5 ? 'sum(group("grp").C)' : `sum(${e()}, ${e()}, ${c()})`;
    case 7:
      return `loss(${e()}, ${rnd.pick(['0.985', '1.02', '0.5'])})`;
    case 8:
      return `(${e()}) * ${c()}`;
    case 9:
      return `${c()} * (${e()} - ${e()})`;
    case 10:
      return `(${e()}) / ${rnd.pick(['2', '0.25', '3', '-7'])}`;
    case 11:
      return `(${e()}) * (${genDimensionless(rnd, depth - 1)})`;
    case 12:
      return `(${e()}) / vm("${rnd.pick(['f1', 'f2'])}")`;
    case 13:
      return `${e()} * 2 + ${c()} - ${e()}`;
    default:
      return `(${e()})`;
  }
}

function genDimensionless(rnd: Random, depth: number): string {
  if (depth <= 0 || rnd.next() < 0.4) return rnd.pick(['vm("f1")', 'vm("f2")', '2', '0.5']);
  const d = () => genDimensionless(rnd, depth - 1);
  return rnd.pick([
    `${d()} + ${d()}`,
    `abs(${d()})`,
    `-${d()}`,
    `${d()} * ${d()}`,
    `min(${d()}, 1)`,
    `${rnd.pick(['2', '-0.5'])} / vm("f1")`,
    `(${d()}) / vm("f2")`,
  ]);
}

interface Naive {
  value: number[];
  quality: number[];
  reasonRef: number[];
  divZero: number[];
  inputs: string[];
}

/** The semantics of issue 7 spelled out slot by slot, independently of compile.ts and quality.ts. */
function naiveEvaluate(root: FormulaNode, data: Map<string, InputSeries>, n: number): Naive {
  const order: string[] = [];
  const groupKeys = (envInit.groups?.grp ?? []).map((code) => `point:${code}.C`);
  const note = (key: string) => {
    if (!order.includes(key)) order.push(key);
  };
  (function collect(x: FormulaNode): void {
    if (x.type === 'point') note(`point:${x.code}.${x.channel}`);
    else if (x.type === 'virtual') note(`virtual:${x.name}`);
    else if (x.type === 'group') groupKeys.forEach(note);
    else if (x.type === 'neg') collect(x.arg);
    else if (x.type === 'binary') {
      collect(x.left);
      collect(x.right);
    } else if (x.type === 'call') x.args.forEach(collect);
  })(root);

  const out: Naive = { value: [], quality: [], reasonRef: [], divZero: [], inputs: order };
  for (let k = 0; k < n; k++) {
    let dz = false;
    const at = (key: string) => data.get(key)!.value[k];
    const ev = (x: FormulaNode): number => {
      switch (x.type) {
        case 'number':
          return x.value;
        case 'point':
          return at(`point:${x.code}.${x.channel}`);
        case 'virtual':
          return at(`virtual:${x.name}`);
        case 'group':
          return groupKeys.reduce((s, key) => s + at(key), 0);
        case 'neg':
          return -ev(x.arg);
        case 'binary': {
          const l = ev(x.left);
          const r = ev(x.right);
          if (x.op === '+') return l + r;
          if (x.op === '-') return l - r;
          if (x.op === '*') return l * r;
          if (r === 0) {
            dz = true;
            return nan;
          }
          return l / r;
        }
        case 'call': {
          const args = x.args.map(ev);
          if (x.fn === 'abs') return Math.abs(args[0]);
          if (x.fn === 'min') return Math.min(...args);
          if (x.fn === 'max') return Math.max(...args);
          if (x.fn === 'loss') return args[0] * args[1];
          return args.reduce((s, v) => s + v, 0);
        }
      }
    };
    const v = ev(root);
    const ranks = order.map((key) => {
      const s = data.get(key)!;
      return Number.isNaN(s.value[k]) ? 0 : QUALITY_RANK[s.quality[k]];
    });
    const weakest = Math.min(...ranks);
    const markedMissing = order.findIndex(
      (key) => data.get(key)!.quality[k] === N || QUALITY_RANK[data.get(key)!.quality[k]] === 0,
    );
    const firstMissing = markedMissing >= 0 ? markedMissing : ranks.indexOf(0);
    if (firstMissing >= 0 || dz || !Number.isFinite(v)) {
      out.value.push(nan);
      out.quality.push(N);
      out.reasonRef.push(firstMissing);
    } else {
      out.value.push(v);
      out.quality.push(QUALITY_BY_RANK[weakest]);
      out.reasonRef.push(weakest === QUALITY_RANK[A] ? -1 : ranks.indexOf(weakest));
    }
    out.divZero.push(dz ? 1 : 0);
  }
  return out;
}

function randomSeries(rnd: Random, n: number, dimensionless: boolean): InputSeries {
  const value = new Float64Array(n);
  const quality = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const u = rnd.next();
    value[k] = u < 0.04 ? nan : u < 0.14 ? 0 : dimensionless ? rnd.next() * 4 - 2 : rnd.next() * 200 - 100;
    quality[k] = rnd.next() < 0.7 ? A : rnd.pick([N, S, E, M, 7]);
  }
  return { value, quality };
}

function assertSame(text: string, got: FormulaResult, want: Naive): void {
  for (let k = 0; k < want.value.length; k++) {
    const where = `${text} @${k}`;
    assert.equal(got.quality[k], want.quality[k], `quality ${where}`);
    assert.equal(got.reasonRef[k], want.reasonRef[k], `reasonRef ${where}`);
    assert.equal(got.divZero[k], want.divZero[k], `divZero ${where}`);
    const g = got.value[k];
    const w = want.value[k];
    if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `value ${where}: ${g} should be NaN`);
    else assert.ok(Math.abs(g - w) <= 1e-6 + 1e-9 * Math.abs(w), `value ${where}: ${g} vs ${w}`);
  }
}

test('property: compiled evaluation equals a naive per-slot evaluation (seeded random formulas and data)', () => {
  const rnd = new Random('virtual-formula-property');
  const n = 67;
  let divisions = 0;
  let nonActual = 0;
  for (let trial = 0; trial < 400; trial++) {
    const text = genEnergy(rnd, rnd.int(1, 5));
    const ast = parseFormula(text);
    const checked = checkFormula(ast, env);
    assert.equal(checked.unit, 'kWh', text);
    const data = new Map<string, InputSeries>();
    for (const key of [`point:${P1}.C`, `point:${P1}.G`, `point:${P2}.C`, `point:${P3}.C`, 'virtual:k1']) {
      data.set(key, randomSeries(rnd, n, false));
    }
    for (const key of ['virtual:f1', 'virtual:f2']) data.set(key, randomSeries(rnd, n, true));

    const want = naiveEvaluate(ast.root, data, n);
    assert.deepEqual(
      checked.inputs.map((i) => i.key),
      want.inputs,
      text,
    );
    const got = compileFormula(checked).evaluate(checked.inputs.map((i) => data.get(i.key)!));
    assertSame(text, got, want);
    divisions += got.divZeroCount;
    nonActual += got.quality.filter((q) => q !== A && q !== N).length;
  }
  // The generator must actually exercise the interesting paths.
  assert.ok(divisions > 50, `divisions by zero seen: ${divisions}`);
  assert.ok(nonActual > 500, `S/E/M slots seen: ${nonActual}`);
});
