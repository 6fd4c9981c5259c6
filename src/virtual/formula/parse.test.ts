import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FronteiraError, isFronteiraError } from '../../domain/errors.ts';
import { CHANNELS, type FormulaNode, parseFormula, referencesOf } from './parse.ts';

const P = 'RSPKSCALADM01';
const Q = 'RSPKSCALADM02';

/** Compact prefix rendering: shows the tree shape, so precedence is asserted exactly. */
function show(n: FormulaNode): string {
  switch (n.type) {
    case 'number':
      return String(n.value);
    case 'point':
      return `${n.code.slice(-2)}.${n.channel}`;
    case 'virtual':
      return `vm:${n.name}`;
    case 'group':
      return `group:${n.name}${n.channel ? `.${n.channel}` : ''}`;
    case 'neg':
      return `(neg ${show(n.arg)})`;
    case 'binary':
      return `(${n.op} ${show(n.left)} ${show(n.right)})`;
    case 'call':
      return `(${n.fn} ${n.args.map(show).join(' ')})`;
  }
}

const tree = (text: string): string => show(parseFormula(text).root);

function parseError(text: string): FronteiraError {
  try {
    parseFormula(text);
  } catch (e) {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_FORMULA'), `expected FRONTEIRA_E_FORMULA, got ${String(e)}`);
    return e as FronteiraError;
  }
  assert.fail(`'${text}' parsed`);
}

function assertErrorAt(text: string, column: number, pattern: RegExp): void {
  const e = parseError(text);
  assert.equal(e.details.column, column, `${text}: ${e.message}`);
  assert.ok(e.message.startsWith(`formula column ${column}: `), e.message);
  assert.match(e.message, pattern);
  assert.equal(e.status, 400);
}

test('precedence: * and / bind tighter than + and −, both left to right', () => {
  assert.equal(tree(`${P}.C + ${Q}.C * 2`), '(+ 01.C (* 02.C 2))');
  assert.equal(tree(`${P}.C * 2 + ${Q}.C`), '(+ (* 01.C 2) 02.C)');
  assert.equal(tree(`${P}.C - ${Q}.C - ${P}.G`), '(- (- 01.C 02.C) 01.G)');
  assert.equal(tree(`${P}.C / 2 / 4`), '(/ (/ 01.C 2) 4)');
  assert.equal(tree(`${P}.C - ${Q}.C * 3 / 4 + 1`), '(+ (- 01.C (/ (* 02.C 3) 4)) 1)');
});

test('parentheses override precedence and leave no node of their own', () => {
  assert.equal(tree(`(${P}.C + ${Q}.C) * 2`), '(* (+ 01.C 02.C) 2)');
  assert.equal(tree(`${P}.C - (${Q}.C - ${P}.G)`), '(- 01.C (- 02.C 01.G))');
  assert.equal(tree(`((${P}.C))`), '01.C');
});

test('unary minus binds tighter than * and can repeat; unary plus is dropped', () => {
  assert.equal(tree(`-${P}.C * 2`), '(* (neg 01.C) 2)');
  assert.equal(tree(`-(${P}.C + 1)`), '(neg (+ 01.C 1))');
  assert.equal(tree(`${P}.C - -${Q}.C`), '(- 01.C (neg 02.C))');
  assert.equal(tree(`- -${P}.C`), '(neg (neg 01.C))');
  assert.equal(tree(`+${P}.C`), '01.C');
});

test('numeric constants with a decimal point', () => {
  assert.equal(tree('0.985 * vm("x")'), '(* 0.985 vm:x)');
  assert.equal(tree('.5 + vm("x")'), '(+ 0.5 vm:x)');
  assert.equal(tree('1e3 * vm("x")'), '(* 1000 vm:x)');
  const root = parseFormula('12.50 * vm("x")').root;
  assert.equal(root.type, 'binary');
  if (root.type === 'binary' && root.left.type === 'number') assert.equal(root.left.raw, '12.50');
});

