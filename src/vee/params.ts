/**
 * VEE parameters (vee.md §2–§4): rule settings with the spec's defaults, the estimation chain and the comparison
 * tolerances, plus parameter versions. A version holds one scope's complete overrides ('global', 'group:<tag>' or
 * 'point:<code>') from its `effectiveFrom` day on; for a point and day the newest version of each scope in force is
 * merged over the defaults in the order global ← groups ← point, so revalidating an old day uses the parameters
 * that were in force on it.
 *
 * Values the spec leaves open are [I] proposals, marked as such below.
 */
import { FronteiraError } from '../domain/errors.ts';
import { SEVERITY_NAMES, type SeverityName } from './types.ts';

export interface RuleSetting {
  enabled: boolean;
  /** Severity of the slots (and findings) the rule raises. */
  severity: SeverityName;
}

export interface RuleParams {
  /** Structure: interval, slot count, lengths, duplicates (conflicts), values. Refuses the input. */
  V01: RuleSetting;
  /** Completeness: intervals found vs expected. */
  V02: RuleSetting;
  /** Meter events: outage, clock change or alteration, occurrence overlapping the interval. */
  V03: RuleSetting;
  /**
   * Clock drift at read time: findings are 'warning' above warnS and `severity` above errorS. The slots of a meter
   * over errorS get `slotSeverity` [I]: 'suspect' so a valid retaguarda replaces them but a day is never replaced
   * by like-day estimates only because its clock was off by a few minutes.
   */
  V04: RuleSetting & { warnS: number; errorS: number; slotSeverity: SeverityName };
  /**
   * Zero run while energized, on the point's main-direction active channel(s). `generation` [I]: off by default,
   * a generator at night (solar) is legitimately at zero for hours.
   */
  V05: RuleSetting & { n: number; quantityCodes: number[]; generation: boolean };
  /** Flat line: n identical non-zero values in a row. */
  V06: RuleSetting & { n: number; quantityCodes: number[] };
  /** Spike: value > k × the rank-th highest value of the day, or > capacity × interval × capacityFactor. */
  V07: RuleSetting & { k: number; rank: number; capacityFactor: number; quantityCodes: number[] };
  /** Daily energy outside [lo, hi] × mean of the same day class over the history given (last 4 weeks). */
  V08: RuleSetting & { lo: number; hi: number; minDays: number; quantityCodes: number[] };
  /** Reverse flow: unexpected-direction active energy > share × main-direction energy. */
  V09: RuleSetting & { share: number };
  /** Sum of intervals vs register advance: relative tolerance. */
  V10: RuleSetting & { tolerance: number };
  /**
   * Principal × retaguarda: > hourlyPct on consecutiveHours+ consecutive hours, or > dailyPct over the day. Hours
   * where both meters are below minHourEnergy (channel unit) are not judged [I].
   */
  V11: RuleSetting & {
    hourlyPct: number;
    consecutiveHours: number;
    dailyPct: number;
    minHourEnergy: number;
    quantityCodes: number[];
  };
  /** Phase voltage outside [lowPct, highPct] × nominal; current unbalance above maxCurrentUnbalancePct (null: off). */
  V12: RuleSetting & { lowPct: number; highPct: number; maxCurrentUnbalancePct: number | null };
  /** Registration consistency: serial, constants, TP/TC, quantity codes, MM interval. */
  V13: RuleSetting;
  /**
   * Hourly power factor below minPf: capacitive inside the capacitive window (capacitiveStart, capacitiveHours,
   * wall time), inductive outside it (REN 1000/2021 arts. 302–304; window default [I] 00:00–06:00).
   */
  V14: RuleSetting & { minPf: number; capacitiveStart: string; capacitiveHours: number };
}

/** Chain methods that can be ordered (vee.md §3). RC is a risk figure and SC a post-step: neither is in the order. */
export type ChainMethod = 'RR' | 'RT' | 'LI' | 'LD' | 'ZO';
export const CHAIN_METHODS: readonly ChainMethod[] = ['RR', 'RT', 'LI', 'LD', 'ZO'];

