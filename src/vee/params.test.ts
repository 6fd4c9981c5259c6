import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import {
  checkParams,
  DEFAULT_PARAMS,
  isDay,
  mergeParams,
  type ParamVersion,
  parseParamsPatch,
  parseParamVersion,
  parseScope,
  resolveParams,
} from './params.ts';

/** Asserts a typed validation error whose message names `field`. */
function rejects(f: () => unknown, field: string): void {
  assert.throws(f, (e) => {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'), String(e));
    assert.ok(e.message.startsWith(`${field}:`), `${e.message} does not start with ${field}`);
    return true;
  });
}

test('defaults follow the spec table (vee.md §2–§3)', () => {
  const r = DEFAULT_PARAMS.rules;
  assert.deepEqual([r.V04.warnS, r.V04.errorS], [60, 300]);
  assert.equal(r.V05.n, 12);
  assert.equal(r.V06.n, 24);
  assert.deepEqual([r.V07.k, r.V07.rank], [3, 3]);
  assert.deepEqual([r.V08.lo, r.V08.hi], [0.5, 1.5]);
  assert.equal(r.V10.tolerance, 0.005);
  assert.deepEqual([r.V11.hourlyPct, r.V11.consecutiveHours, r.V11.dailyPct], [1, 3, 0.5]);
  assert.deepEqual([r.V12.lowPct, r.V12.highPct], [0.8, 1.1]);
  assert.deepEqual([r.V14.minPf, r.V14.severity], [0.92, 'info']);
  assert.equal(r.V03.severity, 'suspect');
  assert.deepEqual(DEFAULT_PARAMS.estimation.order, ['RR', 'RT', 'LI', 'LD', 'ZO']);
  assert.equal(DEFAULT_PARAMS.estimation.LI.maxGap, 24);
  assert.equal(DEFAULT_PARAMS.estimation.LD.weeks, 4);
  assert.doesNotThrow(() => checkParams(DEFAULT_PARAMS));
});

test('DEFAULT_PARAMS is deeply frozen', () => {
  assert.ok(Object.isFrozen(DEFAULT_PARAMS.rules.V05.quantityCodes));
  assert.throws(() => {
    (DEFAULT_PARAMS.rules.V07 as { k: number }).k = 9;
  }, TypeError);
  assert.equal(DEFAULT_PARAMS.rules.V07.k, 3);
});

test('parseParamsPatch returns a clean copy and skips undefined', () => {
  const codes = [1];
  const raw = {
    rules: { V05: { n: 6, quantityCodes: codes, severity: undefined } },
    estimation: { order: ['RT', 'LI'] },
  };
  const p = parseParamsPatch(raw);
  assert.deepEqual(p, { rules: { V05: { n: 6, quantityCodes: [1] } }, estimation: { order: ['RT', 'LI'] } });
  assert.notEqual(p.rules?.V05?.quantityCodes, codes);
});

test('parseParamsPatch names the offending field', () => {
  rejects(() => parseParamsPatch(null), 'params');
  rejects(() => parseParamsPatch({ foo: {} }), 'params.foo');
  rejects(() => parseParamsPatch({ rules: { V15: {} } }), 'params.rules.V15');
  rejects(() => parseParamsPatch({ rules: { V07: { kk: 1 } } }), 'params.rules.V07.kk');
  rejects(() => parseParamsPatch({ rules: { V07: { k: 0 } } }), 'params.rules.V07.k');
  rejects(() => parseParamsPatch({ rules: { V07: { rank: 1.5 } } }), 'params.rules.V07.rank');
  rejects(() => parseParamsPatch({ rules: { V07: { k: '3' } } }), 'params.rules.V07.k');
  rejects(() => parseParamsPatch({ rules: { V01: { severity: 'fatal' } } }), 'params.rules.V01.severity');
  rejects(() => parseParamsPatch({ rules: { V01: { enabled: 1 } } }), 'params.rules.V01.enabled');
  rejects(() => parseParamsPatch({ rules: { V05: { quantityCodes: [1, 1] } } }), 'params.rules.V05.quantityCodes');
  rejects(() => parseParamsPatch({ rules: { V05: { quantityCodes: [100] } } }), 'params.rules.V05.quantityCodes[0]');
  rejects(() => parseParamsPatch({ rules: { V14: { capacitiveStart: '24:00' } } }), 'params.rules.V14.capacitiveStart');
  rejects(() => parseParamsPatch({ estimation: { order: ['RT', 'RC'] } }), 'params.estimation.order[1]');
  rejects(() => parseParamsPatch({ estimation: { order: ['RT', 'RT'] } }), 'params.estimation.order');
  rejects(() => parseParamsPatch({ estimation: { LD: { weeks: 53 } } }), 'params.estimation.LD.weeks');
  rejects(() => parseParamsPatch({ estimation: { XX: {} } }), 'params.estimation.XX');
  rejects(() => parseParamsPatch({ compare: { intervalPct: -1 } }), 'params.compare.intervalPct');
  assert.deepEqual(parseParamsPatch({ rules: { V12: { maxCurrentUnbalancePct: null } } }), {
    rules: { V12: { maxCurrentUnbalancePct: null } },
  });
});

