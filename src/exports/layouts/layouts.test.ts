import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isFronteiraError } from '../../domain/errors.ts';
import { Quality } from '../../vee/types.ts';
import { fixtureFinal, GOLDEN_DAY, GOLDEN_POINT, GOLDEN_SERIAL } from '../testing.ts';
import { validateXmlBatch } from '../xsd-validate.ts';
import { build5min, ccee5min } from './ccee-5min/builder.ts';
import { buildHourly, cceeHourly } from './ccee-hourly/builder.ts';
import type { LayoutInput } from './layout.ts';
import { getLayout, listLayouts, registerLayout } from './registry.ts';
import { formatDecimal, isoWithOffset } from './xml-text.ts';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/exports/', import.meta.url));

function goldenInput(quantityCodes = [1, 14, 10, 15]): LayoutInput {
  const finals = quantityCodes.map((q) => ({ ...fixtureFinal(1, GOLDEN_POINT, q, GOLDEN_DAY, 9), version: 1 }));
  return { pointCode: GOLDEN_POINT, meterSerial: GOLDEN_SERIAL, from: GOLDEN_DAY, to: GOLDEN_DAY, finals };
}

/** Byte comparison with the committed golden file; UPDATE_GOLDEN=1 rewrites it (review the diff before committing). */
function assertGolden(name: string, xml: string): void {
  const path = `${FIXTURES}${name}`;
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, xml);
  assert.equal(xml, readFileSync(path, 'utf8'), `${name} differs from the golden file`);
}

test('number and time text: decimals without exponent or -0, interval-end stamps with the -03:00 offset', () => {
  assert.equal(formatDecimal(1.5), '1.5');
  assert.equal(formatDecimal(2), '2');
  assert.equal(formatDecimal(-0.0000001), '0');
  assert.equal(formatDecimal(1e-7 * 3), '0');
  assert.equal(formatDecimal(0.1 + 0.2), '0.3');
  assert.equal(formatDecimal(1e21), '1000000000000000000000');
  assert.equal(isoWithOffset(Date.parse('2026-11-26T03:05:00Z')), '2026-11-26T00:05:00-03:00');
  assert.equal(isoWithOffset(Date.parse('2026-11-27T03:00:00Z')), '2026-11-27T00:00:00-03:00');
  // 2018 summer time in Brasília: -02:00.
  assert.equal(isoWithOffset(Date.parse('2018-12-01T12:00:00Z')), '2018-12-01T10:00:00-02:00');
});

test('ccee-5min: the golden point-day is byte-stable and valid against the XSD', async () => {
  const xml = build5min(goldenInput());
  assert.equal(build5min(goldenInput()), xml);
  assertGolden('ccee-5min-SPGOLDEN00001-20261126.xml', xml);
  const [v] = await validateXmlBatch(ccee5min.xsdPath, [{ label: 'golden', xml }]);
  assert.deepEqual(v.errors, []);
  assert.equal(v.valid, true);
  const medidas = xml.match(/<medida>/g) ?? [];
  assert.equal(medidas.length, 288);
  assert.match(xml, /<medida><data>2026-11-26T00:05:00-03:00<\/data>/);
  assert.match(xml, /<medida><data>2026-11-27T00:00:00-03:00<\/data>/);
  assert.match(xml, /<medidor><codigo>SPGOLDEN00001P<\/codigo><numeroSerie>40123456<\/numeroSerie><\/medidor>/);
  // Slot 250 is missing: quality N, no valor; slot 150 substituted from the retaguarda.
  const slot = (k: number) => xml.split('\n').filter((l) => l.startsWith('<medida>'))[k];
  assert.match(slot(250), /<consumo qualidade="N" origem="nenhuma"><unidadeMedida>kWh/);
  assert.doesNotMatch(slot(250), /<valor>/);
  assert.match(slot(150), /<consumo qualidade="S" origem="retaguarda"><valor>/);
  assert.match(slot(100), /qualidade="E" origem="estimativa"/);
  assert.match(slot(200), /qualidade="M" origem="manual"/);
});

