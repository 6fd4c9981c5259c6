import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { collectStream as collect } from '../domain/collect-stream.ts';
import { writeSummaryCsv } from './csv.ts';
import type { Summary, SummaryRow } from './summary.ts';
import { writeSummaryXlsx } from './xlsx.ts';

function row(over: Partial<SummaryRow>): SummaryRow {
  return {
    group: 'cativo',
    channel: 'C',
    quantityCode: 1,
    unit: 'kWh',
    period: '2024-03-01',
    energy: 1234.5678,
    expectedSlots: 576,
    actual: 560,
    substituted: 4,
    estimated: 0,
    manual: 0,
    missing: 12,
    completeness: 564 / 576,
    points: 2,
    pointsWithData: 2,
    pointsWithoutData: 0,
    ...over,
  };
}

function summary(resolution: Summary['resolution'], rows: SummaryRow[]): Summary {
  return {
    by: { kind: 'segment' },
    resolution,
    from: '2024-03-01',
    to: '2024-03-31',
    channels: ['C', 'QC'],
    includeVirtual: false,
    rows,
  };
}

describe('writeSummaryCsv', () => {
  test('parses back: pt-BR headers, decimal comma, dd/mm/aaaa, BOM and CRLF', async () => {
    const s = summary('day', [row({}), row({ channel: 'QC', quantityCode: 10, unit: 'kvarh', energy: 0.5 })]);
    const buf = await collect((out) => writeSummaryCsv(s, out));
    assert.deepEqual([...buf.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.match(buf.toString('utf8'), /\r\n/);
    const rec = parse(buf.toString('utf8'), { delimiter: ';', bom: true }) as string[][];
    assert.deepEqual(rec[0], [
      'Segmento',
      'Canal',
      'Unidade',
      'Data',
      'Energia',
      'Intervalos esperados',
      'Reais (A)',
      'Substituídos (S)',
      'Estimados (E)',
      'Manuais (M)',
      'Faltantes',
      'Completude (%)',
      'Pontos',
      'Pontos com dados',
      'Pontos sem dados',
    ]);
    assert.deepEqual(rec[1], [
      'cativo',
      'C',
      'kWh',
      '01/03/2024',
      '1234,5678',
      '576',
      '560',
      '4',
      '0',
      '0',
      '12',
      '97,9167',
      '2',
      '2',
      '0',
    ]);
    assert.deepEqual(rec[2].slice(0, 5), ['cativo', 'QC', 'kvarh', '01/03/2024', '0,5']);
    assert.equal(rec.length, 3);
  });

  test('months as mm/aaaa, hours as ISO with offset, tag header', async () => {
    const m = await collect((out) => writeSummaryCsv(summary('month', [row({ period: '2024-03' })]), out));
    assert.equal((parse(m.toString('utf8'), { delimiter: ';', bom: true }) as string[][])[1][3], '03/2024');
    const h = summary('hour', [row({ period: '2024-03-01T13:00-03:00', group: 'usinas' })]);
    h.by = { kind: 'tag', tag: 'usinas' };
    const rec = parse((await collect((out) => writeSummaryCsv(h, out))).toString('utf8'), {
      delimiter: ';',
      bom: true,
    }) as string[][];
    assert.deepEqual(rec[0].slice(0, 4), ['Grupo (tag)', 'Canal', 'Unidade', 'Hora (início)']);
    assert.deepEqual(rec[1].slice(0, 4), ['usinas', 'C', 'kWh', '2024-03-01T13:00-03:00']);
  });
});

describe('writeSummaryXlsx', () => {
  test('reads back with exceljs: numbers, dates and the parameters sheet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summary-xlsx-'));
    try {
      const file = join(dir, 's.xlsx');
      const rows = Array.from({ length: 2500 }, (_, i) => row({ energy: i + 0.25, period: '2024-03-02' }));
      await writeSummaryXlsx(summary('day', rows), file);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      const ws = wb.getWorksheet('Resumo')!;
      assert.equal(ws.rowCount, 2501);
      assert.equal(ws.getRow(1).getCell(1).value, 'Segmento');
      const r = ws.getRow(2);
      assert.equal(r.getCell(1).value, 'cativo');
      assert.deepEqual(r.getCell(4).value, new Date(Date.UTC(2024, 2, 2)));
      assert.equal(r.getCell(4).numFmt, 'dd/mm/yyyy');
      assert.equal(r.getCell(5).value, 0.25);
      assert.equal(r.getCell(6).value, 576);
      assert.ok(Math.abs((r.getCell(12).value as number) - (100 * 564) / 576) < 1e-9);
      assert.equal(ws.getRow(2501).getCell(5).value, 2499.25);
      const info = wb.getWorksheet('Parâmetros')!;
      assert.equal(info.getRow(1).getCell(2).value, 'Segmento: segmento de mercado');
      assert.equal(info.getRow(5).getCell(2).value, 'C, QC');
      assert.equal(info.getRow(6).getCell(2).value, 'excluídos');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('months as dates formatted mm/yyyy, hours as text', async () => {
    const bufM = await collect((out) => writeSummaryXlsx(summary('month', [row({ period: '2024-03' })]), out));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bufM as unknown as ArrayBuffer);
    const c = wb.getWorksheet('Resumo')!.getRow(2).getCell(4);
    assert.deepEqual(c.value, new Date(Date.UTC(2024, 2, 1)));
    assert.equal(c.numFmt, 'mm/yyyy');
    const bufH = await collect((out) =>
      writeSummaryXlsx(summary('hour', [row({ period: '2024-03-01T13:00-03:00' })]), out),
    );
    const wh = new ExcelJS.Workbook();
    await wh.xlsx.load(bufH as unknown as ArrayBuffer);
    assert.equal(wh.getWorksheet('Resumo')!.getRow(2).getCell(4).value, '2024-03-01T13:00-03:00');
  });

  test('an output error rejects instead of hanging', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('disk full'));
      },
    });
    await assert.rejects(writeSummaryXlsx(summary('day', [row({})]), broken), /disk full/);
  });
});
