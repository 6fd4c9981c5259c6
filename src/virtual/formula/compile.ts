/**
 * Checked formula → evaluator over whole arrays. The expression is lowered once to a short list of steps, each
 * one tight loop over every slot of a day block (or a month: any length), writing into preallocated buffers; no
 * tree is walked per slot. Lowering flattens chains of + − and sum() into one n-ary node, folds constant factors
 * (2·x, loss(x, f), −x) into per-term coefficients, and constants into min/max bounds, so `a + b + … ` over 100
 * series is one node whose loop reads four inputs per pass over the output.
 *
 * Values follow IEEE arithmetic, so a missing input (NaN) spreads to every slot it reaches; a division whose
 * divisor is 0 at a slot writes NaN there and flags the slot. quality.ts then turns NaN into quality N and names
 * the input responsible. Flattening may re-associate additions (a + (b + c) is summed as a + b + c): results can
 * differ from left-to-right evaluation in the last bits.
 */
import { FronteiraError } from '../../domain/errors.ts';
import type { CheckedFormula, FormulaInput, ResolvedExpr } from './check.ts';
import { combineQualities, RANK_ACTUAL, settleSlots } from './quality.ts';

export interface InputSeries {
  /** NaN = missing. */
  value: Float64Array;
  /** Quality codes (vee/types.ts Quality). */
  quality: Uint8Array;
  /** Reason codes (vee/types.ts Reason), passed through to FormulaResult.reason. */
  reason?: Uint8Array | null;
}

export interface FormulaResult {
  /** NaN where the slot is missing (quality N). */
  value: Float64Array;
  quality: Uint8Array;
  /** Index into CheckedFormula.inputs of the input that made the slot non-actual; −1 for none. */
  reasonRef: Int16Array;
  /** The reason code the input named by reasonRef carries at the slot (0 when none or not given). */
  reason: Uint8Array;
  /** 1 where a division by zero happened (value NaN, quality N). */
  divZero: Uint8Array;
  divZeroCount: number;
}

export interface FormulaEvaluator {
  readonly unit: string;
  readonly inputs: readonly FormulaInput[];
  /** Number of array loops one evaluation runs (for tests and tuning). */
  readonly steps: number;
  /** One series per CheckedFormula.inputs entry, in that order, all of one length. */
  evaluate(inputs: readonly InputSeries[]): FormulaResult;
}

// ---------------------------------------------------------------------------------------------------------------
// Lowered form

interface Term {
  x: Ir;
  coef: number;
}

type Ir =
  | { k: 'const'; v: number }
  | { k: 'in'; i: number }
  /** offset + Σ coef·x */
  | { k: 'lin'; terms: Term[]; offset: number }
  | { k: 'mul'; a: Ir; b: Ir }
  | { k: 'div'; a: Ir; b: Ir }
  | { k: 'divc'; a: Ir; c: number }
  | { k: 'cdiv'; c: number; b: Ir }
  | { k: 'abs'; a: Ir }
  | { k: 'min' | 'max'; args: Ir[]; bound: number | null };

function termsOf(x: Ir, coef: number, into: Term[]): number {
  if (x.k === 'const') return x.v * coef;
  if (x.k === 'lin') {
    for (const t of x.terms) into.push({ x: t.x, coef: t.coef * coef });
    return x.offset * coef;
  }
  into.push({ x, coef });
  return 0;
}

function makeLin(terms: Term[], offset: number): Ir {
  if (terms.length === 0) return { k: 'const', v: offset };
  if (terms.length === 1 && terms[0].coef === 1 && offset === 0) return terms[0].x;
  return { k: 'lin', terms, offset };
}

function scale(x: Ir, c: number): Ir {
  const terms: Term[] = [];
  const offset = termsOf(x, c, terms);
  return makeLin(terms, offset);
}

