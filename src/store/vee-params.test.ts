import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { HolidayCalendar } from '../vee/calendar.ts';
import { resolveParams } from '../vee/params.ts';
import { listAudit } from './audit.ts';
import { withTransaction } from './bulk.ts';
import { addParamVersion, getCalendar, getCalendarSpec, listParamVersions, saveCalendarSpec } from './vee-params.ts';

for (const backend of backends) {
  describe(`VEE parameters and calendar SQL on ${backend.name}`, () => {
    test('parameter versions: checked, stored, audited, listed in resolveParams order', async () => {
      const store = await backend.open();
      try {
        const g = await addParamVersion(
          store.db,
          { id: 'ignored', scope: 'global', effectiveFrom: '2024-01-01', params: { rules: { V05: { n: 6 } } } },
          'api:ana',
          { comment: 'mais sensível' },
        );
        assert.equal(typeof g.id, 'number');
        assert.deepEqual(
          [g.scope, g.effectiveFrom, g.params, g.createdBy, g.comment],
          ['global', '2024-01-01', { rules: { V05: { n: 6 } } }, 'api:ana', 'mais sensível'],
        );
        const later = await addParamVersion(
          store.db,
          { scope: 'global', effectiveFrom: '2024-03-01', params: { rules: { V05: { n: 24 } } } },
          'api:ana',
        );
        const sameDay = await addParamVersion(
          store.db,
          { scope: 'global', effectiveFrom: '2024-03-01', params: { rules: { V05: { n: 48 } } } },
          'api:bia',
        );
        const point = await withTransaction(store, (tx) =>
          addParamVersion(
            tx,
            {
              scope: 'point:SPSIMUI000001',
              effectiveFrom: '2023-06-01',
              params: { estimation: { order: ['RT', 'LI'] } },
            },
            'cli:root',
          ),
        );
        const all = await listParamVersions(store.db);
        assert.deepEqual(
          all.map((v) => v.id),
          [point.id, g.id, later.id, sameDay.id],
        );
        assert.deepEqual(
          (await listParamVersions(store.db, { scope: 'global' })).map((v) => v.id),
          [g.id, later.id, sameDay.id],
        );
        const p = { code: 'SPSIMUI000001', tags: [] };
        assert.equal(resolveParams(all, p, '2024-02-15').params.rules.V05.n, 6);
        assert.equal(resolveParams(all, p, '2024-03-01').params.rules.V05.n, 48, 'a later entry wins a tie');
        assert.deepEqual(resolveParams(all, p, '2024-03-01').params.estimation.order, ['RT', 'LI']);
        assert.deepEqual(
          resolveParams(all, p, '2024-03-01').applied.map((a) => a.id),
          [sameDay.id, point.id],
        );
        const audits = await listAudit(store.db, { entity: 'vee_param_version', limit: 10 });
        assert.equal(audits.length, 4);
        const first = audits.find((a) => a.entity_id === String(g.id))!;
        assert.equal(first.actor, 'api:ana');
        assert.equal(first.comment, 'mais sensível');
        assert.deepEqual(first.after, {
          scope: 'global',
          effectiveFrom: '2024-01-01',
          params: { rules: { V05: { n: 6 } } },
        });

        for (const bad of [
          { scope: 'everyone', effectiveFrom: '2024-01-01', params: {} },
          { scope: 'global', effectiveFrom: '2024-02-30', params: {} },
          { scope: 'global', effectiveFrom: '2024-01-01', params: { rules: { V99: {} } } },
          { scope: 'global', effectiveFrom: '2024-01-01', params: { rules: { V08: { lo: 2, hi: 1 } } } },
        ]) {
          await assert.rejects(addParamVersion(store.db, bad, 'api:ana'), (e) =>
            isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
          );
        }
        await assert.rejects(
          addParamVersion(store.db, { scope: 'global', effectiveFrom: '2024-01-01', params: {} }, ''),
          (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
        );
        assert.equal((await listParamVersions(store.db)).length, 4);
        assert.equal((await listAudit(store.db, { entity: 'vee_param_version', limit: 10 })).length, 4);
      } finally {
        await store.close();
      }
    });

    test('calendar: national by default; saves are kept, audited with the spec they replace', async () => {
      const store = await backend.open();
      try {
        const none = await getCalendar(store.db);
        assert.equal(none.id, null);
        assert.deepEqual(none.spec, { kinds: ['national', 'optional'], added: [], removed: [] });
        assert.equal(new HolidayCalendar(await getCalendarSpec(store.db)).dayClass('2024-11-20'), 'sunday_holiday');

        const s1 = await saveCalendarSpec(
          store.db,
          { added: [{ date: '2024-01-25', name: ' Aniversário de São Paulo ' }], removed: ['2024-11-20'] },
          'api:ana',
          { comment: 'municipal' },
        );
        assert.deepEqual(s1.spec.added, [{ date: '2024-01-25', name: 'Aniversário de São Paulo' }]);
        const cal = new HolidayCalendar(await getCalendarSpec(store.db));
        assert.equal(cal.dayClass('2024-01-25'), 'sunday_holiday');
        assert.equal(cal.dayClass('2024-11-20'), 'weekday');
        const s2 = await withTransaction(store, (tx) => saveCalendarSpec(tx, { kinds: ['national'] }, 'api:bia'));
        const now = await getCalendar(store.db);
        assert.equal(now.id, s2.id);
        assert.equal(now.createdBy, 'api:bia');
        assert.deepEqual(now.spec.kinds, ['national']);
        const audits = await listAudit(store.db, { entity: 'vee_calendar', limit: 10 });
        assert.deepEqual(
          audits.map((a) => [a.entity_id, a.actor]),
          [
            [String(s2.id), 'api:bia'],
            [String(s1.id), 'api:ana'],
          ],
        );
        assert.deepEqual(audits[0].before, s1.spec);
        assert.deepEqual(audits[1].before, none.spec);
        assert.equal(audits[1].comment, 'municipal');
        await assert.rejects(saveCalendarSpec(store.db, { added: [{ date: '2024-01-25' }] }, 'api:ana'), (e) =>
          isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
        );
        const n = await store.pool.query('SELECT count(*)::int AS n FROM vee_calendar');
        assert.equal(n.rows[0].n, 2);
      } finally {
        await store.close();
      }
    });
  });
}
