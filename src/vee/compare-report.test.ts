import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { collectStream as collect } from '../domain/collect-stream.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { comparePoint } from './compare.ts';
import { formatDecimalBR, writeComparisonCsv, writeComparisonXlsx } from './compare-report.ts';
import { DEFAULT_PARAMS } from './params.ts';
import { emptyFinalDay, Method, meterDay, Quality, RAW_ACTUAL, Reason, Source } from './types.ts';

const DAY = '2024-03-04';

function md(role: 'principal' | 'retaguarda', values: (number | null)[], quantityCode = 1) {
  return meterDay({
    meterId: role === 'principal' ? 1 : 2,
    role,
    channel: 1,
    quantityCode,
    day: DAY,
    slots: values.length,
    intervalS: 300,
    value: values,
    flags: Uint8Array.from(values, (v) => (v === null ? 0 : RAW_ACTUAL)),
  });
}

/** Principal 10 everywhere but a spike of 12 at slot 13; retaguarda 10.1, missing at slot 20; a kvarh channel too. */
function sample() {
  const p: (number | null)[] = new Array(288).fill(10);
  p[13] = 12;
  const r: (number | null)[] = new Array(288).fill(10.1);
  r[20] = null;
  const f = emptyFinalDay({ pointId: 1, pointCode: 'PT-01', quantityCode: 1, day: DAY, slots: 288, intervalS: 300 });
  for (let k = 0; k < 288; k++) {
    f.value[k] = k === 13 ? 10.1 : 10;
    f.quality[k] = k === 13 ? Quality.S : Quality.A;
    f.method[k] = k === 13 ? Method.RT : Method.none;
    f.source[k] = k === 13 ? Source.retaguarda : Source.principal;
    f.reason[k] = Reason.none;
  }
  const cmp = comparePoint({
    day: DAY,
    principal: [md('principal', p), md('principal', new Array(288).fill(1), 10)],
    retaguarda: [md('retaguarda', r), md('retaguarda', new Array(288).fill(1), 10)],
    finals: [f],
    params: DEFAULT_PARAMS,
  });
  return [{ pointCode: 'PT-01', cmp }];
}

function csvRecords(buf: Buffer): string[][] {
  return parse(buf.toString('utf8'), { delimiter: ';', bom: true }) as string[][];
}

