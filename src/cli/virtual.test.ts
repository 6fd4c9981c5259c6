/**
 * `fronteira virtual …` in-process against one PGlite store with two points' final series; the tests build on each
 * other (add → show → preview → update → compute → retire).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cliRunner } from '../../test/helpers/cli.ts';
import { openPgliteStore } from '../../test/helpers/stores.ts';
import { withTransaction } from '../store/bulk.ts';
import type { Store } from '../store/pool.ts';
import { insertMeter, insertPoint } from '../store/registry.ts';
import { getCurrentFinals, saveFinals } from '../store/vee-final.ts';
import { emptyFinalDay, type FinalDay, Quality, Reason, Source } from '../vee/types.ts';
import { registerVirtual } from './virtual.ts';

const P1 = 'SPVCLIAAAAA01';
const P2 = 'SPVCLIBBBBB01';
const D = '2025-03-10';
let store: Store;

before(async () => {
  store = await openPgliteStore();
  const finals: FinalDay[] = [];
  for (const [i, code] of [P1, P2].entries()) {
    const p = await insertPoint(store.db, { code, name: code, kind: 'fronteira', segment: 'livre' });
    await insertMeter(store.db, Number(p.id), {
      serial: String(500 + i),
      role: 'principal',
      channelMap: [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 1 }],
    });
    const f = emptyFinalDay({
      pointId: Number(p.id),
      pointCode: code,
      quantityCode: 1,
      day: D,
      slots: 96,
      intervalS: 900,
    });
    for (let k = 0; k < 96; k++) {
      f.value[k] = i === 0 ? 2 : 0.5;
      f.quality[k] = Quality.A;
      f.reason[k] = Reason.none;
      f.source[k] = Source.principal;
    }
    finals.push(f);
  }
  await withTransaction(store, (tx) => saveFinals(tx, finals, { cause: 'vee' }));
});

after(async () => {
  await store?.close();
});

const runner = cliRunner('virtual', registerVirtual, () => store);
const cli = runner.run;
const ok = runner.ok;

test('add computes the series; show and list print it', async () => {
  const out = await ok(
    'add',
    'liquido',
    '--channel',
    'c',
    '--formula',
    `${P1}.C - ${P2}.C`,
    '--tags',
    'sub,se',
    '--description',
    'net',
  );
  assert.match(out, /^liquido {2}\(VM\d{11}, channel C kWh, segment faturamento\)/);
  assert.match(out, new RegExp(`inputs: +${P1}\\.C, ${P2}\\.C`));
  const d = JSON.parse(await ok('show', 'liquido', '--json'));
  const [f] = await getCurrentFinals(store.db, [d.pointId], D, D);
  assert.equal(f.value[0], 1.5);
  assert.equal(f.slots, 96);
  const list = await ok('list');
  assert.match(list, /liquido +VM\d{11} +C +faturamento +sub,se/);
});

test('preview prints day totals; a bad formula shows a caret under the column and exits 2', async () => {
  const out = await ok('preview', '--formula', `${P1}.C * 2`, '--from', D);
  assert.match(out, new RegExp(`${D} +96 +384\\.000 +96 +0 +0 +0 +0`));
  const bad = await cli('preview', '--formula', `${P1}.C + XX`, '--from', D);
  assert.equal(bad.code, 2);
  assert.equal(bad.error?.code, 'FRONTEIRA_E_FORMULA');
  assert.match(bad.err, /\n {2}\s{18}\^/);
});

test('update changes the formula and recomputes; a cycle is refused; compute; retire', async () => {
  const out = await ok('update', 'liquido', '--formula', `${P1}.C + ${P2}.C`, '--comment', 'soma');
  assert.match(out, /version: +2/);
  const d = JSON.parse(await ok('show', 'liquido', '--json'));
  const [f] = await getCurrentFinals(store.db, [d.pointId], D, D);
  assert.equal(f.value[0], 2.5);
  await ok('add', 'dobro', '--channel', 'C', '--formula', 'vm("liquido") * 2');
  const cyc = await cli('update', 'liquido', '--formula', 'vm("dobro")');
  assert.equal(cyc.code, 2);
  assert.match(cyc.err, /cycle/);
  const comp = JSON.parse(await ok('compute', '--from', D, '--to', D, '--json'));
  assert.equal(comp.meters, 2);
  assert.equal(comp.changed, 0);
  assert.equal(comp.unchanged, 2);
  const named = await ok('compute', 'dobro', '--from', D, '--to', D);
  assert.match(named, /^1 virtual meters, 1 point-days: 0 changed, 1 unchanged/);
  const refused = await cli('retire', 'liquido');
  assert.equal(refused.error?.code, 'FRONTEIRA_E_CONFLICT');
  assert.match(await ok('retire', 'dobro', '--comment', 'teste'), /^retired dobro/);
  const missing = await cli('add', 'x', '--formula', `${P1}.C`);
  assert.equal(missing.error?.code, 'FRONTEIRA_E_CLI_ARGUMENT');
});
