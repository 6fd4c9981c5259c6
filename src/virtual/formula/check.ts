/**
 * Definition-time checks of a parsed formula against what exists: every reference resolves (through the caller's
 * environment, so this stays free of the store), units agree, constant divisors are not zero, loss factors are
 * constants in range. The result carries the formula's unit, its input series in evaluator order, and a resolved
 * expression tree the compiler lowers to array loops.
 *
 * Units. Every series has a unit ('kWh', 'kvarh', …; '' = dimensionless). Number literals, and expressions made
 * of literals only, are constants: they take the unit of whatever they meet. Then:
 * - `+ - min max sum` need operands of the same unit (kWh + kvarh is refused);
 * - `*` needs at least one dimensionless side (kWh × kWh is refused);
 * - `/` needs a dimensionless divisor (kWh / kWh and 2 / kWh are refused); a constant divisor must not be 0;
 * - abs, unary minus and loss keep their argument's unit.
 */
import type { FronteiraError } from '../../domain/errors.ts';
import {
  CHANNELS,
  type ChannelName,
  type FormulaAst,
  type FormulaNode,
  formulaError,
  type GroupRefNode,
  type PointRefNode,
  type Span,
  type VirtualRefNode,
} from './parse.ts';

// ---------------------------------------------------------------------------------------------------------------
// Environment

/** What a reference in the formula asks the environment for. */
export type Reference =
  | { kind: 'point'; code: string; channel: ChannelName }
  | { kind: 'virtual'; name: string }
  | { kind: 'group'; name: string; channel: ChannelName | null };

/**
 * One series an environment resolved: a point channel or a virtual meter. `id` identifies the SERIES (a point's C
 * and G channels need different ids), unique within its kind; `unit` is the series unit ('' = dimensionless).
 */
export interface ResolvedSeries {
  kind: 'point' | 'virtual';
  id: string | number;
  unit: string;
  /** How messages and reasons name it; defaults to the reference as written (CODE.C, vm("name")). */
  label?: string;
}

export interface ResolvedGroup {
  kind: 'group';
  id: string | number;
  /** The series the group sums, in a stable order (it fixes the evaluator's input order). */
  members: readonly ResolvedSeries[];
}

/** A reference the environment knows is wrong, and how: e.g. the point exists but has no channel G. */
export interface Unresolved {
  kind: 'missing';
  what: 'point' | 'channel' | 'virtual' | 'group';
  message?: string;
}

/** null/undefined = nothing by that name (unknown point, virtual meter or group). */
export type Resolution = ResolvedSeries | ResolvedGroup | Unresolved | null | undefined;

export interface FormulaEnv {
  resolve(ref: Reference): Resolution;
}

