import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { build5min, ccee5min } from './layouts/ccee-5min/builder.ts';
import { fixtureFinal, GOLDEN_DAY, GOLDEN_POINT } from './testing.ts';
import { XsdValidator } from './xsd-validate.ts';

const good = build5min({
  pointCode: GOLDEN_POINT,
  meterSerial: null,
  from: GOLDEN_DAY,
  to: GOLDEN_DAY,
  finals: [{ ...fixtureFinal(1, GOLDEN_POINT, 1, GOLDEN_DAY, null), version: 1 }],
});
const bad = good.replace('<intervaloSegundos>300</intervaloSegundos>', '<intervaloSegundos>900</intervaloSegundos>');

test('a persistent worker reports each run on its own: messages never leak into the next run', async () => {
  const v = new XsdValidator(1);
  try {
    const first = await v.validate(ccee5min.xsdPath, [{ label: 'bad', xml: bad }]);
    assert.equal(first[0].valid, false);
    assert.match(first[0].errors[0], /^line 6: .*intervaloSegundos.*900/);
    const second = await v.validate(ccee5min.xsdPath, [{ label: 'good', xml: new TextEncoder().encode(good) }]);
    assert.deepEqual(second, [{ label: 'good', valid: true, errors: [] }]);
    const third = await v.validate(ccee5min.xsdPath, [
      { label: 'a', xml: good },
      { label: 'b', xml: bad },
    ]);
    assert.deepEqual(
      third.map((r) => [r.label, r.valid, r.errors.length]),
      [
        ['a', true, 0],
        ['b', false, 1],
      ],
    );
  } finally {
    await v.close();
  }
});

test('a pool runs batches side by side; a missing XSD or a closed validator is a typed error', async () => {
  const v = new XsdValidator(2);
  try {
    const runs = await Promise.all(
      [good, bad, good, bad].map((xml, i) => v.validate(ccee5min.xsdPath, [{ label: String(i), xml }])),
    );
    assert.deepEqual(
      runs.map((r) => r[0].valid),
      [true, false, true, false],
    );
    await assert.rejects(
      v.validate('/nonexistent/schema.xsd', [{ label: 'x', xml: good }]),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_EXPORT_INVALID') && /cannot be read/.test(e.message),
    );
  } finally {
    await v.close();
  }
  await assert.rejects(v.validate(ccee5min.xsdPath, [{ label: 'x', xml: good }]), /closed/);
  assert.throws(() => new XsdValidator(0), /pool size 0/);
});