test("parseParamsPatch: inherited names ('__proto__', 'constructor', 'toString') are unknown, never Object's members", () => {
  rejects(() => parseParamsPatch(JSON.parse('{"rules":{"__proto__":{}}}')), 'params.rules.__proto__');
  rejects(() => parseParamsPatch(JSON.parse('{"rules":{"V01":{"__proto__":{}}}}')), 'params.rules.V01.__proto__');
  rejects(() => parseParamsPatch({ rules: { V01: { constructor: 1 } } }), 'params.rules.V01.constructor');
  rejects(() => parseParamsPatch({ rules: { toString: {} } }), 'params.rules.toString');
  rejects(() => parseParamsPatch({ estimation: { hasOwnProperty: {} } }), 'params.estimation.hasOwnProperty');
});

test('parseParamVersion checks scope, day, fields and cross-field consistency', () => {
  const v = parseParamVersion({
    id: 3,
    scope: 'group:sul',
    effectiveFrom: '2024-02-29',
    params: { rules: { V08: { lo: 0.7 } } },
  });
  assert.deepEqual(v, {
    id: 3,
    scope: 'group:sul',
    effectiveFrom: '2024-02-29',
    params: { rules: { V08: { lo: 0.7 } } },
  });
  assert.deepEqual(parseParamVersion({ scope: 'global', effectiveFrom: '2024-01-01' }).params, {});
  rejects(() => parseParamVersion({ scope: 'region:x', effectiveFrom: '2024-01-01' }), 'version.scope');
  rejects(() => parseParamVersion({ scope: 'point: x', effectiveFrom: '2024-01-01' }), 'version.scope');
  rejects(() => parseParamVersion({ scope: 'global', effectiveFrom: '2023-02-29' }), 'version.effectiveFrom');
  rejects(() => parseParamVersion({ scope: 'global', effectiveFrom: '2024-01-01', extra: 1 }), 'version.extra');
  rejects(() => parseParamVersion({ scope: 'global', effectiveFrom: '2024-01-01', id: {} }), 'version.id');
  rejects(
    () => parseParamVersion({ scope: 'global', effectiveFrom: '2024-01-01', params: { rules: { V08: { lo: 1.5 } } } }),
    'version.params.rules.V08.lo',
  );
  rejects(
    () =>
      parseParamVersion({ scope: 'global', effectiveFrom: '2024-01-01', params: { rules: { V04: { warnS: 400 } } } }),
    'version.params.rules.V04.warnS',
  );
  rejects(
    () =>
      parseParamVersion({ scope: 'global', effectiveFrom: '2024-01-01', params: { rules: { V12: { highPct: 0.5 } } } }),
    'version.params.rules.V12.lowPct',
  );
});

test('isDay and parseScope', () => {
  assert.ok(isDay('2024-02-29'));
  for (const d of ['2023-02-29', '2024-1-01', '2024-01-01T00:00', 20240101, null]) assert.ok(!isDay(d));
  assert.equal(parseScope('point:PT-7'), 'point:PT-7');
  rejects(() => parseScope('group:'), 'scope');
});

