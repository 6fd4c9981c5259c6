import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { listAudit } from '../store/audit.ts';
import { withTransaction } from '../store/bulk.ts';
import type { Store } from '../store/pool.ts';
import { insertMeter, insertPoint } from '../store/registry.ts';
import { getCurrentFinals, getFinalHistory, lockFinals, saveFinals } from '../store/vee-final.ts';
import { markVirtualDependentsDirty } from '../store/virtual.ts';
import { runDirty } from '../vee/service.ts';
import { emptyFinalDay, type FinalDay, Method, Quality, Reason, Source } from '../vee/types.ts';
import {
  computeVirtual,
  defineVirtualMeter,
  getVirtualMeter,
  listVirtualMeters,
  previewFormula,
  retireVirtualMeter,
  runVirtualDirty,
  updateVirtualMeter,
} from './service.ts';

const D1 = '2026-10-05';
const D2 = '2026-10-06';
const SLOTS = 24;
const INTERVAL = 3600;

const A = 'SPVIRTAAAAA01';
const B = 'SPVIRTBBBBB01';
const C = 'SPVIRTCCCCC01';

interface Fixture {
  ids: Record<string, number>;
}

async function fixture(store: Store): Promise<Fixture> {
  const ids: Record<string, number> = {};
  let serial = 100;
  for (const [code, tags] of [
    [A, ['usinas']],
    [B, ['usinas']],
    [C, []],
  ] as const) {
    const p = await insertPoint(store.db, { code, name: code, kind: 'fronteira', segment: 'livre', tags: [...tags] });
    ids[code] = Number(p.id);
    await insertMeter(store.db, Number(p.id), {
      serial: String(serial++),
      role: 'principal',
      mmIntervalS: 300,
      channelMap: [
        { group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 1 },
        { group: 0, channel: 2, quantityCode: 14, numerator: 1, denominator: 1 },
      ],
    });
  }
  return { ids };
}

/** A final day: value(k) per slot, all actual unless `q` says otherwise. */
function fin(
  pointId: number,
  code: string,
  qc: number,
  day: string,
  value: (k: number) => number,
  q: (k: number) => number = () => Quality.A,
): FinalDay {
  const f = emptyFinalDay({ pointId, pointCode: code, quantityCode: qc, day, slots: SLOTS, intervalS: INTERVAL });
  for (let k = 0; k < SLOTS; k++) {
    const qq = q(k);
    f.quality[k] = qq;
    if (qq === Quality.N) continue;
    f.value[k] = value(k);
    f.reason[k] = qq === Quality.A ? Reason.none : Reason.missing;
    f.method[k] = qq === Quality.E ? Method.LI : qq === Quality.S ? Method.RT : Method.none;
    f.source[k] = qq === Quality.S ? Source.retaguarda : qq === Quality.E ? Source.estimate : Source.principal;
  }
  return f;
}

const save = (store: Store, finals: FinalDay[]) =>
  withTransaction(store, (tx) => saveFinals(tx, finals, { cause: 'vee' }));

async function current(store: Store, pointId: number, qc: number, day: string): Promise<FinalDay> {
  const [f] = await getCurrentFinals(store.db, [pointId], day, day, [qc]);
  assert.ok(f, `a current final of point ${pointId} on ${day}`);
  return f;
}

const code = (e: unknown, c: string) => isFronteiraError(e, c as never);
const col = (e: unknown) => (e as { details?: { column?: number } }).details?.column;