function lower(e: ResolvedExpr): Ir {
  switch (e.op) {
    case 'const':
      return { k: 'const', v: e.value };
    case 'input':
      return { k: 'in', i: e.index };
    case 'neg':
      return scale(lower(e.arg), -1);
    case 'loss':
      return scale(lower(e.arg), e.factor);
    case 'abs': {
      const a = lower(e.arg);
      return a.k === 'const' ? { k: 'const', v: Math.abs(a.v) } : { k: 'abs', a };
    }
    case 'add':
    case 'sub': {
      const terms: Term[] = [];
      const offset = termsOf(lower(e.left), 1, terms) + termsOf(lower(e.right), e.op === 'add' ? 1 : -1, terms);
      return makeLin(terms, offset);
    }
    case 'sum': {
      const terms: Term[] = [];
      let offset = 0;
      for (const a of e.args) offset += termsOf(lower(a), 1, terms);
      return makeLin(terms, offset);
    }
    case 'mul': {
      const a = lower(e.left);
      const b = lower(e.right);
      if (a.k === 'const') return scale(b, a.v);
      if (b.k === 'const') return scale(a, b.v);
      return { k: 'mul', a, b };
    }
    case 'div': {
      const a = lower(e.left);
      const b = lower(e.right);
      if (b.k === 'const') return a.k === 'const' ? { k: 'const', v: a.v / b.v } : { k: 'divc', a, c: b.v };
      if (a.k === 'const') return { k: 'cdiv', c: a.v, b };
      return { k: 'div', a, b };
    }
    case 'min':
    case 'max': {
      const pick = e.op === 'min' ? Math.min : Math.max;
      const args: Ir[] = [];
      let bound: number | null = null;
      for (const x of e.args) {
        const l = lower(x);
        if (l.k === 'const') bound = bound === null ? l.v : pick(bound, l.v);
        else args.push(l);
      }
      if (args.length === 0) return { k: 'const', v: bound ?? Number.NaN };
      if (args.length === 1 && bound === null) return args[0];
      return { k: e.op, args, bound };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Loops

type Step = (regs: Float64Array[], divZero: Uint8Array) => void;
type Chunk = (out: Float64Array, regs: Float64Array[]) => void;

function add1(out: Float64Array, a: Float64Array): void {
  for (let k = 0; k < out.length; k++) out[k] = out[k] + a[k];
}

function add1c(out: Float64Array, a: Float64Array, ca: number): void {
  for (let k = 0; k < out.length; k++) out[k] = out[k] + ca * a[k];
}

function add4(out: Float64Array, a: Float64Array, b: Float64Array, c: Float64Array, d: Float64Array): void {
  for (let k = 0; k < out.length; k++) out[k] = out[k] + a[k] + b[k] + c[k] + d[k];
}

function add4c(
  out: Float64Array,
  a: Float64Array,
  ca: number,
  b: Float64Array,
  cb: number,
  c: Float64Array,
  cc: number,
  d: Float64Array,
  cd: number,
): void {
  for (let k = 0; k < out.length; k++) out[k] = out[k] + ca * a[k] + cb * b[k] + cc * c[k] + cd * d[k];
}

function linChunks(regsOf: number[], coefs: number[]): Chunk[] {
  const chunks: Chunk[] = [];
  let i = 0;
  for (; i + 4 <= regsOf.length; i += 4) {
    const [ra, rb, rc, rd] = regsOf.slice(i, i + 4);
    const [ca, cb, cc, cd] = coefs.slice(i, i + 4);
    if (ca === 1 && cb === 1 && cc === 1 && cd === 1) {
      chunks.push((out, regs) => add4(out, regs[ra], regs[rb], regs[rc], regs[rd]));
    } else {
      chunks.push((out, regs) => add4c(out, regs[ra], ca, regs[rb], cb, regs[rc], cc, regs[rd], cd));
    }
  }
  for (; i < regsOf.length; i++) {
    const r = regsOf[i];
    const c = coefs[i];
    chunks.push(c === 1 ? (out, regs) => add1(out, regs[r]) : (out, regs) => add1c(out, regs[r], c));
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------------------------
// Emission: registers are [output, inputs…, temporaries…]

const OUT = 0;

class Emitter {
  readonly steps: Step[] = [];
  private readonly free: number[] = [];
  temps = 0;
  hasDivision = false;

  constructor(private readonly inputCount: number) {}

  private take(): number {
    const r = this.free.pop();
    if (r !== undefined) return r;
    return 1 + this.inputCount + this.temps++;
  }

  /** Register holding x: an input's own array, or a temporary it is computed into (release it after use). */
  private operand(x: Ir, held: number[]): number {
    if (x.k === 'in') return 1 + x.i;
    const r = this.take();
    held.push(r);
    this.emit(x, r);
    return r;
  }

  private release(held: number[]): void {
    for (const r of held) this.free.push(r);
  }

  emit(x: Ir, dst: number): void {
    const held: number[] = [];
    switch (x.k) {
      case 'const': {
        const v = x.v;
        this.steps.push((regs) => {
          regs[dst].fill(v);
        });
        break;
      }
      case 'in': {
        const src = 1 + x.i;
        this.steps.push((regs) => {
          regs[dst].set(regs[src]);
        });
        break;
      }
      case 'lin': {
        const regsOf = x.terms.map((t) => this.operand(t.x, held));
        const chunks = linChunks(
          regsOf,
          x.terms.map((t) => t.coef),
        );
        const offset = x.offset;
        this.steps.push((regs) => {
          const out = regs[dst];
          out.fill(offset);
          for (const c of chunks) c(out, regs);
        });
        break;
      }
      case 'mul': {
        const ra = this.operand(x.a, held);
        const rb = this.operand(x.b, held);
        this.steps.push((regs) => {
          const o = regs[dst];
          const a = regs[ra];
          const b = regs[rb];
          for (let k = 0; k < o.length; k++) o[k] = a[k] * b[k];
        });
        break;
      }
      case 'div': {
        this.hasDivision = true;
        const ra = this.operand(x.a, held);
        const rb = this.operand(x.b, held);
        this.steps.push((regs, dz) => {
          const o = regs[dst];
          const a = regs[ra];
          const b = regs[rb];
          for (let k = 0; k < o.length; k++) {
            const d = b[k];
            if (d === 0) {
              o[k] = Number.NaN;
              dz[k] = 1;
            } else {
              o[k] = a[k] / d;
            }
          }
        });
        break;
      }
      case 'cdiv': {
        this.hasDivision = true;
        const c = x.c;
        const rb = this.operand(x.b, held);
        this.steps.push((regs, dz) => {
          const o = regs[dst];
          const b = regs[rb];
          for (let k = 0; k < o.length; k++) {
            const d = b[k];
            if (d === 0) {
              o[k] = Number.NaN;
              dz[k] = 1;
            } else {
              o[k] = c / d;
            }
          }
        });
        break;
      }
      case 'divc': {
        const c = x.c;
        const ra = this.operand(x.a, held);
        this.steps.push((regs) => {
          const o = regs[dst];
          const a = regs[ra];
          for (let k = 0; k < o.length; k++) o[k] = a[k] / c;
        });
        break;
      }
      case 'abs': {
        const ra = this.operand(x.a, held);
        this.steps.push((regs) => {
          const o = regs[dst];
          const a = regs[ra];
          for (let k = 0; k < o.length; k++) o[k] = Math.abs(a[k]);
        });
        break;
      }
      case 'min':
      case 'max': {
        const rs = x.args.map((a) => this.operand(a, held));
        const bound = x.bound;
        const isMin = x.k === 'min';
        this.steps.push((regs) => {
          const o = regs[dst];
          o.set(regs[rs[0]]);
          for (let j = 1; j < rs.length; j++) {
            const a = regs[rs[j]];
            if (isMin) for (let k = 0; k < o.length; k++) o[k] = Math.min(o[k], a[k]);
            else for (let k = 0; k < o.length; k++) o[k] = Math.max(o[k], a[k]);
          }
          if (bound === null) return;
          if (isMin) for (let k = 0; k < o.length; k++) o[k] = Math.min(o[k], bound);
          else for (let k = 0; k < o.length; k++) o[k] = Math.max(o[k], bound);
        });
        break;
      }
    }
    this.release(held);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluator

function bad(message: string, details: Record<string, unknown>): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_VALIDATION', message, details);
}

function validate(formula: readonly FormulaInput[], inputs: readonly InputSeries[]): number {
  if (!Array.isArray(inputs) || inputs.length !== formula.length) {
    throw bad(`formula reads ${formula.length} series; got ${Array.isArray(inputs) ? inputs.length : 'no array'}`, {
      field: 'inputs',
    });
  }
  let n = -1;
  for (let i = 0; i < inputs.length; i++) {
    const s = inputs[i];
    const where = `input ${i} (${formula[i].label})`;
    if (!s || !(s.value instanceof Float64Array) || !(s.quality instanceof Uint8Array)) {
      throw bad(`${where}: value must be a Float64Array and quality a Uint8Array`, { field: 'inputs', input: i });
    }
    if (n < 0) n = s.value.length;
    if (s.value.length !== n || s.quality.length !== n || (s.reason != null && s.reason.length !== n)) {
      throw bad(`${where}: every array must hold ${n} slots (value ${s.value.length}, quality ${s.quality.length})`, {
        field: 'inputs',
        input: i,
      });
    }
    if (s.reason != null && !(s.reason instanceof Uint8Array)) {
      throw bad(`${where}: reason must be a Uint8Array`, { field: 'inputs', input: i });
    }
  }
  return n;
}

/** Lowers a checked formula to its loops. The evaluator keeps its temporary buffers between calls. */
export function compileFormula(checked: CheckedFormula): FormulaEvaluator {
  const m = checked.inputs.length;
  const em = new Emitter(m);
  em.emit(lower(checked.expr), OUT);
  const steps = em.steps;
  const tempCount = em.temps;
  const hasDivision = em.hasDivision;
  let temps: Float64Array[] = [];
  let rank = new Uint8Array(0);
  let sizedFor = -1;

  return {
    unit: checked.unit,
    inputs: checked.inputs,
    steps: steps.length,
    evaluate(inputs: readonly InputSeries[]): FormulaResult {
      const n = validate(checked.inputs, inputs);
      if (sizedFor !== n) {
        temps = Array.from({ length: tempCount }, () => new Float64Array(n));
        rank = new Uint8Array(n);
        sizedFor = n;
      }
      const value = new Float64Array(n);
      const regs: Float64Array[] = [value];
      for (const s of inputs) regs.push(s.value);
      for (const t of temps) regs.push(t);
      const divZero = new Uint8Array(n);
      for (const step of steps) step(regs, divZero);

      const reasonRef = new Int16Array(n).fill(-1);
      rank.fill(RANK_ACTUAL);
      combineQualities(
        inputs.map((s) => s.quality),
        rank,
        reasonRef,
      );
      const quality = new Uint8Array(n);
      settleSlots(value, rank, reasonRef, divZero, inputs, quality);

      let divZeroCount = 0;
      if (hasDivision) for (let k = 0; k < n; k++) divZeroCount += divZero[k];
      const reason = new Uint8Array(n);
      for (let k = 0; k < n; k++) {
        const r = reasonRef[k];
        if (r >= 0) {
          const from = inputs[r].reason;
          if (from) reason[k] = from[k];
        }
      }
      return { value, quality, reasonRef, reason, divZero, divZeroCount };
    },
  };
}
