/**
 * Formula text → AST with source positions. jsep does the expression parsing (precedence, unary minus, calls,
 * members); a thin subclass records where each token starts and ends, because jsep's own nodes carry no positions
 * and every error we report must point at a column. The jsep AST is then narrowed to the formula language
 * (index.ts documents it) and anything outside it is refused here, with the column, before the checker runs.
 *
 * jsep's configuration is global to the process; this module changes none of it (no added or removed operators,
 * no hooks): operators jsep knows but the language does not (%, **, ==, ?: …) are refused while narrowing.
 */
import jsep from 'jsep';
import { FronteiraError } from '../../domain/errors.ts';

// ---------------------------------------------------------------------------------------------------------------
// Channels and functions

/**
 * Channel names a point reference may carry, with the quantity code of the final series (vee/types.ts) and its
 * unit. C/G are CCEE's consumption/generation directions; QC/QG are the inductive reactive quantities of the same
 * directions (10/15), the ones a four-quadrant SMF meter reports in its direct and reverse channel groups.
 */
export const CHANNELS = {
  C: { quantityCode: 1, unit: 'kWh', name: 'kWh consumo (canal C)' },
  G: { quantityCode: 14, unit: 'kWh', name: 'kWh geração (canal G)' },
  QC: { quantityCode: 10, unit: 'kvarh', name: 'kvarh consumo (indutivo direto)' },
  QG: { quantityCode: 15, unit: 'kvarh', name: 'kvarh geração (indutivo reverso)' },
} as const;
export type ChannelName = keyof typeof CHANNELS;
export const CHANNEL_NAMES = Object.keys(CHANNELS) as ChannelName[];

export function isChannelName(s: string): s is ChannelName {
  return Object.hasOwn(CHANNELS, s);
}