test('ccee-hourly: golden, valid, sums per hour and the HCC/HEC/HIF statuses as documented', async () => {
  const input = goldenInput();
  const xml = buildHourly(input);
  assertGolden('ccee-hourly-SPGOLDEN00001-20261126.xml', xml);
  const [v] = await validateXmlBatch(cceeHourly.xsdPath, [{ label: 'golden', xml }]);
  assert.deepEqual(v.errors, []);
  const hours = xml.split('\n').filter((l) => l.startsWith('<medida>'));
  assert.equal(hours.length, 24);
  // Hour 0: all actual → HCC with the sum of its 12 slots.
  const c = input.finals.find((f) => f.quantityCode === 1)!;
  let sum = 0;
  for (let k = 0; k < 12; k++) sum += c.value[k];
  assert.match(hours[0], /<inicio>2026-11-26T00:00:00-03:00<\/inicio><fim>2026-11-26T01:00:00-03:00<\/fim>/);
  assert.match(hours[0], new RegExp(`<status>HCC</status><consumoAtivo>${formatDecimal(sum)}</consumoAtivo>`));
  // Slots 100-103 (hour 8) estimated → HEC; slots 250-255 (hour 20) missing → HIF without values.
  assert.match(hours[8], /<status>HEC<\/status><consumoAtivo>/);
  assert.match(hours[20], /<status>HIF<\/status><\/medida>/);
  assert.match(hours[23], /<fim>2026-11-27T00:00:00-03:00<\/fim>/);
});

test('ccee-hourly: a range file marks days without finals HIF and lists the versions used', async () => {
  const input = goldenInput([1]);
  const xml = buildHourly({ ...input, to: '2026-11-27' });
  const hours = xml.split('\n').filter((l) => l.startsWith('<medida>'));
  assert.equal(hours.length, 48);
  assert.ok(hours.slice(24).every((h) => h.includes('<status>HIF</status></medida>')));
  assert.match(xml, /<serie data="2026-11-26" canal="C" grandeza="1" versao="1"\/>/);
  const [v] = await validateXmlBatch(cceeHourly.xsdPath, [{ label: 'range', xml }]);
  assert.equal(v.valid, true, v.errors.join('\n'));
});

test('a corrupt final (NaN under quality A) is refused naming point, day, quantity and slot', () => {
  const input = goldenInput([1]);
  input.finals[0].value[17] = Number.NaN;
  for (const build of [build5min, buildHourly]) {
    assert.throws(
      () => build(input),
      (e) =>
        isFronteiraError(e, 'FRONTEIRA_E_EXPORT_INVALID') &&
        /SPGOLDEN00001 2026-11-26 quantity 1 v1: slot 17 has quality A but value NaN/.test(e.message) &&
        e.details.slot === 17,
    );
  }
  const n = goldenInput([1]);
  n.finals[0].quality[5] = Quality.N;
  assert.throws(() => build5min(n), /slot 5 is missing \(N\) but holds/);
});

test('ccee-5min refuses other interval lengths and ranges; a point with no series is an error', () => {
  const input = goldenInput([1]);
  assert.throws(() => build5min({ ...input, to: '2026-11-27' }), /one file holds one operating day/);
  assert.throws(() => build5min({ ...input, finals: [] }), /no final series/);
  const f = { ...input.finals[0], intervalS: 900, slots: 96 };
  assert.throws(() => build5min({ ...input, finals: [f] }), /900 s intervals, the layout needs 300 s/);
});

test('the XSD check reports libxml messages per file, and malformed XML too', async () => {
  const good = build5min(goldenInput([1]));
  const bad = good.replace('<codigo>SPGOLDEN00001</codigo>', '<codigo>spgolden</codigo>');
  const r = await validateXmlBatch(ccee5min.xsdPath, [
    { label: 'good', xml: good },
    { label: 'bad', xml: bad },
    { label: 'broken', xml: '<medicaoCincoMinutos>' },
  ]);
  assert.deepEqual(
    r.map((x) => [x.label, x.valid]),
    [
      ['good', true],
      ['bad', false],
      ['broken', false],
    ],
  );
  assert.match(r[1].errors[0], /^line 3: .*Element '\{urn:fronteira:leiaute:ccee-5min:1\}codigo'.*spgolden/);
  assert.match(r[2].errors[0], /^line 1: .*Premature end of data/);
});

test('layout registry: defaults listed, unknown id named, bad ids refused', () => {
  assert.deepEqual(
    listLayouts()
      .map((l) => l.id)
      .slice(0, 2),
    ['ccee-5min', 'ccee-hourly'],
  );
  assert.equal(getLayout('ccee-hourly'), cceeHourly);
  assert.throws(() => getLayout('nope'), /unknown layout 'nope' \(known: ccee-5min, ccee-hourly/);
  assert.throws(() => registerLayout({ ...ccee5min, id: 'Bad Id' }), /must be lower-case/);
  assert.throws(() => registerLayout(ccee5min), /already registered/);
});