test('references: point channels, digit-leading codes, virtual meters, groups', () => {
  for (const ch of Object.keys(CHANNELS)) assert.equal(tree(`${P}.${ch}`), `01.${ch}`);
  const digit = parseFormula('ch("1ABCDEFGHIJKL", "G")').root;
  assert.deepEqual(digit, { type: 'point', code: '1ABCDEFGHIJKL', channel: 'G', start: 0, end: 24 });
  assert.equal(tree(`ch('${P}', 'QC')`), '01.QC');
  assert.equal(tree('vm("Subestação Norte")'), 'vm:Subestação Norte');
  assert.equal(tree('sum(group("usinas").G)'), '(sum group:usinas.G)');
  assert.equal(tree('sum(group("vms"), vm("x"))'), '(sum group:vms vm:x)');
});

test('every function', () => {
  assert.equal(tree(`abs(${P}.C - ${P}.G)`), '(abs (- 01.C 01.G))');
  assert.equal(tree(`min(${P}.C, ${Q}.C)`), '(min 01.C 02.C)');
  assert.equal(tree(`max(${P}.C, ${Q}.C, 0)`), '(max 01.C 02.C 0)');
  assert.equal(tree(`sum(${P}.C, ${Q}.C)`), '(sum 01.C 02.C)');
  assert.equal(tree(`loss(${P}.C, 0.985)`), '(loss 01.C 0.985)');
  assert.equal(tree('max(1,5)'), '(max 1 5)');
});

test('nodes carry their source spans; binary nodes the operator position', () => {
  const text = `  ${P}.C  -  abs(${Q}.G)`;
  const root = parseFormula(text).root;
  assert.equal(root.type, 'binary');
  if (root.type !== 'binary') return;
  assert.equal(text.slice(root.left.start, root.left.end), `${P}.C`);
  assert.equal(text[root.opStart], '-');
  assert.equal(text.slice(root.right.start, root.right.end), `abs(${Q}.G)`);
  assert.equal(root.start, 2);
  assert.equal(root.end, text.length);
});

test('referencesOf lists references in source order', () => {
  const refs = referencesOf(parseFormula(`vm("a") + ${P}.C * sum(group("g").C, ${Q}.G)`));
  assert.deepEqual(
    refs.map((r) => r.type),
    ['virtual', 'point', 'group', 'point'],
  );
});

test('errors: garbage, with the column of the offending character', () => {
  assertErrorAt('#', 1, /unexpected '#'/);
  assertErrorAt(`${P}.C + @`, 19, /expected an operand after '\+', found '@'/);
  assertErrorAt(`${P}.C +`, 18, /found the end of the formula/);
  assertErrorAt(`${P}.C * * 2`, 19, /after '\*'/);
  assertErrorAt(`${P}.C ${Q}.C`, 17, /unexpected 'RSPKSCALADM02.C'.*expected an operator/);
  assertErrorAt(`${P}.C % 2`, 17, /operator '%' is not part/);
  assertErrorAt(`${P}.C ** 2`, 17, /operator '\*\*'/);
  assertErrorAt(`${P}.C == 2`, 17, /operator '=='/);
  assertErrorAt(`!${P}.C`, 1, /operator '!'/);
  assertErrorAt(`${P}.C > 1`, 17, /operator '>'/);
  assertErrorAt(`vm("a") ? 1 : 0`, 9, /conditional/);
  assertErrorAt('vm("a")[0]', 8, /brackets/);
  assertErrorAt('"abc"', 1, /string is only allowed/);
  assertErrorAt('true', 1, /unexpected 'true'/);
  assertErrorAt(`${P}.C; ${Q}.C`, 16, /unexpected ';'/);
  assertErrorAt(`(${P}.C, ${Q}.C)`, 17, /',' only separates function arguments/);
  assertErrorAt(`${P}.C(2)`, 16, /unexpected '\('/);
  assertErrorAt('1.2.3', 4, /unexpected '\.'/);
  assertErrorAt(`${P}?.C`, 14, /unexpected '\?\.'/);
  assertErrorAt('vm("abc', 4, /unclosed string/);
});

