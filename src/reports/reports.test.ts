import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { addDays } from '../domain/time.ts';
import { chartData, writeCompareCsv, writeComparePdf, writeCompareXlsx } from './compare.ts';
import {
  completenessColor,
  writeCompletenessCsv,
  writeCompletenessPdf,
  writeCompletenessXlsx,
} from './completeness.ts';
import {
  energyOfPoint,
  hourlySums,
  versionSummary,
  writeEnergyCsv,
  writeEnergyPdf,
  writeEnergyXlsx,
} from './energy.ts';
import { fmtNumber, fmtPercent } from './format.ts';
import { niceTicks } from './pdf-chart.ts';
import { checkReportRequest, reportFileName } from './run.ts';
import { brNumber, checkPdf, collect, parseCsv, readXlsx, sheetRows } from './test-support.ts';
import {
  fakeComparisonDay,
  fakeComparisons,
  fakeCompleteness,
  fakeCompletenessSource,
  fakeEnergy,
  fakeFinals,
  fakePoint,
} from './testing.ts';

const FROM = '2026-11-02';
const meta = (days: number) => ({
  from: FROM,
  to: addDays(FROM, days - 1),
  generatedAt: Date.UTC(2026, 10, 27, 13),
  scope: 'teste',
});

describe('formatting', () => {
  test('pt-BR numbers: decimal comma, dot thousands, no negative zero, empty for missing', () => {
    assert.equal(fmtNumber(1234567.891, 3), '1.234.567,891');
    assert.equal(fmtNumber(-0.0001, 3), '0,000');
    assert.equal(fmtNumber(Number.NaN), '');
    assert.equal(fmtNumber(null), '');
    assert.equal(fmtPercent(-0.1749, 2), '-0,17 %');
  });
  test('nice ticks cover the range with round steps', () => {
    assert.deepEqual(niceTicks(0, 17), [0, 5, 10, 15, 20]);
    assert.deepEqual(niceTicks(-3.3, 3.3, 2), [-5, 0, 5]);
    const flat = niceTicks(0, 0);
    assert.ok(flat.length >= 2 && flat[0] < 0 && flat[flat.length - 1] > 0);
  });
  test('completeness colours go from green to red; grey without a figure', () => {
    assert.equal(completenessColor(100), 'C8E6C9');
    assert.equal(completenessColor(99.5), 'E6EE9C');
    assert.equal(completenessColor(50), 'EF9A9A');
    assert.equal(completenessColor(null), 'EEEEEE');
  });
});

