import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../../domain/errors.ts';
import { emptyFinalDay, type FinalDay, Quality, Reason } from '../../vee/types.ts';
import { DependencyGraph } from '../graph.ts';
import { CHANNELS, prepareFormula, staticEnv } from './index.ts';

const SUB = 'RSSUBESTACAO1';
const FREE = 'RSCLIENTELIV1';

function finalDay(code: string, quantityCode: number, values: number[], quality: number[]): FinalDay {
  const f = emptyFinalDay({ pointId: 1, pointCode: code, quantityCode, day: '2024-03-01', slots: 4, intervalS: 300 });
  f.value.set(values);
  f.quality.set(quality);
  f.reason.fill(Reason.none);
  return f;
}

test('end to end: a free consumer behind a boundary point, from final series', () => {
  const env = staticEnv({ points: { [SUB]: { C: true, G: true }, [FREE]: { C: true } } });
  const { checked, evaluator } = prepareFormula(`${SUB}.C - ${SUB}.G - loss(${FREE}.C, 1.015)`, env);
  assert.equal(checked.unit, 'kWh');
  const days: Record<string, FinalDay> = {
    [`point:${SUB}.C`]: finalDay(SUB, CHANNELS.C.quantityCode, [100, 100, 100, 100], [1, 1, 1, 1]),
    [`point:${SUB}.G`]: finalDay(SUB, CHANNELS.G.quantityCode, [10, 10, Number.NaN, 10], [1, 1, 0, 1]),
    [`point:${FREE}.C`]: finalDay(FREE, CHANNELS.C.quantityCode, [20, 40, 20, 20], [1, 3, 1, 2]),
  };
  days[`point:${SUB}.G`].reason[2] = Reason.missing;
  const r = evaluator.evaluate(checked.inputs.map((i) => days[i.key]));
  assert.deepEqual([...r.value.slice(0, 2)], [100 - 10 - 20 * 1.015, 100 - 10 - 40 * 1.015]);
  assert.ok(Number.isNaN(r.value[2]));
  assert.deepEqual([...r.quality], [Quality.A, Quality.E, Quality.N, Quality.S]);
  assert.deepEqual(
    [...r.reasonRef].map((i) => (i < 0 ? null : checked.inputs[i].label)),
    [null, `${FREE}.C`, `${SUB}.G`, `${FREE}.C`],
  );
  assert.equal(r.reason[2], Reason.missing);
});

test('definitions feed the dependency graph with the checked dependencies', () => {
  const env = staticEnv({
    points: { [SUB]: { C: true } },
    virtuals: { net: { id: 1, unit: 'kWh' }, total: { id: 2, unit: 'kWh' } },
  });
  const g = new DependencyGraph();
  g.addDefinition('virtual:1', prepareFormula(`${SUB}.C * 2`, env).checked.dependencies);
  g.addDefinition('virtual:2', prepareFormula('vm("net") + 1', env).checked.dependencies);
  assert.deepEqual(g.dependents(`point:${SUB}.C`), ['virtual:1', 'virtual:2']);
  assert.throws(
    () => g.addDefinition('virtual:1', prepareFormula('vm("total")', env).checked.dependencies),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_FORMULA') && /virtual:1 → virtual:2 → virtual:1/.test(e.message),
  );
});