test('mergeParams: objects merge, arrays replace, neither argument changes', () => {
  const patch = { rules: { V07: { k: 4 } }, estimation: { order: ['LI' as const], LD: { count: 2 } } };
  const m = mergeParams(DEFAULT_PARAMS, patch);
  assert.equal(m.rules.V07.k, 4);
  assert.equal(m.rules.V07.rank, 3);
  assert.deepEqual(m.estimation.order, ['LI']);
  assert.notEqual(m.estimation.order, patch.estimation.order);
  assert.deepEqual([m.estimation.LD.count, m.estimation.LD.weeks], [2, 4]);
  assert.equal(DEFAULT_PARAMS.rules.V07.k, 3);
  assert.deepEqual(patch.rules.V07, { k: 4 });
});

const V = (
  scope: ParamVersion['scope'],
  effectiveFrom: string,
  params: ParamVersion['params'],
  id?: number,
): ParamVersion => ({
  scope,
  effectiveFrom,
  params,
  ...(id !== undefined ? { id } : {}),
});

test('resolveParams: defaults ← global ← groups in tag order ← point, each the newest in force', () => {
  const versions = [
    V('global', '2024-01-01', { rules: { V07: { k: 4 } } }, 1),
    V('global', '2024-03-01', { rules: { V07: { k: 5 } } }, 2),
    V('group:a', '2024-01-01', { rules: { V07: { rank: 4 }, V06: { n: 30 } } }, 3),
    V('group:b', '2024-01-01', { rules: { V06: { n: 40 } } }, 4),
    V('point:PT-7', '2024-02-15', { rules: { V05: { n: 6 } } }, 5),
    V('point:PT-7', '2024-05-01', { rules: { V05: { n: 7 } } }, 6),
  ];
  const pt = { code: 'PT-7', tags: ['a', 'b'] };
  const feb = resolveParams(versions, pt, '2024-02-20');
  assert.deepEqual(
    feb.applied.map((a) => a.id),
    [1, 3, 4, 5],
  );
  assert.deepEqual(
    [feb.params.rules.V07.k, feb.params.rules.V07.rank, feb.params.rules.V06.n, feb.params.rules.V05.n],
    [4, 4, 40, 6],
  );
  const mar = resolveParams(versions, pt, '2024-03-01');
  assert.equal(mar.params.rules.V07.k, 5);
  assert.deepEqual(mar.applied[0], { id: 2, scope: 'global', effectiveFrom: '2024-03-01' });
  // Tag order decides between groups.
  assert.equal(resolveParams(versions, { code: 'PT-7', tags: ['b', 'a'] }, '2024-02-20').params.rules.V06.n, 30);
  // Before every version: the defaults themselves.
  const before = resolveParams(versions, pt, '2023-12-31');
  assert.equal(before.params, DEFAULT_PARAMS);
  assert.deepEqual(before.applied, []);
});

test('resolveParams: a newer version of a scope replaces the older one instead of stacking; a later entry wins a tie', () => {
  const versions = [
    V('global', '2024-01-01', { rules: { V07: { k: 4 }, V06: { n: 30 } } }),
    V('global', '2024-02-01', { rules: { V07: { k: 5 } } }),
    V('global', '2024-02-01', { rules: { V07: { k: 6 } } }),
  ];
  const r = resolveParams(versions, { code: 'X', tags: [] }, '2024-02-02');
  assert.equal(r.params.rules.V07.k, 6);
  assert.equal(r.params.rules.V06.n, 24);
});

test('resolveParams: cached per chain, results frozen, bad day and inconsistent merges are typed errors', () => {
  const versions = [
    V('global', '2024-01-01', { rules: { V04: { warnS: 250 } } }),
    V('point:P', '2024-01-01', { rules: { V04: { errorS: 200 } } }),
  ];
  const a = resolveParams(versions, { code: 'Q', tags: [] }, '2024-02-01');
  assert.equal(resolveParams(versions, { code: 'Q', tags: [] }, '2024-03-01'), a);
  assert.ok(Object.isFrozen(a.params.rules.V04));
  rejects(() => resolveParams(versions, { code: 'P', tags: [] }, '2024-02-01'), 'params.rules.V04.warnS');
  rejects(() => resolveParams(versions, { code: 'Q', tags: [] }, '2024-02-30'), 'day');
});
