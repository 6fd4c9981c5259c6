/**
 * The virtual-meter formula language (issue 7): pure functions, no store.
 *
 *   text ──parseFormula──► FormulaAst ──checkFormula(env)──► CheckedFormula ──compileFormula──► evaluator
 *
 * Language
 * - Operators `+ - * /` with the usual precedence (* / before + −, left to right), parentheses, unary minus
 *   (unary plus is accepted and ignored).
 * - Numbers with a decimal POINT: `0.985`, `.5`, `1e3`. A decimal comma (`1,5`) is refused with a message saying
 *   so, except inside a function's arguments, where ',' separates arguments (`max(1,5)` is max of 1 and 5).
 * - Point channel: `CODE.CH`, CODE the 13-character SCDE point code (A–Z, 0–9), CH one of CHANNELS: C (kWh
 *   consumo), G (kWh geração), QC / QG (kvarh indutivo direto / reverso). A code that begins with a digit is not
 *   a valid name for the parser: write it `ch("1ABCDEFGHIJKL", "C")` (the call form works for every code).
 * - Virtual meter: `vm("name")`, any non-empty name in quotes.
 * - Group: `group("name")` for a group of virtual meters, `group("name").CH` for a group of points summed on
 *   channel CH; only inside sum().
 * - Functions: `abs(x)`; `min(a, b, …)` and `max(a, b, …)` (two or more); `sum(…)` — the total of its arguments,
 *   each an expression or a group (`sum(group("usinas").G)`); `loss(x, factor)` = x · factor, a loss adjustment
 *   with a CONSTANT factor in (0, 2), e.g. `loss(RSPKSCALADM01.C, 0.985)` for 1.5 % losses.
 *   Unknown names and functions, other operators (%, **, comparisons, ?:), strings outside ch/vm/group and
 *   brackets are refused.
 *
 * Every error is a FronteiraError FRONTEIRA_E_FORMULA whose message starts with "formula column N:" (1-based) and
 * whose details hold { column, length, expected? }. Units, dimension rules and the environment: check.ts. Quality
 * propagation (N < E < M < S < A): quality.ts. Vectorised evaluation: compile.ts. Cycles and recomputation
 * order between virtual meters: ../graph.ts.
 *
 * Example:
 *   const { checked, evaluator } = prepareFormula('RSPKSCALADM01.C - loss(RSPKSCALADM02.G, 0.985)', env);
 *   const r = evaluator.evaluate(checked.inputs.map((i) => seriesFor(i)));   // r.value, r.quality, r.reasonRef…
 */
import { type CheckedFormula, checkFormula, type FormulaEnv } from './check.ts';
import { compileFormula, type FormulaEvaluator } from './compile.ts';
import { type FormulaAst, parseFormula } from './parse.ts';

export {
  type CheckedFormula,
  checkFormula,
  type FormulaEnv,
  type FormulaInput,
  LOSS_FACTOR_RANGE,
  MAX_FORMULA_INPUTS,
  type Reference,
  type Resolution,
  type ResolvedExpr,
  type ResolvedGroup,
  type ResolvedSeries,
  type StaticEnvInit,
  seriesKey,
  staticEnv,
  type Unresolved,
} from './check.ts';
export { compileFormula, type FormulaEvaluator, type FormulaResult, type InputSeries } from './compile.ts';
export {
  type BinaryNode,
  type CallNode,
  CHANNEL_NAMES,
  CHANNELS,
  type ChannelName,
  type FormulaAst,
  type FormulaNode,
  FUNCTIONS,
  type FunctionName,
  formulaError,
  type GroupRefNode,
  isChannelName,
  MAX_FORMULA_LENGTH,
  type NegNode,
  type NumberNode,
  POINT_CODE,
  type PointRefNode,
  parseFormula,
  type ReferenceNode,
  referencesOf,
  type Span,
  type VirtualRefNode,
} from './parse.ts';
export {
  combineQualities,
  QUALITY_BY_RANK,
  QUALITY_RANK,
  RANK_ACTUAL,
  settleSlots,
  WEAKNESS_ORDER,
  weakerQuality,
} from './quality.ts';

export interface PreparedFormula {
  ast: FormulaAst;
  checked: CheckedFormula;
  evaluator: FormulaEvaluator;
}

/** Parse, check and compile in one go (definition, live preview). */
export function prepareFormula(text: string, env: FormulaEnv): PreparedFormula {
  const ast = parseFormula(text);
  const checked = checkFormula(ast, env);
  return { ast, checked, evaluator: compileFormula(checked) };
}