test('errors: unknown functions and names', () => {
  assertErrorAt(`vm("x") + avg(${P}.C)`, 11, /unknown function 'avg' \(abs, min, max, sum, loss\)$/);
  assertErrorAt(`Math.max(${P}.C, 1)`, 1, /unknown function 'Math.max'/);
  assertErrorAt('x + 1', 1, /unknown name 'x'/);
  assertErrorAt('abs', 1, /'abs' is a function/);
  assertErrorAt(P, 1, /point 'RSPKSCALADM01' needs a channel/);
  assertErrorAt(`${P}.X`, 15, /unknown channel 'X'; expected C, G, QC, QG/);
  assertErrorAt(`${P}.c`, 15, /unknown channel 'c'/);
  assertErrorAt('RSPK.C', 1, /'RSPK' is not a point code/);
  assertErrorAt('rspkscaladm01.C', 1, /not a point code/);
  assertErrorAt('1ABCDEFGHIJKL.C', 1, /starts with a digit: .*ch\("1ABCDEFGHIJKL", "C"\)/);
  assertErrorAt('ch("1ABC", "C")', 4, /'1ABC' is not a point code/);
  assertErrorAt(`ch("${P}", "Z")`, 21, /unknown channel 'Z'/);
  assertErrorAt(`ch("${P}", C)`, 21, /must be a quoted string/);
  assertErrorAt('vm("  ")', 4, /empty/);
  assertErrorAt('vm(1)', 4, /quoted string/);
  assertErrorAt('group("g").C', 1, /can only be summed/);
  assertErrorAt('abs(group("g"))', 5, /can only be summed/);
  assertErrorAt('sum(group("g").Z)', 16, /unknown channel 'Z'/);
});

test('errors: wrong arity, and arguments must be separated by commas', () => {
  assertErrorAt(`abs(${P}.C, 1)`, 1, /abs\(\) takes 1 argument, got 2/);
  assertErrorAt(`min(${P}.C)`, 1, /min\(\) takes at least 2 arguments, got 1/);
  assertErrorAt('max()', 1, /max\(\) takes at least 2 arguments, got 0/);
  assertErrorAt('sum()', 1, /sum\(\) takes at least 1 argument/);
  assertErrorAt(`loss(${P}.C)`, 1, /loss\(\) takes 2 arguments, got 1; expected loss\(x, factor\)/);
  assertErrorAt(`loss(${P}.C, 0,985)`, 1, /got 3 \(the decimal separator is '\.'/);
  assertErrorAt('vm("a", "b")', 1, /vm\(\) takes 1 argument, got 2/);
  assertErrorAt(`max(${P}.C ${Q}.C)`, 21, /unexpected 'R' in the argument list; expected ','/);
  assertErrorAt(`max(${P}.C,)`, 21, /missing argument after ','/);
  assertErrorAt(`max(,${P}.C)`, 5, /missing argument before ','/);
});

test('errors: decimal comma outside function arguments', () => {
  assertErrorAt('1,5', 2, /decimal comma in '1,5': the decimal separator is '\.'; expected 1\.5/);
  const e = parseError(`${P}.C * 0,985`);
  assert.equal(e.details.column, 20);
  assert.equal(e.details.expected, '0.985');
  assertErrorAt(`(${P}.C * 1,5)`, 21, /decimal comma/);
});

test('errors: unbalanced or empty parentheses', () => {
  assertErrorAt(`(${P}.C + 1`, 1, /'\(' is never closed; expected '\)'/);
  assertErrorAt(`abs((${P}.C)`, 4, /'\(' is never closed/);
  assertErrorAt(`${P}.C + 1)`, 20, /'\)' has no matching '\('/);
  assertErrorAt(`)${P}.C(`, 1, /no matching/);
  assertErrorAt(`${P}.C * ()`, 19, /empty parentheses/);
  // Parentheses inside a name do not count.
  assert.equal(tree('vm("a (b)")'), 'vm:a (b)');
});

test('errors: empty formula and non-string input', () => {
  assertErrorAt('', 1, /formula is empty/);
  assertErrorAt('   \t ', 1, /formula is empty/);
  assert.throws(
    () => parseFormula(undefined as unknown as string),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_FORMULA'),
  );
});

test('pathological input is refused with a FronteiraError, never a RangeError', () => {
  assertErrorAt(`${'('.repeat(150)}1${')'.repeat(150)}`, 101, /nest more than 100/);
  assert.throws(
    () => parseFormula(`${'-'.repeat(15_000)}vm("a")`),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_FORMULA'),
  );
  assert.throws(
    () => parseFormula(`${P}.C+`.repeat(5000)),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_FORMULA'),
  );
  // A long but legitimate sum is fine.
  const long = Array.from({ length: 1000 }, () => `${P}.C`).join('+');
  assert.equal(referencesOf(parseFormula(long)).length, 1000);
});