export interface EstimationParams {
  /** First that applies wins. Leaving RR out estimates slots a re-read could still recover (they are reported). */
  order: ChainMethod[];
  /**
   * A principal actual flagged only 'suspect' (V03 events, V04 clock) that no measured source (RT) or confirmed
   * outage (ZO) replaces is kept as the actual (quality A, with its reason) instead of estimated [I].
   */
  keepSuspectActual: boolean;
  RT: { lossFactor: number };
  LI: { maxGap: number };
  /**
   * weeks back, how many like-days to average, the share of measured slots a like-day needs to count as valid [I],
   * whether to scale the profile to the register advance, and the largest accepted deviation of that scale from 1.
   */
  LD: { weeks: number; count: number; minValidShare: number; scaleToRegister: boolean; maxScaleDeviation: number };
  /** Rescale all LI/LD slots so the day meets the register advance; not applied when |factor − 1| > maxDeviation. */
  SC: { enabled: boolean; maxDeviation: number };
}

/** Principal × retaguarda report (vee.md §4): interval tolerance [I]; hourly/daily use V11's. */
export interface CompareParams {
  intervalPct: number;
  minIntervalEnergy: number;
}

export interface VeeParams {
  rules: RuleParams;
  estimation: EstimationParams;
  compare: CompareParams;
}

const ACTIVE = [1, 14];