/** Arithmetic functions and how many arguments each takes. */
export const FUNCTIONS = {
  abs: { min: 1, max: 1, usage: 'abs(x)' },
  min: { min: 2, max: Number.POSITIVE_INFINITY, usage: 'min(a, b, …)' },
  max: { min: 2, max: Number.POSITIVE_INFINITY, usage: 'max(a, b, …)' },
  sum: { min: 1, max: Number.POSITIVE_INFINITY, usage: 'sum(group("name").C) or sum(a, b, …)' },
  loss: { min: 2, max: 2, usage: 'loss(x, factor), e.g. loss(RSPKSCALADM01.C, 0.985)' },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;
const FUNCTION_LIST = Object.keys(FUNCTIONS).join(', ');

/** Reference forms written as calls: ch("CODE", "C"), vm("name"), group("name"). */
const REFERENCE_FUNCTIONS = ['ch', 'vm', 'group'] as const;

/** SCDE point code: 13 characters A–Z / 0–9 (DESIGN.md). */
export const POINT_CODE = /^[A-Z0-9]{13}$/;

/** Longest formula accepted; far beyond any hand-written one, it bounds the parser's work and recursion. */
export const MAX_FORMULA_LENGTH = 20_000;
const MAX_PAREN_DEPTH = 100;
const MAX_TREE_DEPTH = 1_500;

// ---------------------------------------------------------------------------------------------------------------
// AST

/** Source span: 0-based start, exclusive end (column = start + 1). */
export interface Span {
  start: number;
  end: number;
}

export interface NumberNode extends Span {
  type: 'number';
  value: number;
  raw: string;
}

export interface PointRefNode extends Span {
  type: 'point';
  code: string;
  channel: ChannelName;
}

export interface VirtualRefNode extends Span {
  type: 'virtual';
  name: string;
}

/** Only valid as an argument of sum(); the checker expands it to its members. */
export interface GroupRefNode extends Span {
  type: 'group';
  name: string;
  /** Channel summed over the group's points; null when the group's members are series already (virtual meters). */
  channel: ChannelName | null;
}

export interface NegNode extends Span {
  type: 'neg';
  arg: FormulaNode;
}

export type BinaryOp = '+' | '-' | '*' | '/';

export interface BinaryNode extends Span {
  type: 'binary';
  op: BinaryOp;
  /** Index of the operator character. */
  opStart: number;
  left: FormulaNode;
  right: FormulaNode;
}

export interface CallNode extends Span {
  type: 'call';
  fn: FunctionName;
  args: FormulaNode[];
}

export type FormulaNode = NumberNode | PointRefNode | VirtualRefNode | GroupRefNode | NegNode | BinaryNode | CallNode;
export type ReferenceNode = PointRefNode | VirtualRefNode | GroupRefNode;

export interface FormulaAst {
  text: string;
  root: FormulaNode;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/**
 * The FronteiraError for a formula problem at `at` (index or span): the message starts with the 1-based column,
 * details carry it with the span length and, when useful, what was expected.
 */
export function formulaError(
  at: number | Span,
  message: string,
  extra: { expected?: string; [key: string]: unknown } = {},
): FronteiraError {
  const start = typeof at === 'number' ? at : at.start;
  const end = typeof at === 'number' ? at + 1 : Math.max(at.end, at.start + 1);
  const expected = extra.expected ? `; expected ${extra.expected}` : '';
  return new FronteiraError('FRONTEIRA_E_FORMULA', `formula column ${start + 1}: ${message}${expected}`, {
    column: start + 1,
    length: end - start,
    ...extra,
  });
}

/** Raised from inside the jsep subclass; parseFormula turns it into a FronteiraError like jsep's own errors. */
class PositionedError extends Error {
  constructor(
    readonly at: number,
    readonly what: string,
    readonly expected?: string,
  ) {
    super(what);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// jsep with positions

type JNode = jsep.Expression & { start?: number; end?: number };

interface JsepInstance {
  expr: string;
  index: number;
  parse(): JNode;
  gobbleSpaces(): void;
  gobbleToken(): JNode | false | undefined;
  gobbleIdentifier(): JNode;
  gobbleNumericLiteral(): JNode;
  gobbleStringLiteral(): JNode;
}

const JsepBase = (jsep as unknown as { Jsep: new (expr: string) => JsepInstance }).Jsep;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return end;
}

class PositionedJsep extends JsepBase {
  override gobbleToken(): JNode | false | undefined {
    this.gobbleSpaces();
    const start = this.index;
    const node = super.gobbleToken();
    if (!node) {
      if (this.expr.charCodeAt(start) === 40 && this.index > start) {
        throw new PositionedError(start, "empty parentheses '()'", 'an expression inside them');
      }
      return node;
    }
    // A parenthesised token comes back as its inner node: its span becomes the parentheses', which is where an
    // error about the whole group should point. Its children keep their own spans.
    node.start = start;
    node.end = trimEnd(this.expr, start, this.index);
    return node;
  }

  override gobbleIdentifier(): JNode {
    const start = this.index;
    const node = super.gobbleIdentifier();
    node.start = start;
    node.end = this.index;
    return node;
  }

  override gobbleNumericLiteral(): JNode {
    const start = this.index;
    const node = super.gobbleNumericLiteral();
    node.start = start;
    node.end = this.index;
    return node;
  }

  override gobbleStringLiteral(): JNode {
    const start = this.index;
    const node = super.gobbleStringLiteral();
    node.start = start;
    node.end = this.index;
    return node;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parse

/**
 * Parses a formula. Throws FRONTEIRA_E_FORMULA naming the column (1-based) and what was expected for garbage,
 * unbalanced parentheses, unknown functions or names, wrong arity, malformed references and empty input.
 */
export function parseFormula(text: string): FormulaAst {
  if (typeof text !== 'string') {
    throw new FronteiraError('FRONTEIRA_E_FORMULA', 'formula must be a string', { column: 1, length: 0 });
  }
  if (text.length > MAX_FORMULA_LENGTH) {
    throw formulaError(MAX_FORMULA_LENGTH, `formula is ${text.length} characters long; at most ${MAX_FORMULA_LENGTH}`);
  }
  if (text.trim() === '') {
    throw formulaError(0, 'formula is empty', { expected: 'an expression, e.g. RSPKSCALADM01.C - RSPKSCALADM01.G' });
  }
  scanBrackets(text);
  let tree: JNode;
  try {
    tree = new PositionedJsep(text).parse();
  } catch (e) {
    throw translateParseError(e, text);
  }
  return { text, root: narrow(tree, text, 0, false) };
}

/** Parentheses balance and nesting, outside string literals: jsep alone reports an unclosed '(' only at the end. */
function scanBrackets(text: string): void {
  const open: number[] = [];
  let quote = 0;
  let quoteAt = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === 92) i++;
      else if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) {
      quote = c;
      quoteAt = i;
    } else if (c === 40) {
      open.push(i);
      if (open.length > MAX_PAREN_DEPTH) throw formulaError(i, `parentheses nest more than ${MAX_PAREN_DEPTH} deep`);
    } else if (c === 41) {
      if (open.length === 0) throw formulaError(i, "unbalanced parentheses: ')' has no matching '('");
      open.pop();
    }
  }
  if (quote !== 0)
    throw formulaError(quoteAt, 'unclosed string', { expected: `a closing ${String.fromCharCode(quote)}` });
  if (open.length > 0) {
    throw formulaError(open[open.length - 1], "unbalanced parentheses: '(' is never closed", { expected: "')'" });
  }
}

function translateParseError(e: unknown, text: string): FronteiraError {
  if (e instanceof FronteiraError) return e;
  if (e instanceof PositionedError) return formulaError(e.at, e.what, e.expected ? { expected: e.expected } : {});
  if (e instanceof RangeError) return formulaError(0, 'formula nests too deeply');
  const je = e as { index?: unknown; description?: unknown };
  if (typeof je?.index !== 'number' || typeof je.description !== 'string') {
    return formulaError(0, `cannot parse formula (${String((e as Error)?.message ?? e)})`);
  }
  const at = je.index;
  const d = je.description;
  const found = at < text.length ? `'${text[at]}'` : 'the end of the formula';
  const after = /^Expected expression after (.+)$/.exec(d);
  if (after || d === 'missing unaryOp argument') {
    const op = after ? after[1] : (text[at - 1] ?? '-');
    return formulaError(at, `expected an operand after '${op}', found ${found}`, {
      expected: 'a number, a reference, a function call or (',
    });
  }
  if (d.startsWith('Variable names cannot start with a number')) {
    let s = at;
    while (s > 0 && /[A-Za-z0-9]/.test(text[s - 1])) s--;
    let t = at;
    while (t < text.length && /[A-Za-z0-9]/.test(text[t])) t++;
    const word = text.slice(s, t);
    return formulaError(
      { start: s, end: t },
      `'${word}' starts with a digit: write a point whose code begins with a digit as ch("${word}", "C")`,
    );
  }
  const unexpected = /^Unexpected "(.*)"$/s.exec(d) ?? /^Unexpected (.)$/s.exec(d);
  if (unexpected) {
    return formulaError(at, `unexpected '${unexpected[1]}'`, {
      expected: 'an operator (+ - * /), a number or a reference',
    });
  }
  if (d === 'Unexpected period') return formulaError(at, "unexpected '.' in a number");
  if (d.startsWith('Expected exponent')) return formulaError(at, 'malformed number exponent');
  if (d.startsWith('Unclosed quote')) return formulaError(at, 'unclosed string', { expected: 'a closing quote' });
  if (d === 'Expected comma') {
    return formulaError(at, `unexpected ${found} in the argument list`, { expected: "',' or ')'" });
  }
  if (d === 'Unexpected token ,') return formulaError(at - 1, "missing argument before ','");
  if (d === 'Unexpected token )') return formulaError(at - 1, "missing argument after ','");
  if (d === 'Unclosed [') return formulaError(at, "brackets '[ ]' are not part of the formula language");
  if (d === 'Expected :' || d === 'Expected expression') {
    return formulaError(at, 'conditional expressions (? :) are not part of the formula language');
  }
  return formulaError(at, d.charAt(0).toLowerCase() + d.slice(1));
}

// ---------------------------------------------------------------------------------------------------------------
// Narrowing jsep's AST to the formula language

function spanOf(n: JNode, text: string): Span {
  if (typeof n.start === 'number' && typeof n.end === 'number') return { start: n.start, end: n.end };
  switch (n.type) {
    case 'BinaryExpression': {
      const b = n as jsep.BinaryExpression;
      return { start: spanOf(b.left, text).start, end: spanOf(b.right, text).end };
    }
    case 'ConditionalExpression': {
      const c = n as jsep.ConditionalExpression;
      return { start: spanOf(c.test, text).start, end: spanOf(c.alternate, text).end };
    }
    case 'MemberExpression': {
      const m = n as jsep.MemberExpression;
      return { start: spanOf(m.object, text).start, end: spanOf(m.property, text).end };
    }
    case 'CallExpression': {
      // A call reached through a member (group("g").C) got no span from gobbleToken: end it at its ')'.
      const c = n as jsep.CallExpression;
      const callee = spanOf(c.callee, text);
      let at = skipSpaces(text, callee.end);
      if (c.arguments.length > 0) at = skipSpaces(text, spanOf(c.arguments[c.arguments.length - 1], text).end);
      else if (text[at] === '(') at = skipSpaces(text, at + 1);
      return { start: callee.start, end: text[at] === ')' ? at + 1 : at };
    }
    default:
      return { start: 0, end: text.length };
  }
}

const REFERENCE_HELP = 'a point channel CODE.C (channels C, G, QC, QG), ch("CODE", "C"), vm("name") or a number';

function narrow(n: JNode, text: string, depth: number, inSum: boolean): FormulaNode {
  if (depth > MAX_TREE_DEPTH) throw formulaError(spanOf(n, text), 'formula nests too deeply');
  const span = spanOf(n, text);
  switch (n.type) {
    case 'Literal': {
      const lit = n as jsep.Literal;
      if (typeof lit.value === 'number') {
        if (!Number.isFinite(lit.value)) throw formulaError(span, `number ${lit.raw} is out of range`);
        return { type: 'number', value: lit.value, raw: lit.raw, ...span };
      }
      if (typeof lit.value === 'string') {
        throw formulaError(span, 'a string is only allowed as the argument of ch(), vm() or group()');
      }
      throw formulaError(span, `unexpected '${lit.raw}'`, { expected: REFERENCE_HELP });
    }
    case 'Identifier':
      throw bareName((n as jsep.Identifier).name, span);
    case 'MemberExpression':
      return narrowMember(n as jsep.MemberExpression, text, span, inSum);
    case 'CallExpression':
      return narrowCall(n as jsep.CallExpression, text, span, depth, inSum);
    case 'UnaryExpression': {
      const u = n as jsep.UnaryExpression;
      if (u.operator === '+') return narrow(u.argument, text, depth + 1, false);
      if (u.operator !== '-') {
        throw formulaError(span.start, `operator '${u.operator}' is not part of the formula language`, {
          expected: '+ - * /',
        });
      }
      return { type: 'neg', arg: narrow(u.argument, text, depth + 1, false), ...span };
    }
    case 'BinaryExpression': {
      const b = n as jsep.BinaryExpression;
      const left = narrow(b.left, text, depth + 1, false);
      const opStart = skipSpaces(text, spanOf(b.left, text).end);
      if (b.operator !== '+' && b.operator !== '-' && b.operator !== '*' && b.operator !== '/') {
        throw formulaError(
          { start: opStart, end: opStart + b.operator.length },
          `operator '${b.operator}' is not part of the formula language`,
          {
            expected: '+ - * /',
          },
        );
      }
      const right = narrow(b.right, text, depth + 1, false);
      return { type: 'binary', op: b.operator, opStart, left, right, ...span };
    }
    case 'Compound':
    case 'SequenceExpression': {
      const parts = (
        n.type === 'Compound' ? (n as jsep.Compound).body : (n as jsep.SequenceExpression).expressions
      ) as JNode[];
      if (parts.length === 0) throw formulaError(span, 'formula is empty', { expected: 'an expression' });
      throw separatorError(parts, text);
    }
    case 'ConditionalExpression': {
      const c = n as jsep.ConditionalExpression;
      const at = skipSpaces(text, spanOf(c.test, text).end);
      throw formulaError(at, 'conditional expressions (? :) are not part of the formula language');
    }
    case 'ArrayExpression':
      throw formulaError(span, "brackets '[ ]' are not part of the formula language");
    default:
      throw formulaError(span, `unexpected '${text.slice(span.start, span.end)}'`, { expected: REFERENCE_HELP });
  }
}

/** Two expressions side by side: jsep allows ',' ';' or nothing between them; the language has no such thing. */
function separatorError(parts: JNode[], text: string): FronteiraError {
  const firstEnd = spanOf(parts[0], text).end;
  const at = skipSpaces(text, firstEnd);
  const c = text[at];
  if (c === ',') {
    if (/[0-9]/.test(text[at - 1] ?? '') && /[0-9]/.test(text[at + 1] ?? '')) {
      let s = at - 1;
      while (s > 0 && /[0-9.]/.test(text[s - 1])) s--;
      let t = at + 1;
      while (t < text.length && /[0-9]/.test(text[t])) t++;
      const written = text.slice(s, t);
      return formulaError(at, `decimal comma in '${written}': the decimal separator is '.'`, {
        expected: written.replace(',', '.'),
      });
    }
    return formulaError(at, "',' only separates function arguments", { expected: 'an operator (+ - * /)' });
  }
  if (c === ';') return formulaError(at, "unexpected ';'", { expected: 'an operator (+ - * /)' });
  const next = spanOf(parts[1], text);
  return formulaError(
    next.start,
    `unexpected '${text.slice(next.start, next.end)}' after '${text.slice(spanOf(parts[0], text).start, firstEnd)}'`,
    {
      expected: 'an operator (+ - * /)',
    },
  );
}

function bareName(name: string, span: Span): FronteiraError {
  if (Object.hasOwn(FUNCTIONS, name) || (REFERENCE_FUNCTIONS as readonly string[]).includes(name)) {
    return formulaError(span, `'${name}' is a function and needs arguments`, { expected: `${name}(…)` });
  }
  if (POINT_CODE.test(name)) {
    return formulaError(span, `point '${name}' needs a channel`, { expected: `${name}.C, .G, .QC or .QG` });
  }
  return formulaError(span, `unknown name '${name}'`, { expected: REFERENCE_HELP });
}

function channelOf(prop: JNode, text: string): ChannelName {
  const span = spanOf(prop, text);
  const name = prop.type === 'Identifier' ? (prop as jsep.Identifier).name : text.slice(span.start, span.end);
  if (!isChannelName(name)) {
    throw formulaError(span, `unknown channel '${name}'`, { expected: CHANNEL_NAMES.join(', ') });
  }
  return name;
}

function checkPointCode(code: string, span: Span): void {
  if (!POINT_CODE.test(code)) {
    throw formulaError(span, `'${code}' is not a point code (13 characters A–Z, 0–9)`, {
      expected: 'a 13-character SCDE code such as RSPKSCALADM01',
    });
  }
}

function narrowMember(m: jsep.MemberExpression, text: string, span: Span, inSum: boolean): FormulaNode {
  if (m.computed) {
    throw formulaError(
      skipSpaces(text, spanOf(m.object, text).end),
      "brackets '[ ]' are not part of the formula language",
    );
  }
  const obj = m.object as JNode;
  const objSpan = spanOf(obj, text);
  if (m.optional) throw formulaError(skipSpaces(text, objSpan.end), "unexpected '?.'", { expected: "'.'" });
  if (obj.type === 'Identifier') {
    const code = (obj as jsep.Identifier).name;
    checkPointCode(code, objSpan);
    return { type: 'point', code, channel: channelOf(m.property, text), ...span };
  }
  if (obj.type === 'CallExpression') {
    const call = obj as jsep.CallExpression;
    if (call.callee.type === 'Identifier' && (call.callee as jsep.Identifier).name === 'group') {
      const name = stringArgs(call, text, span, 1, 'group("name")')[0];
      if (!inSum) throw groupOutsideSum(name, span);
      return { type: 'group', name, channel: channelOf(m.property, text), ...span };
    }
  }
  throw formulaError(
    span,
    `'.${text.slice(spanOf(m.property, text).start, span.end)}' must follow a point code or group("name")`,
    {
      expected: REFERENCE_HELP,
    },
  );
}

function groupOutsideSum(name: string, span: Span): FronteiraError {
  return formulaError(span, `group "${name}" can only be summed`, { expected: `sum(group("${name}").C)` });
}

/** Whether a member expression is a well-formed point or group reference (then a following '(' lacks an operator). */
function isReference(m: JNode, text: string): boolean {
  try {
    narrowMember(m as jsep.MemberExpression, text, spanOf(m, text), true);
    return true;
  } catch {
    return false;
  }
}

/** jsep also takes arguments separated by spaces only (`max(a b)`); the language wants commas. */
function requireCommas(c: jsep.CallExpression, text: string): void {
  for (let i = 1; i < c.arguments.length; i++) {
    const at = skipSpaces(text, spanOf(c.arguments[i - 1], text).end);
    if (text[at] !== ',') throw formulaError(at, `unexpected '${text[at]}' in the argument list`, { expected: "','" });
  }
}

/** The string arguments of ch/vm/group, checked for count, type and emptiness. */
function stringArgs(call: jsep.CallExpression, text: string, span: Span, count: number, usage: string): string[] {
  const callee = (call.callee as jsep.Identifier).name;
  requireCommas(call, text);
  if (call.arguments.length !== count) {
    throw formulaError(
      span,
      `${callee}() takes ${count} argument${count > 1 ? 's' : ''}, got ${call.arguments.length}`,
      {
        expected: usage,
      },
    );
  }
  return call.arguments.map((a) => {
    const arg = a as JNode;
    const s = spanOf(arg, text);
    if (arg.type !== 'Literal' || typeof (arg as jsep.Literal).value !== 'string') {
      throw formulaError(s, `argument of ${callee}() must be a quoted string`, { expected: usage });
    }
    const v = (arg as jsep.Literal).value as string;
    if (v.trim() === '') throw formulaError(s, `argument of ${callee}() is empty`, { expected: usage });
    return v;
  });
}

function narrowCall(c: jsep.CallExpression, text: string, span: Span, depth: number, inSum: boolean): FormulaNode {
  const callee = c.callee as JNode;
  if (callee.type === 'MemberExpression' && !(callee as jsep.MemberExpression).computed && !isReference(callee, text)) {
    const cs = spanOf(callee, text);
    throw formulaError(cs, `unknown function '${text.slice(cs.start, cs.end)}' (${FUNCTION_LIST})`);
  }
  if (callee.type !== 'Identifier') {
    const at = skipSpaces(text, spanOf(callee, text).end);
    throw formulaError(at, "unexpected '('", { expected: 'an operator (+ - * /)' });
  }
  const name = (callee as jsep.Identifier).name;
  const nameSpan = spanOf(callee, text);
  if (name === 'ch') {
    const [code, channel] = stringArgs(c, text, span, 2, 'ch("CODE", "C")');
    checkPointCode(code, spanOf(c.arguments[0], text));
    if (!isChannelName(channel)) {
      throw formulaError(spanOf(c.arguments[1], text), `unknown channel '${channel}'`, {
        expected: CHANNEL_NAMES.join(', '),
      });
    }
    return { type: 'point', code, channel, ...span };
  }
  if (name === 'vm') {
    return { type: 'virtual', name: stringArgs(c, text, span, 1, 'vm("name")')[0], ...span };
  }
  if (name === 'group') {
    const gname = stringArgs(c, text, span, 1, 'group("name")')[0];
    if (!inSum) throw groupOutsideSum(gname, span);
    return { type: 'group', name: gname, channel: null, ...span };
  }
  if (!Object.hasOwn(FUNCTIONS, name)) {
    throw formulaError(nameSpan, `unknown function '${name}' (${FUNCTION_LIST})`);
  }
  const fn = name as FunctionName;
  const arity = FUNCTIONS[fn];
  const n = c.arguments.length;
  if (n < arity.min || n > arity.max) {
    const want = arity.min === arity.max ? `${arity.min}` : `at least ${arity.min}`;
    let hint = '';
    if (fn === 'loss' && n === 3 && /\d,\d/.test(text.slice(span.start, span.end))) {
      hint = " (the decimal separator is '.', not ',')";
    }
    throw formulaError(nameSpan, `${fn}() takes ${want} argument${want === '1' ? '' : 's'}, got ${n}${hint}`, {
      expected: arity.usage,
    });
  }
  requireCommas(c, text);
  const args = c.arguments.map((a) => narrow(a as JNode, text, depth + 1, fn === 'sum'));
  return { type: 'call', fn, args, ...span };
}

/** Every reference node in source order (groups unexpanded). */
export function referencesOf(ast: FormulaAst | FormulaNode): ReferenceNode[] {
  const out: ReferenceNode[] = [];
  const stack: FormulaNode[] = ['root' in ast ? ast.root : ast];
  while (stack.length > 0) {
    const n = stack.pop()!;
    switch (n.type) {
      case 'point':
      case 'virtual':
      case 'group':
        out.push(n);
        break;
      case 'neg':
        stack.push(n.arg);
        break;
      case 'binary':
        stack.push(n.right, n.left);
        break;
      case 'call':
        for (let i = n.args.length - 1; i >= 0; i--) stack.push(n.args[i]);
        break;
      default:
        break;
    }
  }
  return out;
}
