import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends, insertTestPoint } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import {
  type ChannelValidation,
  type MeterRole,
  meterDay,
  Reason,
  ruleBit,
  ruleReason,
  Severity,
  type ValidationResult,
} from '../vee/types.ts';
import { type Tx, withTransaction } from './bulk.ts';
import { insertMeter } from './registry.ts';
import { getValidation, getValidations, rulesFromBytes, rulesToBytes, saveValidation } from './vee-validated.ts';

function channel(meterId: number, role: MeterRole, ch: number, day: string, slots = 288): ChannelValidation {
  const md = meterDay({ meterId, role, channel: ch, quantityCode: ch === 1 ? 1 : 10, day, slots, intervalS: 300 });
  const rules = new Uint32Array(slots);
  const severity = new Uint8Array(slots);
  const reason = new Uint8Array(slots);
  rules[0] = ruleBit('V02');
  severity[0] = Severity.error;
  reason[0] = Reason.missing;
  rules[5] = ruleBit('V03') | ruleBit('V14');
  severity[5] = Severity.suspect;
  reason[5] = ruleReason('V03');
  rules[slots - 1] = 0xffffffff;
  const ruleSeverity = new Uint8Array(15);
  return {
    meterDay: md,
    meterId,
    role,
    channel: ch,
    quantityCode: md.quantityCode,
    refused: null,
    rules,
    severity,
    reason,
    ruleSeverity,
  };
}

function result(pointId: number, day: string, channels: ChannelValidation[]): ValidationResult {
  return {
    pointId,
    day,
    dayStartMs: 0,
    channels,
    findings: [
      { rule: 'V02', severity: 'error', meterId: channels[0]?.meterId, slots: 1, message: 'falta "1" \\ slot' },
    ],
    outcomes: [
      { rule: 'V02', status: 'fail' },
      { rule: 'V12', status: 'not_evaluated', reason: 'no instant' },
    ],
  };
}