describe('request checks', () => {
  const fields = { kind: 'kind', format: 'format', points: 'points', to: 'to' };
  const fieldOf = (f: () => void) => {
    try {
      f();
    } catch (e) {
      assert.ok(isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'), String(e));
      return (e as unknown as { details: { field: string } }).details.field;
    }
    assert.fail('no error');
  };
  test('kinds, formats, order of days and limits name the field', () => {
    assert.equal(
      fieldOf(() => checkReportRequest('bills', 'pdf', 1, FROM, FROM, fields)),
      'kind',
    );
    assert.equal(
      fieldOf(() => checkReportRequest('series', 'pdf', 1, FROM, FROM, fields)),
      'format',
    );
    assert.equal(
      fieldOf(() => checkReportRequest('energy', 'pdf', 1, FROM, '2026-11-01', fields)),
      'to',
    );
    assert.equal(
      fieldOf(() => checkReportRequest('energy', 'pdf', 1, '2026-01-01', '2026-12-31', fields)),
      'to',
    );
    assert.equal(
      fieldOf(() => checkReportRequest('compare', 'xlsx', 100, '2026-10-01', '2026-11-30', fields)),
      'points',
    );
    checkReportRequest('compare', 'pdf', 100, '2026-10-01', '2026-11-30', fields);
    checkReportRequest('completeness', 'csv', 1000, '2026-01-01', '2026-12-31', fields);
    assert.equal(reportFileName('energy', 'xlsx', FROM, FROM), `relatorio_energia_${FROM}_${FROM}.xlsx`);
  });
});

describe('principal × retaguarda', () => {
  test('chart data: every interval for short ranges, hourly sums for longer ones', () => {
    const one = chartData([fakeComparisonDay(0, FROM)], 1);
    assert.equal(one.resolution, 'interval');
    assert.equal(one.principal.length, 288);
    assert.ok(Number.isNaN(one.principal[100]), 'missing principal slot stays a gap');
    const days = Array.from({ length: 5 }, (_, d) => fakeComparisonDay(0, addDays(FROM, d)));
    const long = chartData(days, 1);
    assert.equal(long.resolution, 'hour');
    assert.equal(long.principal.length, 5 * 24);
    assert.equal(long.principal[25], days[1].quantities[0].hours[1].principal);
    assert.deepEqual(
      long.ticks.map((t) => t.index),
      [0, 24, 48, 72, 96],
    );
  });

  test('PDF opens (pdftoppm), one point per section, pt-BR text with accents', async () => {
    const pdf = await collect((out) => writeComparePdf(fakeComparisons(2, FROM, 2), out, meta(2)));
    const c = checkPdf(pdf);
    assert.ok(c.pages >= 2, `pages ${c.pages}`);
    assert.ok(c.pngBytes > 8_000, `png ${c.pngBytes} bytes`);
    assert.match(c.text, /Comparação medidor principal × retaguarda/);
    assert.match(c.text, /Ponto de teste nº 0 — ação/);
    assert.match(c.text, /Intervalos fora da tolerância \(4\)/);
    assert.match(c.text, /Página 2/);
    // The daily total printed equals the comparison's.
    const day = fakeComparisonDay(1, FROM).quantities[0].day;
    assert.ok(c.text.includes(fmtNumber(day.principal, 3)), 'daily principal total printed');
  });

  test('a long list of intervals beyond tolerance is cut with a pointer to the XLSX', async () => {
    const pdf = await collect((out) =>
      writeComparePdf(fakeComparisons(1, FROM, 3), out, { ...meta(3), maxBeyondRows: 2 }),
    );
    assert.match(checkPdf(pdf).text, /e mais 4 intervalos/);
  });

  test('XLSX and CSV are the compare-report writers over every point', async () => {
    const wb = await readXlsx(await collect((out) => writeCompareXlsx(fakeComparisons(2, FROM, 2), out)));
    const resumo = sheetRows(wb, 'Resumo');
    assert.equal(resumo.length, 1 + 4);
    const day = fakeComparisonDay(1, addDays(FROM, 1)).quantities[0].day;
    const row = resumo.find(
      (r) => r[0] === fakePoint(1).code && (r[1] as Date).toISOString().startsWith(addDays(FROM, 1)),
    );
    assert.ok(row);
    assert.equal(row[3], day.principal);
    assert.equal(row[4], day.retaguarda);
    const csv = parseCsv(await collect((out) => writeCompareCsv(fakeComparisons(1, FROM, 1), out, 'day')));
    assert.equal(csv.length, 2);
    assert.equal(brNumber(csv[1][3]), Number(fakeComparisonDay(0, FROM).quantities[0].day.principal!.toFixed(6)));
  });

  test('XLSX from a source function: each sheet loads the points afresh, same workbook as from one pass', async () => {
    let calls = 0;
    const source = () => {
      calls++;
      return fakeComparisons(2, FROM, 2);
    };
    const streamed = await readXlsx(await collect((out) => writeCompareXlsx(source, out)));
    assert.equal(calls, 4, 'Resumo, Horário, Intervalos, Fora da tolerância');
    const kept = await readXlsx(await collect((out) => writeCompareXlsx(fakeComparisons(2, FROM, 2), out)));
    for (const name of ['Resumo', 'Horário', 'Intervalos', 'Fora da tolerância']) {
      assert.deepEqual(sheetRows(streamed, name), sheetRows(kept, name), name);
    }
    assert.ok(sheetRows(streamed, 'Intervalos').length > 1000, 'every interval of both points');
  });
});

describe('completeness', () => {
  test('PDF: coloured map opens, every point and the legend present', async () => {
    async function* ranges() {
      const start = Date.parse(`${FROM}T03:00:00Z`);
      const many = Array.from({ length: 70 }, (_, k) => ({
        serial: '12345678',
        role: 'principal',
        firstEnd: start + (2 * k + 1) * 300_000,
        lastEnd: start + (2 * k + 1) * 300_000,
        intervals: 1,
      }));
      yield { point: fakePoint(0), ranges: many };
      yield { point: fakePoint(1), ranges: [] };
    }
    const pdf = await collect((out) =>
      writeCompletenessPdf(fakeCompletenessSource(40, FROM, 20), out, meta(20), ranges()),
    );
    const c = checkPdf(pdf);
    // 40 points over two pages of rows, 20 days over two blocks of columns.
    assert.ok(c.pages >= 4, `pages ${c.pages}`);
    assert.ok(c.pngBytes > 8_000, `png ${c.pngBytes}`);
    assert.match(c.text, /Completude da coleta por ponto e dia/);
    assert.match(c.text, /sem medidor/);
    for (const i of [0, 17, 39]) assert.ok(c.text.includes(fakePoint(i).code), `point ${i}`);
    assert.match(c.text, /65,27 %/);
    assert.match(c.text, /Intervalos faltantes \(sequências por medidor\)/);
    assert.match(c.text, /02\/11\/2026 00:05/);
    assert.match(c.text, /e mais 10 sequências/);
  });

  test('XLSX: map and rows hold the source figures (percent as a fraction) with colours', async () => {
    const points = 12;
    const src = () => fakeCompletenessSource(points, FROM, 5);
    const wb = await readXlsx(await collect((out) => writeCompletenessXlsx(src, out, meta(5))));
    const map = sheetRows(wb, 'Mapa');
    assert.equal(map.length, 1 + points);
    assert.equal(map[0][2], '02/11/2026');
    for (let i = 0; i < points; i++) {
      const s = fakeCompleteness(i, FROM, 5);
      assert.equal(map[i + 1][0], s.point.code);
      s.days.forEach((d, j) => {
        const v = map[i + 1][2 + j];
        if (d.percent === null) assert.equal(v ?? null, null);
        else assert.ok(Math.abs((v as number) - d.percent / 100) < 1e-12, `point ${i} day ${j}`);
      });
    }
    const cell = wb.getWorksheet('Mapa')!.getRow(2).getCell(3);
    const fill = cell.fill as { fgColor?: { argb?: string } };
    assert.equal(fill.fgColor?.argb, `FF${completenessColor(fakeCompleteness(0, FROM, 5).days[0].percent)}`);
    assert.equal(cell.numFmt, '0.00%');
    const rows = sheetRows(wb, 'Por dia');
    assert.equal(rows.length, 1 + points * 5);
    const s = fakeCompleteness(4, FROM, 5);
    const r = rows.find((x) => x[0] === s.point.code && (x[2] as Date).toISOString().startsWith(s.days[1].day));
    assert.deepEqual(r?.slice(3, 6), [s.days[1].slots, s.days[1].filled, s.days[1].missing]);
  });

  test('CSV parses back to the source', async () => {
    const csv = parseCsv(await collect((out) => writeCompletenessCsv(fakeCompletenessSource(3, FROM, 4), out)));
    assert.deepEqual(csv[0], [
      'Ponto',
      'Nome',
      'Data',
      'Intervalos esperados',
      'Intervalos recebidos',
      'Intervalos faltantes',
      'Completude (%)',
    ]);
    assert.equal(csv.length, 1 + 12);
    const s = fakeCompleteness(2, FROM, 4).days[3];
    const line = csv[1 + 2 * 4 + 3];
    assert.equal(line[2], '05/11/2026');
    assert.deepEqual(line.slice(3, 6).map(Number), [s.slots, s.filled, s.missing]);
    assert.ok(Math.abs(brNumber(line[6]) - (s.percent ?? 0)) < 1e-4);
  });
});

describe('energy', () => {
  test('hourly sums by wall hour of the slot start; a missing slot is left out; an empty hour is null', () => {
    const value = new Float64Array(288).fill(1);
    value[0] = Number.NaN;
    for (let k = 12; k < 24; k++) value[k] = Number.NaN;
    const h = hourlySums({ day: FROM, slots: 288, intervalS: 300, value }, 'America/Sao_Paulo');
    assert.equal(h.hours.length, 24);
    assert.equal(h.hours[0], '00:00');
    assert.equal(h.hours[23], '23:00');
    assert.equal(h.values[0], 11);
    assert.equal(h.values[1], null);
    assert.equal(h.values[2], 12);
  });

  test('an old DST day (23 hours) gives 23 rows', () => {
    // 2018-11-04: clocks went forward at 00:00 in São Paulo; the day has 276 five-minute slots.
    const h = hourlySums(
      { day: '2018-11-04', slots: 276, intervalS: 300, value: new Float64Array(276).fill(1) },
      'America/Sao_Paulo',
    );
    assert.equal(h.hours.length, 23);
    assert.equal(h.hours[0], '01:00');
  });

  test('point report: channels in C, G order, totals, counts and versions from the finals', () => {
    const finals = fakeFinals(0, FROM, 2);
    const r = energyOfPoint(fakePoint(0), finals);
    assert.deepEqual(
      r.channels.map((c) => c.label),
      ['C', 'G'],
    );
    const c = finals.find((f) => f.quantityCode === 1 && f.day === FROM)!;
    let total = 0;
    for (const v of c.value) if (!Number.isNaN(v)) total += v;
    assert.ok(Math.abs(r.days[0].totals[0]! - total) < 1e-9);
    assert.deepEqual(r.days[0].counts[0], { N: 1, A: 283, S: 0, E: 4, M: 0 });
    assert.equal(r.days[0].versions[0], 2);
    assert.deepEqual(versionSummary(r), ['C: v1 (1 dia), v2 (1 dia)', 'G: v1 (1 dia), v2 (1 dia)']);
  });

  test('PDF opens; daily totals and hourly tables printed in pt-BR', async () => {
    const pdf = await collect((out) => writeEnergyPdf(fakeEnergy(2, FROM, 2), out, meta(2)));
    const c = checkPdf(pdf);
    assert.ok(c.pages >= 2, `pages ${c.pages}`);
    assert.ok(c.pngBytes > 8_000, `png ${c.pngBytes}`);
    assert.match(c.text, /Energia horária — 02\/11\/2026/);
    assert.match(c.text, /Versões das séries finais usadas/);
    const r = energyOfPoint(fakePoint(1), fakeFinals(1, FROM, 2));
    assert.ok(c.text.includes(fmtNumber(r.days[1].totals[0], 3)), 'daily total');
    assert.ok(c.text.includes(fmtNumber(r.days[1].values[12][1], 3)), 'an hourly G value');
  });

  test('XLSX read back equals the source; a long sheet continues on a second one', async () => {
    const src = () => fakeEnergy(3, FROM, 2);
    const wb = await readXlsx(await collect((out) => writeEnergyXlsx(src, out, { maxRowsPerSheet: 200 })));
    const daily = sheetRows(wb, 'Diário');
    assert.equal(daily.length, 1 + 3 * 2 * 2);
    const r = energyOfPoint(fakePoint(2), fakeFinals(2, FROM, 2));
    const row = daily.find(
      (x) => x[0] === fakePoint(2).code && x[2] === 'G' && (x[1] as Date).toISOString().startsWith(FROM),
    );
    assert.ok(row);
    assert.equal(row[4], r.days[0].totals[1]);
    assert.deepEqual(row.slice(5, 11), [283, 0, 4, 0, 1, 2]);
    // 3 points × 2 days × 2 channels × 24 hours = 288 rows: 199 on the first sheet, the rest on 'Horário (2)'.
    const h1 = sheetRows(wb, 'Horário');
    const h2 = sheetRows(wb, 'Horário (2)');
    assert.equal(h1.length - 1 + h2.length - 1, 288);
    assert.deepEqual(h1[0], ['Ponto', 'Data', 'Hora', 'Canal', 'Unidade', 'Energia']);
    const first = energyOfPoint(fakePoint(0), fakeFinals(0, FROM, 2));
    assert.equal(h1[1][5], first.days[0].values[0][0]);
    assert.equal(h1[2][2], '01:00');
  });

  test('CSV parses back: one line per point, day, hour and channel', async () => {
    const csv = parseCsv(await collect((out) => writeEnergyCsv(fakeEnergy(1, FROM, 1), out)));
    assert.equal(csv.length, 1 + 48);
    const r = energyOfPoint(fakePoint(0), fakeFinals(0, FROM, 1));
    assert.deepEqual(csv[1].slice(0, 5), [fakePoint(0).code, '02/11/2026', '00:00', 'C', 'kWh']);
    assert.ok(Math.abs(brNumber(csv[1][5]) - r.days[0].values[0][0]!) < 1e-6);
    assert.equal(csv[25][3], 'G');
  });
});

describe('an output that goes away', () => {
  const closingOutput = () => {
    const out = new PassThrough();
    out.once('data', () => out.destroy());
    out.resume();
    return out;
  };
  test('PDF and XLSX writers stop with an error instead of waiting', async () => {
    await assert.rejects(writeEnergyPdf(fakeEnergy(30, FROM, 2), closingOutput(), meta(2)), (e) =>
      isFronteiraError(e, 'FRONTEIRA_E_INTERNAL'),
    );
    await assert.rejects(
      writeEnergyXlsx(() => fakeEnergy(60, FROM, 3), closingOutput()),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_INTERNAL'),
    );
  });
});