export const DEFAULT_PARAMS: VeeParams = deepFreeze({
  rules: {
    V01: { enabled: true, severity: 'error' },
    V02: { enabled: true, severity: 'error' },
    V03: { enabled: true, severity: 'suspect' },
    V04: { enabled: true, severity: 'error', warnS: 60, errorS: 300, slotSeverity: 'suspect' },
    V05: { enabled: true, severity: 'warning', n: 12, quantityCodes: ACTIVE, generation: false },
    V06: { enabled: true, severity: 'warning', n: 24, quantityCodes: ACTIVE },
    V07: { enabled: true, severity: 'error', k: 3, rank: 3, capacityFactor: 1, quantityCodes: ACTIVE },
    V08: { enabled: true, severity: 'warning', lo: 0.5, hi: 1.5, minDays: 1, quantityCodes: ACTIVE },
    V09: { enabled: true, severity: 'warning', share: 0.01 },
    V10: { enabled: true, severity: 'warning', tolerance: 0.005 },
    V11: {
      enabled: true,
      severity: 'warning',
      hourlyPct: 1,
      consecutiveHours: 3,
      dailyPct: 0.5,
      minHourEnergy: 0,
      quantityCodes: ACTIVE,
    },
    V12: { enabled: true, severity: 'warning', lowPct: 0.8, highPct: 1.1, maxCurrentUnbalancePct: null },
    V13: { enabled: true, severity: 'error' },
    V14: { enabled: true, severity: 'info', minPf: 0.92, capacitiveStart: '00:00', capacitiveHours: 6 },
  },
  estimation: {
    order: ['RR', 'RT', 'LI', 'LD', 'ZO'],
    keepSuspectActual: true,
    RT: { lossFactor: 1 },
    LI: { maxGap: 24 },
    LD: { weeks: 4, count: 4, minValidShare: 0.9, scaleToRegister: true, maxScaleDeviation: 0.5 },
    SC: { enabled: false, maxDeviation: 0.2 },
  },
  compare: { intervalPct: 2, minIntervalEnergy: 0 },
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Overrides: any subset of VeeParams; arrays (order, quantityCodes) replace, objects merge. */
export type VeeParamsPatch = {
  rules?: { [R in keyof RuleParams]?: Partial<RuleParams[R]> };
  estimation?: {
    order?: ChainMethod[];
    keepSuspectActual?: boolean;
    RT?: Partial<EstimationParams['RT']>;
    LI?: Partial<EstimationParams['LI']>;
    LD?: Partial<EstimationParams['LD']>;
    SC?: Partial<EstimationParams['SC']>;
  };
  compare?: Partial<CompareParams>;
};

export type ParamScope = 'global' | `group:${string}` | `point:${string}`;

export interface ParamVersion {
  /** Store id, echoed in ResolvedParams.applied. */
  id?: string | number;
  scope: ParamScope;
  /** First operating day the version applies to, 'YYYY-MM-DD'. */
  effectiveFrom: string;
  params: VeeParamsPatch;
}

// ---------------------------------------------------------------------------------------------------------------
// Input validation

function bad(field: string, message: string): never {
  throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${message}`, { field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Check = (v: unknown, field: string) => unknown;

const num =
  (min: number, max: number, opts: { integer?: boolean; exclusiveMin?: boolean } = {}): Check =>
  (v, field) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(field, `${JSON.stringify(v)} is not a number`);
    if (opts.integer && !Number.isInteger(v)) bad(field, `${v} is not an integer`);
    if (opts.exclusiveMin ? v <= min : v < min) bad(field, `${v} must be ${opts.exclusiveMin ? '>' : '≥'} ${min}`);
    if (v > max) bad(field, `${v} must be ≤ ${max}`);
    return v;
  };
const int = (min: number, max: number) => num(min, max, { integer: true });
const positive = (max: number) => num(0, max, { exclusiveMin: true });
const bool: Check = (v, field) => (typeof v === 'boolean' ? v : bad(field, `${JSON.stringify(v)} is not true/false`));
const severity: Check = (v, field) =>
  SEVERITY_NAMES.includes(v as SeverityName)
    ? v
    : bad(field, `'${String(v)}' is not one of ${SEVERITY_NAMES.join(', ')}`);
const nullable =
  (c: Check): Check =>
  (v, field) =>
    v === null ? null : c(v, field);
const codes: Check = (v, field) => {
  if (!Array.isArray(v)) bad(field, 'must be a list of quantity codes');
  v.forEach((c, i) => {
    int(0, 99)(c, `${field}[${i}]`);
  });
  if (new Set(v).size !== v.length) bad(field, 'lists a quantity code twice');
  return [...v];
};
const hhmm: Check = (v, field) => {
  const m = typeof v === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(v) : null;
  return m ? v : bad(field, `'${String(v)}' is not a time HH:MM`);
};
const chainOrder: Check = (v, field) => {
  if (!Array.isArray(v)) bad(field, `must be a list of ${CHAIN_METHODS.join(', ')}`);
  v.forEach((m, i) => {
    if (!CHAIN_METHODS.includes(m as ChainMethod)) {
      bad(
        `${field}[${i}]`,
        `'${String(m)}' is not a chain method (${CHAIN_METHODS.join(', ')}; RC is a risk figure only)`,
      );
    }
  });
  if (new Set(v).size !== v.length) bad(field, 'lists a method twice');
  return [...v];
};

const RULE_BASE: Record<string, Check> = { enabled: bool, severity };
const RULE_FIELDS: Record<keyof RuleParams, Record<string, Check>> = {
  V01: RULE_BASE,
  V02: RULE_BASE,
  V03: RULE_BASE,
  V04: { ...RULE_BASE, warnS: num(0, 86400), errorS: num(0, 86400), slotSeverity: severity },
  V05: { ...RULE_BASE, n: int(1, 10000), quantityCodes: codes, generation: bool },
  V06: { ...RULE_BASE, n: int(2, 10000), quantityCodes: codes },
  V07: { ...RULE_BASE, k: positive(1e6), rank: int(1, 1000), capacityFactor: positive(1e6), quantityCodes: codes },
  V08: { ...RULE_BASE, lo: num(0, 1e6), hi: positive(1e6), minDays: int(1, 100), quantityCodes: codes },
  V09: { ...RULE_BASE, share: num(0, 1e6) },
  V10: { ...RULE_BASE, tolerance: num(0, 1) },
  V11: {
    ...RULE_BASE,
    hourlyPct: num(0, 1e6),
    consecutiveHours: int(1, 25),
    dailyPct: num(0, 1e6),
    minHourEnergy: num(0, 1e12),
    quantityCodes: codes,
  },
  V12: { ...RULE_BASE, lowPct: num(0, 10), highPct: positive(10), maxCurrentUnbalancePct: nullable(num(0, 1e6)) },
  V13: RULE_BASE,
  V14: { ...RULE_BASE, minPf: num(0, 1), capacitiveStart: hhmm, capacitiveHours: num(0, 24) },
};

const ESTIMATION_FIELDS: Record<string, Record<string, Check>> = {
  RT: { lossFactor: positive(10) },
  LI: { maxGap: int(1, 10000) },
  LD: {
    weeks: int(1, 52),
    count: int(1, 100),
    minValidShare: num(0, 1),
    scaleToRegister: bool,
    maxScaleDeviation: num(0, 100),
  },
  SC: { enabled: bool, maxDeviation: num(0, 100) },
};

const COMPARE_FIELDS: Record<string, Check> = { intervalPct: num(0, 1e6), minIntervalEnergy: num(0, 1e12) };

function section(v: unknown, field: string, fields: Record<string, Check>): Record<string, unknown> {
  if (!isObject(v)) bad(field, 'must be an object');
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    // Own keys only: 'constructor' or '__proto__' from JSON must be unknown settings, not Object's members.
    const check = Object.hasOwn(fields, k) ? fields[k] : undefined;
    if (!check) bad(`${field}.${k}`, `unknown setting (known: ${Object.keys(fields).join(', ')})`);
    if (x === undefined) continue;
    out[k] = check(x, `${field}.${k}`);
  }
  return out;
}

/** Checks a parameter override (e.g. from the API or a stored version) and returns a clean copy. */
export function parseParamsPatch(input: unknown, field = 'params'): VeeParamsPatch {
  if (!isObject(input)) bad(field, 'must be an object');
  const out: VeeParamsPatch = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if (k === 'rules') {
      if (!isObject(v)) bad(`${field}.rules`, 'must be an object');
      const rules: Record<string, unknown> = {};
      for (const [id, r] of Object.entries(v)) {
        const fields = Object.hasOwn(RULE_FIELDS, id) ? RULE_FIELDS[id as keyof RuleParams] : undefined;
        if (!fields) bad(`${field}.rules.${id}`, 'unknown rule (V01–V14)');
        if (r !== undefined) rules[id] = section(r, `${field}.rules.${id}`, fields);
      }
      out.rules = rules as VeeParamsPatch['rules'];
    } else if (k === 'estimation') {
      if (!isObject(v)) bad(`${field}.estimation`, 'must be an object');
      const est: Record<string, unknown> = {};
      for (const [name, x] of Object.entries(v)) {
        if (x === undefined) continue;
        const where = `${field}.estimation.${name}`;
        if (name === 'order') est.order = chainOrder(x, where);
        else if (name === 'keepSuspectActual') est.keepSuspectActual = bool(x, where);
        else if (Object.hasOwn(ESTIMATION_FIELDS, name)) est[name] = section(x, where, ESTIMATION_FIELDS[name]);
        else bad(where, 'unknown setting (order, keepSuspectActual, RT, LI, LD, SC)');
      }
      out.estimation = est as VeeParamsPatch['estimation'];
    } else if (k === 'compare') {
      out.compare = section(v, `${field}.compare`, COMPARE_FIELDS) as VeeParamsPatch['compare'];
    } else {
      bad(`${field}.${k}`, 'unknown section (rules, estimation, compare)');
    }
  }
  return out;
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDay(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = DAY_RE.exec(s);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === s;
}

export function parseScope(v: unknown, field = 'scope'): ParamScope {
  if (v === 'global') return v;
  if (typeof v === 'string') {
    const m = /^(group|point):(.+)$/.exec(v);
    if (m && m[2].trim() === m[2] && m[2].length <= 100) return v as ParamScope;
  }
  return bad(field, `'${String(v)}' is not 'global', 'group:<tag>' or 'point:<code>'`);
}

/** Checks a parameter version (scope, effectiveFrom, params) and returns a clean copy. */
export function parseParamVersion(input: unknown, field = 'version'): ParamVersion {
  if (!isObject(input)) bad(field, 'must be an object');
  for (const k of Object.keys(input)) {
    if (!['id', 'scope', 'effectiveFrom', 'params'].includes(k)) bad(`${field}.${k}`, 'unknown field');
  }
  const scope = parseScope(input.scope, `${field}.scope`);
  if (!isDay(input.effectiveFrom))
    bad(`${field}.effectiveFrom`, `'${String(input.effectiveFrom)}' is not a YYYY-MM-DD day`);
  const params = parseParamsPatch(input.params ?? {}, `${field}.params`);
  const v: ParamVersion = { scope, effectiveFrom: input.effectiveFrom, params };
  if (input.id !== undefined) {
    if (typeof input.id !== 'string' && typeof input.id !== 'number') bad(`${field}.id`, 'must be a string or number');
    v.id = input.id;
  }
  // A version must make sense on its own over the defaults (warnS ≤ errorS, lo < hi, …).
  checkParams(mergeParams(DEFAULT_PARAMS, params), `${field}.params`);
  return v;
}

/** Cross-field checks of a complete parameter set. */
export function checkParams(p: VeeParams, field = 'params'): VeeParams {
  const r = p.rules;
  if (r.V04.warnS > r.V04.errorS) bad(`${field}.rules.V04.warnS`, `${r.V04.warnS} must be ≤ errorS ${r.V04.errorS}`);
  if (r.V08.lo >= r.V08.hi) bad(`${field}.rules.V08.lo`, `${r.V08.lo} must be < hi ${r.V08.hi}`);
  if (r.V12.lowPct >= r.V12.highPct)
    bad(`${field}.rules.V12.lowPct`, `${r.V12.lowPct} must be < highPct ${r.V12.highPct}`);
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// Merge and resolution

function mergeObject<T extends object>(base: T, patch: Partial<T> | undefined): T {
  if (!patch) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out as T;
}

/** base with patch applied (patch values win; arrays replace). Neither argument is modified. */
export function mergeParams(base: VeeParams, patch: VeeParamsPatch): VeeParams {
  const rules = { ...base.rules } as Record<keyof RuleParams, unknown>;
  for (const [id, r] of Object.entries(patch.rules ?? {})) {
    const key = id as keyof RuleParams;
    rules[key] = mergeObject(base.rules[key] as object, r as object);
  }
  const e = patch.estimation ?? {};
  return {
    rules: rules as RuleParams,
    estimation: {
      order: e.order ? [...e.order] : base.estimation.order,
      keepSuspectActual: e.keepSuspectActual ?? base.estimation.keepSuspectActual,
      RT: mergeObject(base.estimation.RT, e.RT),
      LI: mergeObject(base.estimation.LI, e.LI),
      LD: mergeObject(base.estimation.LD, e.LD),
      SC: mergeObject(base.estimation.SC, e.SC),
    },
    compare: mergeObject(base.compare, patch.compare),
  };
}

export interface ResolvedParams {
  params: VeeParams;
  /** The versions merged, in merge order (global, groups in the point's tag order, point). */
  applied: { id?: string | number; scope: ParamScope; effectiveFrom: string }[];
}

/** The newest version of a scope in force on `day` (a later entry wins a tie on effectiveFrom). */
function inForce(versions: readonly ParamVersion[], scope: string, day: string): ParamVersion | null {
  let best: ParamVersion | null = null;
  for (const v of versions) {
    if (v.scope !== scope || v.effectiveFrom > day) continue;
    if (!best || v.effectiveFrom >= best.effectiveFrom) best = v;
  }
  return best;
}

const resolvedCache = new WeakMap<readonly ParamVersion[], Map<string, ResolvedParams>>();

/**
 * Parameters in force for a point on a day: defaults ← newest global version ← newest version of each of the
 * point's groups (tags, in the point's tag order: a later tag wins) ← newest point version. Each version is the
 * complete override set of its scope (it does not stack on the scope's earlier versions).
 */
export function resolveParams(
  versions: readonly ParamVersion[],
  point: { code: string; tags: readonly string[] },
  day: string,
): ResolvedParams {
  if (!isDay(day)) bad('day', `'${day}' is not a YYYY-MM-DD day`);
  const chain: ParamVersion[] = [];
  const g = inForce(versions, 'global', day);
  if (g) chain.push(g);
  for (const tag of point.tags) {
    const v = inForce(versions, `group:${tag}`, day);
    if (v && !chain.includes(v)) chain.push(v);
  }
  const p = inForce(versions, `point:${point.code}`, day);
  if (p) chain.push(p);
  // Thousands of point-days share a handful of version chains: merge each chain once per version list.
  let cache = resolvedCache.get(versions);
  if (!cache) {
    cache = new Map();
    resolvedCache.set(versions, cache);
  }
  const key = chain.map((v) => versions.indexOf(v)).join(',');
  const hit = cache.get(key);
  if (hit) return hit;
  let params: VeeParams = DEFAULT_PARAMS;
  for (const v of chain) params = mergeParams(params, v.params);
  checkParams(params);
  const resolved: ResolvedParams = {
    params: chain.length === 0 ? DEFAULT_PARAMS : deepFreeze(params),
    applied: chain.map((v) => ({
      ...(v.id !== undefined ? { id: v.id } : {}),
      scope: v.scope,
      effectiveFrom: v.effectiveFrom,
    })),
  };
  cache.set(key, resolved);
  return resolved;
}