test('rule masks: 4 bytes little-endian per slot, both ways', () => {
  const r = Uint32Array.of(1, 0x80000002, 0xffffffff);
  const b = rulesToBytes(r);
  assert.deepEqual([...b], [1, 0, 0, 0, 2, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual([...rulesFromBytes(b)], [...r]);
  // Misaligned input is copied, not viewed.
  const odd = new Uint8Array(13);
  odd.set(b, 1);
  assert.deepEqual([...rulesFromBytes(odd.subarray(1))], [...r]);
  assert.throws(
    () => rulesFromBytes(new Uint8Array(3)),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
  );
});

for (const backend of backends) {
  describe(`vee_validated SQL on ${backend.name}`, () => {
    test('save, read back exactly, replace a point-day (a channel gone is deleted)', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const m1 = await insertMeter(store.db, p.id, { serial: '11111111', role: 'principal' });
        const m2 = await insertMeter(store.db, p.id, { serial: '22222222', role: 'retaguarda' });
        const d1 = '2024-03-04';
        const d2 = '2024-03-05';
        const refused = channel(m2.id, 'retaguarda', 1, d1);
        refused.refused = 'interval 900 s, registered 300 s';
        const clean = channel(m1.id, 'principal', 2, d1);
        clean.rules.fill(0);
        clean.severity.fill(0);
        clean.reason.fill(0);
        const r1 = result(p.id, d1, [channel(m1.id, 'principal', 1, d1), clean, refused]);
        const r2 = result(p.id, d2, [channel(m1.id, 'principal', 1, d2, 276)]);
        const applied = [{ id: 3, scope: 'global' as const, effectiveFrom: '2024-01-01' }];
        const now = new Date('2024-03-06T01:02:03.000Z');
        const saved = await withTransaction(store, (tx) =>
          saveValidation(tx, [r2, r1], (r) => (r.day === d1 ? applied : []), { now }),
        );
        assert.deepEqual(saved, { pointDays: 2, channels: 4 });
        const v = await getValidation(store.db, p.id, d1);
        assert.ok(v);
        assert.deepEqual(v.findings, r1.findings);
        assert.deepEqual(v.outcomes, r1.outcomes);
        assert.deepEqual(v.paramsApplied, applied);
        assert.equal(v.computedAt.getTime(), now.getTime());
        assert.deepEqual(
          v.channels.map((c) => [c.meterId, c.channel, c.quantityCode, c.refused]),
          [
            [m1.id, 1, 1, null],
            [m1.id, 2, 10, null],
            [m2.id, 1, 1, 'interval 900 s, registered 300 s'],
          ],
        );
        for (const [i, c] of v.channels.entries()) {
          assert.deepEqual([...c.rules], [...r1.channels[i].rules]);
          assert.deepEqual([...c.severity], [...r1.channels[i].severity]);
          assert.deepEqual([...c.reason], [...r1.channels[i].reason]);
        }
        // A clean channel-day is stored compact (no rules, no reasons) and read back as zeros.
        const sizes = await store.pool.query(
          `SELECT channel, length(rules) AS r, length(severity) AS s, length(reason) AS x FROM vee_validated
            WHERE meter_id = $1 AND day = $2 ORDER BY channel`,
          [m1.id, d1],
        );
        assert.deepEqual(sizes.rows, [
          { channel: 1, r: 288 * 4, s: 288, x: 288 },
          { channel: 2, r: 0, s: 288, x: 0 },
        ]);
        assert.deepEqual([v.channels[1].rules.length, v.channels[1].reason.length], [288, 288]);
        const both = await getValidations(store.db, [p.id], d1, d2);
        assert.deepEqual(
          both.map((x) => [x.day, x.channels.length, x.channels[0].rules.length, x.paramsApplied.length]),
          [
            [d1, 3, 288, 1],
            [d2, 1, 276, 0],
          ],
        );

        // Revalidation of d1 with the retaguarda no longer there: its row goes.
        const again = result(p.id, d1, [channel(m1.id, 'principal', 1, d1)]);
        again.channels[0].rules[7] = ruleBit('V07');
        again.findings = [];
        await withTransaction(store, (tx) => saveValidation(tx, [again], applied));
        const v2 = await getValidation(store.db, p.id, d1);
        assert.deepEqual(v2?.findings, []);
        assert.deepEqual(
          v2?.channels.map((c) => [c.meterId, c.channel, c.rules[7]]),
          [[m1.id, 1, ruleBit('V07')]],
        );
        assert.ok((v2?.computedAt.getTime() ?? 0) > now.getTime());
        assert.equal(await getValidation(store.db, p.id, '2024-03-07'), null);
        assert.equal((await getValidations(store.db, [p.id], d2, d2))[0].channels.length, 1, 'd2 untouched');
      } finally {
        await store.close();
      }
    });

    test('inconsistent results are refused and nothing is written', async () => {
      const store = await backend.open();
      try {
        const p = await insertTestPoint(store.db);
        const m = await insertMeter(store.db, p.id, { serial: '11111111', role: 'principal' });
        const day = '2024-03-04';
        const short = channel(m.id, 'principal', 1, day);
        short.severity = new Uint8Array(10);
        const cases: ValidationResult[][] = [
          [result(p.id, day, [short])],
          [result(p.id, day, [channel(m.id, 'principal', 1, day)]), result(p.id, day, [])],
          [result(p.id, day, [channel(m.id, 'principal', 1, day), channel(m.id, 'principal', 1, day)])],
          [result(p.id, '2024-13-01', [])],
        ];
        for (const c of cases) {
          await assert.rejects(
            withTransaction(store, (tx) => saveValidation(tx, c, [])),
            (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
          );
        }
        await assert.rejects(saveValidation(store.db as unknown as Tx, [], []), (e) =>
          isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
        );
        const n = await store.pool.query(
          'SELECT (SELECT count(*) FROM vee_validated)::int AS a, (SELECT count(*) FROM vee_validation)::int AS b',
        );
        assert.deepEqual(n.rows[0], { a: 0, b: 0 });
      } finally {
        await store.close();
      }
    });
  });
}