describe('writeComparisonCsv', () => {
  test('interval level: pt-BR headers, ; separator, decimal comma, BOM and CRLF', async () => {
    const buf = await collect((out) => writeComparisonCsv(sample(), out));
    assert.deepEqual([...buf.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.match(buf.toString('utf8'), /\r\n/);
    const rec = csvRecords(buf);
    assert.deepEqual(rec[0], [
      'Ponto',
      'Data',
      'Canal',
      'Hora',
      'Intervalo (fim)',
      'Principal (kWh)',
      'Retaguarda (kWh)',
      'Diferença (kWh)',
      'Diferença (%)',
      'Usado',
      'Fora da tolerância',
    ]);
    assert.equal(rec.length, 1 + 288, 'kWh only: the kvarh channel is not in the report');
    assert.deepEqual(rec[1], [
      'PT-01',
      '04/03/2024',
      'C',
      '00:00',
      '00:05',
      '10',
      '10,1',
      '-0,1',
      '-1',
      'principal',
      'não',
    ]);
    // 12 vs 10.1: +18.8119 %, beyond the 2 % interval tolerance; the final used the retaguarda.
    assert.deepEqual(rec[14], [
      'PT-01',
      '04/03/2024',
      'C',
      '01:00',
      '01:10',
      '12',
      '10,1',
      '1,9',
      '15,8333',
      'retaguarda (RT)',
      'sim',
    ]);
    assert.deepEqual(rec[21].slice(4, 10), ['01:45', '10', '', '', '', 'principal']);
  });

  test('hour and day levels', async () => {
    const hours = csvRecords(await collect((out) => writeComparisonCsv(sample(), out, { level: 'hour' })));
    assert.equal(hours.length, 1 + 24);
    assert.deepEqual(hours[0].slice(0, 4), ['Ponto', 'Data', 'Canal', 'Hora']);
    // Hour 01: slot 20 missing on the retaguarda, 11 intervals compared: 112 vs 111.1.
    assert.deepEqual(hours[2].slice(3, 10), ['01:00', '112', '111,1', '0,9', '0,8036', 'não', '11']);
    const days = csvRecords(await collect((out) => writeComparisonCsv(sample(), out, { level: 'day' })));
    assert.equal(days.length, 2);
    assert.deepEqual(days[1].slice(0, 9), [
      'PT-01',
      '04/03/2024',
      'C',
      '2872',
      '2898,7',
      '-26,7',
      '-0,9297',
      'sim',
      '287',
    ]);
    assert.equal(days[1][days[1].length - 1], 'principal 287, retaguarda 1');
  });

  test('end: false leaves the stream open', async () => {
    const out = new PassThrough();
    out.resume();
    await writeComparisonCsv(sample(), out, { level: 'day', end: false });
    assert.equal(out.writableEnded, false);
    out.end();
  });

  test('an unknown level is a validation error', async () => {
    await assert.rejects(writeComparisonCsv(sample(), new PassThrough(), { level: 'week' as 'day' }), (e: unknown) =>
      isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
  });

  test('decimal comma formatting', () => {
    assert.equal(formatDecimalBR(0.1 + 0.2, 6), '0,3');
    assert.equal(formatDecimalBR(-0.0000001, 6), '0');
    assert.equal(formatDecimalBR(1234.5, 3), '1234,5');
  });
});

async function readXlsx(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.read(Readable.from(buf));
  return wb;
}

describe('writeComparisonXlsx', () => {
  test('sheets, headers, numbers with number formats, dates', async () => {
    const buf = await collect((out) => writeComparisonXlsx(sample(), out));
    const wb = await readXlsx(buf);
    assert.deepEqual(
      wb.worksheets.map((w) => w.name),
      ['Resumo', 'Horário', 'Intervalos', 'Fora da tolerância'],
    );
    const resumo = wb.getWorksheet('Resumo')!;
    assert.equal(resumo.getCell('A1').value, 'Ponto');
    assert.equal(resumo.getCell('D1').value, 'Principal (kWh)');
    assert.equal(resumo.rowCount, 2);
    assert.equal(resumo.getCell('D2').value, 2872);
    assert.equal(resumo.getCell('D2').numFmt, '#,##0.000');
    const date = resumo.getCell('B2').value;
    assert.ok(date instanceof Date);
    assert.equal(date.toISOString().slice(0, 10), DAY);

    const intervals = wb.getWorksheet('Intervalos')!;
    assert.equal(intervals.rowCount, 1 + 288);
    assert.equal(intervals.getCell('I1').value, 'Diferença (%)');
    const pct = intervals.getCell('I2').value;
    assert.equal(typeof pct, 'number');
    assert.ok(Math.abs((pct as number) + 1) < 1e-9);
    assert.equal(intervals.getCell('I2').numFmt, '0.000');
    assert.equal(intervals.getCell('G22').value, null, 'missing retaguarda is an empty cell');

    const beyond = wb.getWorksheet('Fora da tolerância')!;
    assert.equal(beyond.rowCount, 2);
    assert.equal(beyond.getCell('E2').value, '01:10');
    assert.equal(beyond.getCell('F2').value, 12);
    assert.equal(beyond.getCell('J2').value, 'retaguarda (RT)');
    assert.equal(beyond.getCell('K2').value, 'sim');
    assert.equal(wb.getWorksheet('Horário')!.rowCount, 1 + 24);
  });

  test('a file path; a table longer than a sheet continues on the next', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fronteira-cmp-'));
    try {
      const path = join(dir, 'comparacao.xlsx');
      await writeComparisonXlsx(sample(), path, { maxRowsPerSheet: 100 });
      const wb = await readXlsx(readFileSync(path));
      assert.deepEqual(
        wb.worksheets.map((w) => [w.name, w.rowCount]),
        [
          ['Resumo', 2],
          ['Horário', 25],
          ['Intervalos', 100],
          ['Intervalos (2)', 100],
          ['Intervalos (3)', 91],
          ['Fora da tolerância', 2],
        ],
      );
      assert.equal(wb.getWorksheet('Intervalos (2)')!.getCell('A1').value, 'Ponto');
      await assert.rejects(writeComparisonXlsx(sample(), join(dir, 'no', 'such', 'dir.xlsx')), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