for (const backend of backends) {
  describe(`virtual meter service on ${backend.name}`, () => {
    test('define computes the history; chains, cycles, units, unknowns refused with the column; audited', async () => {
      const store = await backend.open();
      try {
        const { ids } = await fixture(store);
        await save(store, [
          fin(ids[A], A, 1, D1, (k) => 10 + k),
          fin(ids[B], B, 14, D1, (k) => k / 2),
          fin(ids[C], C, 1, D1, () => 3),
          fin(ids[A], A, 1, D2, () => 7),
          // B.G has no D2 series: net on D2 is missing throughout.
        ]);
        const net = await defineVirtualMeter(
          store,
          { name: 'net', channel: 'C', formula: `${A}.C - ${B}.G`, tags: ['sub'], description: 'net exchange' },
          'user:ana',
        );
        assert.match(net.code, /^VM\d{11}$/);
        assert.equal(net.segment, 'faturamento');
        assert.deepEqual(
          net.inputs.map((i) => i.label),
          [`${A}.C`, `${B}.G`],
        );
        assert.equal(net.version, 1);
        const n1 = await current(store, net.pointId, 1, D1);
        for (let k = 0; k < SLOTS; k++) {
          assert.equal(n1.value[k], 10 + k - k / 2, `net slot ${k}`);
          assert.equal(n1.quality[k], Quality.A);
          assert.equal(n1.source[k], Source.virtual);
        }
        const n2 = await current(store, net.pointId, 1, D2);
        assert.ok(n2.quality.every((q) => q === Quality.N));
        assert.ok(n2.value.every((v) => Number.isNaN(v)));
        assert.deepEqual((n2.notes as { messages?: string[] }).messages, [`${B}.G: no final series`]);
        const hist = await getFinalHistory(store.db, net.pointId, 1, D1);
        assert.equal(hist[0].cause, 'virtual');

        const total = await defineVirtualMeter(
          store,
          { name: 'total', channel: 'C', formula: `vm("net") + 2 * ${C}.C`, code: 'VMTOTAL000001', segment: 'cativo' },
          'user:ana',
        );
        assert.equal(total.code, 'VMTOTAL000001');
        const t1 = await current(store, total.pointId, 1, D1);
        for (let k = 0; k < SLOTS; k++) assert.equal(t1.value[k], 10 + k - k / 2 + 6);
        assert.deepEqual((await getVirtualMeter(store, 'net')).dependents, ['total']);

        // A cycle: net would read total, which reads net. The column points at vm("total").
        await assert.rejects(
          updateVirtualMeter(store, 'net', { formula: `${A}.C + vm("total")` }, 'user:ana'),
          (e) => code(e, 'FRONTEIRA_E_FORMULA') && /cycle/.test((e as Error).message) && col(e) === 19,
        );
        // Self reference through a group of virtual meters tagged 'sub' (net carries it).
        await assert.rejects(
          updateVirtualMeter(store, 'net', { formula: 'sum(group("sub"))' }, 'user:ana'),
          (e) => code(e, 'FRONTEIRA_E_FORMULA') && /cycle/.test((e as Error).message),
        );
        // Units: kWh with kvarh is refused (A has no QC channel: refused as unknown channel; use the unit rule).
        await assert.rejects(
          defineVirtualMeter(store, { name: 'r', channel: 'QC', formula: `${A}.C` }, 'user:ana'),
          (e) => code(e, 'FRONTEIRA_E_FORMULA') && /kvarh/.test((e as Error).message),
        );
        await assert.rejects(
          defineVirtualMeter(store, { name: 'q', channel: 'C', formula: `${A}.QC` }, 'user:ana'),
          (e) => code(e, 'FRONTEIRA_E_FORMULA') && col(e) === 1,
        );
        await assert.rejects(
          defineVirtualMeter(store, { name: 'u', channel: 'C', formula: `${A}.C + SPNOPOINT0001.C` }, 'user:ana'),
          (e) => code(e, 'FRONTEIRA_E_FORMULA') && col(e) === 19,
        );
        await assert.rejects(
          defineVirtualMeter(store, { name: 'net', channel: 'C', formula: `${A}.C` }, 'user:ana'),
          (e) => code(e, 'FRONTEIRA_E_CONFLICT'),
        );
        await assert.rejects(
          defineVirtualMeter(store, { name: 'v"x', channel: 'C', formula: `${A}.C` }, 'user:ana'),
          (e) => code(e, 'FRONTEIRA_E_VALIDATION'),
        );
        // Nothing of the refused definitions was written.
        assert.equal((await listVirtualMeters(store)).total, 2);
        // A virtual point's code is not a point reference.
        await assert.rejects(
          defineVirtualMeter(store, { name: 'w', channel: 'C', formula: `${net.code}.C` }, 'user:ana'),
          (e) => code(e, 'FRONTEIRA_E_FORMULA') && /vm\("net"\)/.test((e as Error).message),
        );

        const audits = await listAudit(store.db, { entity: 'virtual_meter', limit: 10 });
        assert.equal(audits.length, 2);
        assert.ok(audits.every((a) => a.actor === 'user:ana' && a.action === 'create'));

        // Retiring net is refused while total reads it.
        await assert.rejects(retireVirtualMeter(store, 'net', 'user:ana'), (e) => code(e, 'FRONTEIRA_E_CONFLICT'));
        const gone = await retireVirtualMeter(store, 'total', 'user:ana', 'no longer needed');
        assert.ok(gone.retiredAt);
        assert.equal((await listVirtualMeters(store)).total, 1);
        assert.equal((await listVirtualMeters(store, { includeRetired: true })).total, 2);
      } finally {
        await store.close();
      }
    });

    test('a formula change recomputes the history with a new definition version, the old results kept', async () => {
      const store = await backend.open();
      try {
        const { ids } = await fixture(store);
        await save(store, [fin(ids[A], A, 1, D1, () => 4), fin(ids[B], B, 1, D1, () => 1)]);
        const m = await defineVirtualMeter(store, { name: 'm', channel: 'C', formula: `${A}.C` }, 'user:ana');
        const before = await current(store, m.pointId, 1, D1);
        assert.equal(before.value[0], 4);
        const up = await updateVirtualMeter(
          store,
          'm',
          { formula: `loss(${A}.C, 0.5) + ${B}.C`, comment: 'add B' },
          'user:bia',
        );
        assert.equal(up.version, 2);
        assert.deepEqual(
          up.history.map((h) => [h.version, h.formula, h.by]),
          [
            [1, `${A}.C`, 'user:ana'],
            [2, `loss(${A}.C, 0.5) + ${B}.C`, 'user:bia'],
          ],
        );
        const after = await current(store, m.pointId, 1, D1);
        assert.equal(after.value[0], 3);
        assert.equal(after.version, before.version + 1);
        const hist = await getFinalHistory(store.db, m.pointId, 1, D1);
        assert.equal(hist.length, 2);
        assert.equal(hist[0].current, false);
        // A new meter tagged 'grp' joins group("grp"): the meter summing the group is recomputed with it.
        const sg = await defineVirtualMeter(
          store,
          { name: 'sg', channel: 'C', formula: 'sum(group("grp"))' },
          'u',
        ).catch((e) => e);
        assert.ok(isFronteiraError(sg, 'FRONTEIRA_E_FORMULA'), 'no meter carries grp yet');
        await updateVirtualMeter(store, 'm', { tags: ['grp'] }, 'user:bia');
        const sum = await defineVirtualMeter(store, { name: 'sg', channel: 'C', formula: 'sum(group("grp"))' }, 'u');
        assert.equal((await current(store, sum.pointId, 1, D1)).value[0], 3);
        await defineVirtualMeter(store, { name: 'm2', channel: 'C', formula: `${B}.C`, tags: ['grp'] }, 'u');
        assert.equal((await current(store, sum.pointId, 1, D1)).value[0], 4, 'sg now sums m and m2');
        // Unchanged definition: no new version of anything.
        const same = await updateVirtualMeter(store, 'm', { formula: `loss(${A}.C, 0.5) + ${B}.C` }, 'user:bia');
        assert.equal(same.version, 3, 'the tag change was version 3; nothing new');
      } finally {
        await store.close();
      }
    });

    test('an input final changes: the dirty queue recomputes it and its dependents, history kept, lock superseded', async () => {
      const store = await backend.open();
      try {
        const { ids } = await fixture(store);
        await save(store, [fin(ids[A], A, 1, D1, () => 5), fin(ids[B], B, 1, D1, () => 2)]);
        const net = await defineVirtualMeter(
          store,
          { name: 'net', channel: 'C', formula: `${A}.C - ${B}.C` },
          'user:a',
        );
        const dbl = await defineVirtualMeter(store, { name: 'dbl', channel: 'C', formula: 'vm("net") * 2' }, 'user:a');
        assert.equal((await current(store, dbl.pointId, 1, D1)).value[3], 6);
        await lockFinals(store.db, [{ pointId: net.pointId, quantityCode: 1, day: D1 }], 'export:1');

        // B's series changes (what a VEE run or a manual edit stores), and VEE's hook marks the readers dirty.
        await withTransaction(store, async (tx) => {
          const saved = await saveFinals(tx, [fin(ids[B], B, 1, D1, (k) => (k === 3 ? 4 : 2))], { cause: 'edit:9' });
          assert.equal(
            await markVirtualDependentsDirty(
              tx,
              saved.filter((s) => s.changed),
            ),
            1,
          );
        });
        const r = await runDirty(store, { now: Date.parse('2026-11-01T12:00:00Z') });
        assert.equal(r.changed, 2, 'net and dbl');
        const n = await current(store, net.pointId, 1, D1);
        assert.equal(n.value[3], 1);
        assert.equal(n.value[4], 3);
        assert.equal(n.version, 2);
        const d = await current(store, dbl.pointId, 1, D1);
        assert.equal(d.value[3], 2);
        assert.equal(d.value[4], 6);
        const hist = await getFinalHistory(store.db, net.pointId, 1, D1);
        assert.equal(hist.length, 2);
        assert.ok(hist[0].lockedBy === 'export:1' && !hist[0].current, 'the locked version is superseded, kept');
        const again = await runVirtualDirty(store);
        assert.equal(again.pointDays, 0, 'queue empty');
        // Recomputing by hand on unchanged inputs changes nothing.
        const c = await computeVirtual(store, { from: D1, to: D1 });
        assert.equal(c.changed, 0);
        assert.equal(c.unchanged, 2);
      } finally {
        await store.close();
      }
    });

    test('quality: weakest input with its name; groups of points by tag; preview stores nothing', async () => {
      const store = await backend.open();
      try {
        const { ids } = await fixture(store);
        // A: slots 0–3 estimated, slot 5 missing. B: slot 2 substituted, slot 8 missing.
        await save(store, [
          fin(
            ids[A],
            A,
            14,
            D1,
            (k) => k,
            (k) => (k <= 3 ? Quality.E : k === 5 ? Quality.N : Quality.A),
          ),
          fin(
            ids[B],
            B,
            14,
            D1,
            () => 1,
            (k) => (k === 2 ? Quality.S : k === 8 ? Quality.N : Quality.A),
          ),
        ]);
        const g = await defineVirtualMeter(
          store,
          { name: 'usinas', channel: 'G', formula: 'sum(group("usinas").G)' },
          'user:a',
        );
        assert.equal(g.segment, 'geracao');
        assert.deepEqual(g.groups, ['usinas']);
        const f = await current(store, g.pointId, 14, D1);
        const expectQ = (k: number) => (k === 5 || k === 8 ? Quality.N : k <= 3 ? Quality.E : Quality.A);
        for (let k = 0; k < SLOTS; k++) {
          assert.equal(f.quality[k], expectQ(k), `slot ${k} quality`);
          if (expectQ(k) !== Quality.N) assert.equal(f.value[k], k + 1);
          else assert.ok(Number.isNaN(f.value[k]));
        }
        // E (model) is weaker than S (measured elsewhere): slot 2 is E, named after A.
        assert.equal(f.method[2], Method.LI);
        const notes = f.notes as unknown as {
          virtual: { nonActual: { input: string; quality: string; firstSlot: number; lastSlot: number }[] };
        };
        assert.deepEqual(notes.virtual.nonActual, [
          { input: `${A}.G`, quality: 'E', firstSlot: 0, lastSlot: 3 },
          { input: `${A}.G`, quality: 'N', firstSlot: 5, lastSlot: 5 },
          { input: `${B}.G`, quality: 'N', firstSlot: 8, lastSlot: 8 },
        ]);

        const finalsBefore = (await getCurrentFinals(store.db, [g.pointId], D1, D2)).length;
        const p = await previewFormula(store, { formula: `${A}.G - ${B}.G`, from: D1, to: D2 });
        assert.equal(p.ok, true, JSON.stringify(p.errors));
        assert.equal(p.unit, 'kWh');
        assert.equal(p.days.length, 1, 'D2 has no input series');
        assert.equal(p.days[0].value[10], 9);
        assert.equal(
          p.days[0].energy,
          [...Array(SLOTS).keys()].filter((k) => k !== 5 && k !== 8).reduce((s, k) => s + k - 1, 0),
        );
        const bad = await previewFormula(store, { formula: `${A}.G + `, from: D1, to: D1 });
        assert.equal(bad.ok, false);
        assert.equal(bad.errors[0].code, 'FRONTEIRA_E_FORMULA');
        assert.equal(typeof bad.errors[0].column, 'number');
        const mixed = await previewFormula(store, { formula: `${A}.G`, channel: 'QC', from: D1, to: D1 });
        assert.equal(mixed.ok, false);
        const p2 = await previewFormula(store, { formula: `${A}.G * 2`, from: D1, to: D1 });
        assert.equal(p2.days[0].value[4], 8);
        assert.equal(p2.days[0].quality[0], 'E');
        assert.equal(p2.days[0].reasonInput[0], `${A}.G`);
        assert.equal(p2.days[0].value[5], null);
        assert.equal((await getCurrentFinals(store.db, [g.pointId], D1, D2)).length, finalsBefore);
      } finally {
        await store.close();
      }
    });
  });
}
