/**
 * Reports over a real store, on PGlite and on PostgreSQL (test/helpers/stores.ts backends): point selection, the
 * completeness and energy loaders against what the store holds, and every kind × format of writeReport.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends } from '../../test/helpers/stores.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { operatingDayStart } from '../domain/time.ts';
import type { Store } from '../store/pool.ts';
import { getCurrentFinals } from '../store/vee-final.ts';
import { loadComparisons } from './compare.ts';
import { completenessOfPoints, loadMissingRanges } from './completeness.ts';
import { loadEnergy } from './energy.ts';
import { CODE_A, CODE_B, MISSING, type ReportFixture, seedReportStore } from './fixture-store.ts';
import { type ReportPoint, resolveReportPoints } from './points.ts';
import { FORMATS_OF, REPORT_KINDS, writeReport } from './run.ts';
import { brNumber, checkPdf, collect, parseCsv, readXlsx, sheetRows } from './test-support.ts';

for (const backend of backends) {
  describe(`reports on ${backend.name}`, () => {
    let store: Store;
    let fx: ReportFixture;
    let points: ReportPoint[];
    before(async () => {
      store = await backend.open();
      fx = await seedReportStore(store);
      points = await resolveReportPoints(store.db, { tag: 'relatorio' });
    });
    after(() => store?.close());

    test('points by code and by tag, once each, ordered by code; unknown ones name the field', async () => {
      assert.deepEqual(
        points.map((p) => p.code),
        [CODE_A, CODE_B],
      );
      const both = await resolveReportPoints(store.db, { codes: [CODE_B, CODE_A.toLowerCase()], tag: 'relatorio' });
      assert.deepEqual(
        both.map((p) => p.id),
        [fx.pointA, fx.pointB],
      );
      await assert.rejects(
        resolveReportPoints(store.db, { codes: ['SPNAOEXISTE01'] }),
        (e) => isFronteiraError(e, 'FRONTEIRA_E_NOT_FOUND') && e.details.field === 'points',
      );
      await assert.rejects(
        resolveReportPoints(store.db, { codes: ['curto'] }),
        (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && e.details.field === 'points',
      );
      await assert.rejects(
        resolveReportPoints(store.db, { tag: 'nenhuma' }, { codes: '--points', tag: '--tag' }),
        (e) => isFronteiraError(e, 'FRONTEIRA_E_NOT_FOUND') && e.details.field === '--tag',
      );
      await assert.rejects(
        resolveReportPoints(store.db, {}),
        (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && e.details.field === 'points',
      );
    });

    test('completeness counts the principal meter per day; a day before the data is all missing', async () => {
      const [a, b] = await completenessOfPoints(store.db, points, fx.day1, fx.day2);
      assert.deepEqual(
        a.days.map((d) => [d.slots, d.filled, d.missing]),
        [
          [288, 288 - MISSING.length, MISSING.length],
          [288, 288, 0],
        ],
      );
      assert.equal(a.missing, MISSING.length);
      assert.ok(Math.abs(a.percent! - (100 * (576 - 3)) / 576) < 1e-9);
      assert.equal(b.percent, 100);
      const [early] = await completenessOfPoints(store.db, [points[0]], '2020-01-01', '2020-01-01');
      assert.deepEqual(early.days[0], { day: '2020-01-01', slots: 0, filled: 0, missing: 0, percent: null });
    });

    test('missing runs of the counted (principal) meter, none after `until`', async () => {
      const got = [];
      for await (const p of loadMissingRanges(store.db, points, fx.day1, fx.day2, new Date())) got.push(p);
      assert.deepEqual(
        got.map((p) => p.point.code),
        [CODE_A, CODE_B],
      );
      const start = operatingDayStart(fx.day1);
      assert.deepEqual(got[0].ranges, [
        {
          serial: '40000001',
          role: 'principal',
          firstEnd: start + (MISSING[0] + 1) * 300_000,
          lastEnd: start + (MISSING[2] + 1) * 300_000,
          intervals: MISSING.length,
        },
      ]);
      assert.deepEqual(got[1].ranges, []);
      const early = [];
      for await (const p of loadMissingRanges(store.db, points, fx.day1, fx.day2, new Date(start))) early.push(p);
      assert.ok(early.every((p) => p.ranges.length === 0));
    });

    test('energy: daily totals, counts and versions are those of the current final series', async () => {
      const finals = await getCurrentFinals(store.db, [fx.pointA], fx.day1, fx.day2);
      assert.ok(finals.length >= 2);
      const reports = [];
      for await (const r of loadEnergy(store.db, [points[0]], fx.day1, fx.day2)) reports.push(r);
      const r = reports[0];
      const i = r.channels.findIndex((c) => c.quantityCode === 1);
      for (const f of finals.filter((x) => x.quantityCode === 1)) {
        const d = r.days.find((x) => x.day === f.day)!;
        let total = 0;
        for (const v of f.value) if (!Number.isNaN(v)) total += v;
        assert.ok(Math.abs(d.totals[i]! - total) < 1e-9, f.day);
        assert.equal(d.versions[i], f.version);
        assert.equal(d.hours.length, 24);
      }
    });

    test('compare: the VEE comparison of each point', async () => {
      const got = [];
      for await (const p of loadComparisons(store, points, fx.day1, fx.day2)) got.push(p);
      assert.equal(got[0].days.length, 2);
      assert.equal(got[0].days[0].quantities[0].day.missingPrincipal, MISSING.length);
      assert.ok(
        got[1].days.every((d) => d.quantities.length === 0),
        'no retaguarda, nothing compared',
      );
    });

    test('every kind × format writes a file that opens and holds the points', async () => {
      for (const kind of REPORT_KINDS) {
        for (const format of FORMATS_OF[kind]) {
          const what = `${kind} ${format}`;
          const buf = await collect((out) =>
            writeReport(store, { kind, format, points, from: fx.day1, to: fx.day2, generatedAt: 0 }, out),
          );
          if (format === 'pdf') {
            const c = checkPdf(buf);
            assert.ok(c.pages >= 1 && c.pngBytes > 5_000, `${what}: ${c.pages} pages, png ${c.pngBytes}`);
            assert.ok(c.text.includes(CODE_A), what);
          } else if (format === 'xlsx') {
            const wb = await readXlsx(buf);
            const first = sheetRows(wb, wb.worksheets[0].name);
            assert.ok(first.length > 1, what);
            assert.ok(
              first.some((row) => row[0] === CODE_A),
              what,
            );
          } else {
            const rows = parseCsv(buf);
            assert.ok(rows.length > 1, what);
            assert.ok(
              rows.some((row) => row.includes(CODE_A)),
              what,
            );
          }
        }
      }
    });

    test('series CSV: one line per interval with its end instant, value and version', async () => {
      const buf = await collect((out) =>
        writeReport(store, { kind: 'series', format: 'csv', points: [points[1]], from: fx.day1, to: fx.day1 }, out),
      );
      const rows = parseCsv(buf);
      assert.equal(rows[0][0], 'Ponto');
      const finals = await getCurrentFinals(store.db, [fx.pointB], fx.day1, fx.day1);
      assert.equal(rows.length, 1 + finals.reduce((a, f) => a + f.slots, 0));
      assert.match(rows[1][5], /T00:05:00-03:00$/);
      assert.ok(Math.abs(brNumber(rows[1][6]) - finals[0].value[0]) < 1e-6);
      assert.equal(Number(rows[1][11]), finals[0].version);
    });
  });
}