/** Dependency key of a series, as the graph (graph.ts) and `CheckedFormula.dependencies` use it. */
export function seriesKey(s: Pick<ResolvedSeries, 'kind' | 'id'>): string {
  return `${s.kind}:${s.id}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Result

/** Expression over input indexes with constants folded; what compile.ts lowers. */
export type ResolvedExpr =
  | { op: 'const'; value: number }
  | { op: 'input'; index: number }
  | { op: 'neg' | 'abs'; arg: ResolvedExpr }
  | { op: 'add' | 'sub' | 'mul' | 'div'; left: ResolvedExpr; right: ResolvedExpr }
  | { op: 'min' | 'max' | 'sum'; args: ResolvedExpr[] }
  | { op: 'loss'; arg: ResolvedExpr; factor: number };

export interface FormulaInput extends ResolvedSeries {
  key: string;
  label: string;
}

export interface CheckedFormula {
  ast: FormulaAst;
  /** Unit of the result ('' = dimensionless). */
  unit: string;
  /**
   * Distinct input series in order of first appearance, left to right, a group contributing its members in the
   * environment's order. The evaluator takes one input series per entry, in this order; reasonRef indexes it.
   */
  inputs: readonly FormulaInput[];
  /** seriesKey of each input (same order): what a virtual-meter definition depends on. */
  dependencies: readonly string[];
  /** Names of the groups summed, in order of first appearance. */
  groups: readonly string[];
  expr: ResolvedExpr;
}

/** Most inputs one formula may read: reasonRef is an Int16Array. */
export const MAX_FORMULA_INPUTS = 32_767;

/** Inclusive-exclusive range of a loss factor (a multiplicative adjustment, e.g. 0.985). */
export const LOSS_FACTOR_RANGE = { above: 0, below: 2 } as const;

// ---------------------------------------------------------------------------------------------------------------
// Check

interface Typed {
  expr: ResolvedExpr;
  unit: string;
  /** Made of number literals only (value folded into expr). */
  constant: boolean;
}

const showUnit = (u: string): string => (u === '' ? 'dimensionless' : u);

/**
 * Resolves and type-checks a parsed formula. Throws FRONTEIRA_E_FORMULA with the column of the offending reference,
 * operator or argument.
 */
export function checkFormula(ast: FormulaAst, env: FormulaEnv): CheckedFormula {
  const inputs: FormulaInput[] = [];
  const byKey = new Map<string, number>();
  const groups: string[] = [];

  const addInput = (s: ResolvedSeries, label: string, at: Span): number => {
    const key = seriesKey(s);
    const known = byKey.get(key);
    if (known !== undefined) return known;
    if (inputs.length >= MAX_FORMULA_INPUTS) {
      throw formulaError(at, `formula reads more than ${MAX_FORMULA_INPUTS} series`);
    }
    byKey.set(key, inputs.length);
    inputs.push({ kind: s.kind, id: s.id, unit: s.unit, key, label: s.label ?? label });
    return inputs.length - 1;
  };

  const series = (n: PointRefNode | VirtualRefNode): Typed => {
    const label = n.type === 'point' ? `${n.code}.${n.channel}` : `vm("${n.name}")`;
    const ref: Reference =
      n.type === 'point' ? { kind: 'point', code: n.code, channel: n.channel } : { kind: 'virtual', name: n.name };
    const r = env.resolve(ref);
    if (!r || r.kind === 'missing' || r.kind === 'group') throw unresolved(n, r);
    if (r.kind !== ref.kind) throw unresolved(n, null);
    const index = addInput(r, label, n);
    return { expr: { op: 'input', index }, unit: r.unit, constant: false };
  };

  const group = (n: GroupRefNode): Typed[] => {
    const r = env.resolve({ kind: 'group', name: n.name, channel: n.channel });
    if (r?.kind !== 'group') throw unresolved(n, r?.kind === 'missing' ? r : null);
    if (r.members.length === 0) throw formulaError(n, `group "${n.name}" has no members`);
    if (!groups.includes(n.name)) groups.push(n.name);
    const first = r.members[0].unit;
    return r.members.map((m) => {
      if (m.unit !== first) {
        throw formulaError(
          n,
          `group "${n.name}" mixes units: ${showUnit(first)} and ${showUnit(m.unit)} (${m.label ?? seriesKey(m)})`,
        );
      }
      const index = addInput(m, m.label ?? seriesKey(m), n);
      return { expr: { op: 'input', index }, unit: m.unit, constant: false };
    });
  };

  const visit = (n: FormulaNode): Typed => {
    switch (n.type) {
      case 'number':
        return { expr: { op: 'const', value: n.value }, unit: '', constant: true };
      case 'point':
      case 'virtual':
        return series(n);
      case 'group':
        // parse.ts admits groups only as sum() arguments, which the 'call' case expands.
        throw formulaError(n, `group "${n.name}" can only be summed`, { expected: `sum(group("${n.name}").C)` });
      case 'neg': {
        const a = visit(n.arg);
        return a.constant
          ? constant(-constValue(a))
          : { expr: { op: 'neg', arg: a.expr }, unit: a.unit, constant: false };
      }
      case 'binary':
        return binary(n.op, visit(n.left), visit(n.right), { start: n.opStart, end: n.opStart + 1 }, n.right);
      case 'call':
        return call(n);
    }
  };

  const binary = (op: '+' | '-' | '*' | '/', l: Typed, r: Typed, at: Span, divisor: Span): Typed => {
    if (op === '/' && r.constant && constValue(r) === 0) {
      throw formulaError(at, `division by zero (the divisor '${ast.text.slice(divisor.start, divisor.end)}' is 0)`);
    }
    if (l.constant && r.constant) {
      const a = constValue(l);
      const b = constValue(r);
      return constant(op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b);
    }
    let unit: string;
    if (op === '+' || op === '-') {
      if (!l.constant && !r.constant && l.unit !== r.unit) {
        throw formulaError(at, `unit mismatch in '${op}': ${showUnit(l.unit)} ${op} ${showUnit(r.unit)}`);
      }
      unit = l.constant ? r.unit : l.unit;
    } else if (op === '*') {
      if (l.unit !== '' && r.unit !== '') {
        throw formulaError(at, `cannot multiply ${l.unit} by ${r.unit}: one side must be dimensionless`);
      }
      unit = l.unit || r.unit;
    } else {
      if (r.unit !== '') {
        throw formulaError(at, `cannot divide by a ${r.unit} series: the divisor must be dimensionless`);
      }
      unit = l.unit;
    }
    const name = op === '+' ? 'add' : op === '-' ? 'sub' : op === '*' ? 'mul' : 'div';
    return { expr: { op: name, left: l.expr, right: r.expr }, unit, constant: false };
  };

  /** All operands of one unit (constants adapt); the unit is '' when every operand is a constant. */
  const sameUnit = (fn: string, args: Typed[], nodes: FormulaNode[]): string => {
    let unit: string | null = null;
    let first = 0;
    for (let i = 0; i < args.length; i++) {
      if (args[i].constant) continue;
      if (unit === null) {
        unit = args[i].unit;
        first = i;
      } else if (args[i].unit !== unit) {
        throw formulaError(
          nodes[Math.min(i, nodes.length - 1)],
          `unit mismatch in ${fn}(): ${showUnit(unit)} (argument ${first + 1}) and ${showUnit(args[i].unit)}`,
        );
      }
    }
    return unit ?? '';
  };

  const call = (n: FormulaNode & { type: 'call' }): Typed => {
    switch (n.fn) {
      case 'abs': {
        const a = visit(n.args[0]);
        return a.constant
          ? constant(Math.abs(constValue(a)))
          : { expr: { op: 'abs', arg: a.expr }, unit: a.unit, constant: false };
      }
      case 'min':
      case 'max': {
        const args = n.args.map(visit);
        const unit = sameUnit(n.fn, args, n.args);
        if (args.every((a) => a.constant)) {
          const vals = args.map(constValue);
          return constant(n.fn === 'min' ? Math.min(...vals) : Math.max(...vals));
        }
        return { expr: { op: n.fn, args: args.map((a) => a.expr) }, unit, constant: false };
      }
      case 'sum': {
        const args: Typed[] = [];
        const nodes: FormulaNode[] = [];
        for (const a of n.args) {
          const typed = a.type === 'group' ? group(a) : [visit(a)];
          for (const t of typed) {
            args.push(t);
            nodes.push(a);
          }
        }
        const unit = sameUnit('sum', args, nodes);
        if (args.every((a) => a.constant)) return constant(args.reduce((s, a) => s + constValue(a), 0));
        return { expr: { op: 'sum', args: args.map((a) => a.expr) }, unit, constant: false };
      }
      case 'loss': {
        const x = visit(n.args[0]);
        const f = visit(n.args[1]);
        if (!f.constant) {
          throw formulaError(n.args[1], 'the loss factor must be a constant number', { expected: 'e.g. 0.985' });
        }
        const factor = constValue(f);
        if (!(factor > LOSS_FACTOR_RANGE.above && factor < LOSS_FACTOR_RANGE.below)) {
          throw formulaError(n.args[1], `loss factor ${factor} is outside (0, 2)`, { expected: 'e.g. 0.985' });
        }
        if (x.constant) return constant(constValue(x) * factor);
        return { expr: { op: 'loss', arg: x.expr, factor }, unit: x.unit, constant: false };
      }
    }
  };

  const top = visit(ast.root);
  if (inputs.length === 0) {
    throw formulaError(ast.root, 'formula references no point channel, virtual meter or group');
  }
  if (hasNonFiniteConstant(top.expr)) {
    throw formulaError(ast.root, 'a constant part of the formula is not a finite number');
  }
  return {
    ast,
    unit: top.unit,
    inputs,
    dependencies: inputs.map((i) => i.key),
    groups,
    expr: top.expr,
  };
}

function constant(value: number): Typed {
  return { expr: { op: 'const', value }, unit: '', constant: true };
}

function constValue(t: Typed): number {
  return (t.expr as { value: number }).value;
}

/** Folded constants that overflowed (1e308 * 10) would poison every slot: refused at definition time. */
function hasNonFiniteConstant(expr: ResolvedExpr): boolean {
  const stack: ResolvedExpr[] = [expr];
  while (stack.length > 0) {
    const e = stack.pop()!;
    switch (e.op) {
      case 'const':
        if (!Number.isFinite(e.value)) return true;
        break;
      case 'input':
        break;
      case 'neg':
      case 'abs':
      case 'loss':
        stack.push(e.arg);
        break;
      case 'min':
      case 'max':
      case 'sum':
        stack.push(...e.args);
        break;
      default:
        stack.push(e.left, e.right);
    }
  }
  return false;
}

function unresolved(n: PointRefNode | VirtualRefNode | GroupRefNode, r: Resolution): FronteiraError {
  const what = r && r.kind === 'missing' ? r.what : n.type;
  const detail = r && r.kind === 'missing' && r.message ? ` (${r.message})` : '';
  let message: string;
  switch (what) {
    case 'point':
      message = `unknown point '${(n as PointRefNode).code}'`;
      break;
    case 'channel': {
      const p = n as PointRefNode;
      message = `point '${p.code}' has no channel ${p.channel} (${CHANNELS[p.channel].name})`;
      break;
    }
    case 'virtual':
      message = `unknown virtual meter "${(n as VirtualRefNode).name}"`;
      break;
    default:
      message = detail
        ? `group "${(n as GroupRefNode).name}" cannot be summed`
        : `unknown group "${(n as GroupRefNode).name}"`;
  }
  return formulaError(n, message + detail, { reference: n.type });
}

// ---------------------------------------------------------------------------------------------------------------
// A map-backed environment (tests, previews, callers that already hold the registry in memory)

export interface StaticEnvInit {
  /** Point code → channels it has, each with the series id (default `${code}.${channel}`) and unit (default by channel). */
  points?: Record<string, Partial<Record<ChannelName, { id?: string | number; unit?: string } | true>>>;
  /** Virtual meter name → its id (default the name) and unit. */
  virtuals?: Record<string, { id?: string | number; unit: string }>;
  /**
   * Group name → members: point codes (summed on the channel the formula names) or `vm:NAME` for virtual meters.
   */
  groups?: Record<string, readonly string[]>;
}

export function staticEnv(init: StaticEnvInit): FormulaEnv {
  const points = init.points ?? {};
  const virtuals = init.virtuals ?? {};
  const groups = init.groups ?? {};
  const point = (code: string, channel: ChannelName): ResolvedSeries | Unresolved | null => {
    if (!Object.hasOwn(points, code)) return null;
    const ch = points[code][channel];
    if (!ch) return { kind: 'missing', what: 'channel' };
    const spec = ch === true ? {} : ch;
    return {
      kind: 'point',
      id: spec.id ?? `${code}.${channel}`,
      unit: spec.unit ?? CHANNELS[channel].unit,
      label: `${code}.${channel}`,
    };
  };
  const virtual = (name: string): ResolvedSeries | null =>
    Object.hasOwn(virtuals, name)
      ? { kind: 'virtual', id: virtuals[name].id ?? name, unit: virtuals[name].unit, label: `vm("${name}")` }
      : null;
  return {
    resolve(ref: Reference): Resolution {
      if (ref.kind === 'point') return point(ref.code, ref.channel);
      if (ref.kind === 'virtual') return virtual(ref.name);
      if (!Object.hasOwn(groups, ref.name)) return null;
      const members: ResolvedSeries[] = [];
      for (const m of groups[ref.name]) {
        if (m.startsWith('vm:')) {
          const v = virtual(m.slice(3));
          if (!v) return { kind: 'missing', what: 'group', message: `member vm("${m.slice(3)}") does not exist` };
          members.push(v);
        } else {
          if (ref.channel === null) {
            return { kind: 'missing', what: 'group', message: `it holds points: name a channel, e.g. .C` };
          }
          const p = point(m, ref.channel);
          if (!p || p.kind === 'missing') {
            return { kind: 'missing', what: 'group', message: `member ${m} has no channel ${ref.channel}` };
          }
          members.push(p);
        }
      }
      return { kind: 'group', id: ref.name, members };
    },
  };
}
