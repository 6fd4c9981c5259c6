import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { formatAddress, parseAddress } from './address.ts';

test('tcp and serial addresses parse', () => {
  assert.deepEqual(parseAddress('tcp://10.1.2.3:4001'), { kind: 'tcp', host: '10.1.2.3', port: 4001 });
  assert.deepEqual(parseAddress('serial:///dev/ttyUSB0?baud=19200'), {
    kind: 'serial',
    path: '/dev/ttyUSB0',
    baudRate: 19200,
    dtr: true,
  });
  assert.deepEqual(parseAddress('serial:///dev/pts/3'), {
    kind: 'serial',
    path: '/dev/pts/3',
    baudRate: 9600,
    dtr: true,
  });
  const noDtr = parseAddress('serial:///dev/ttyS0?dtr=0');
  assert.equal(noDtr.kind === 'serial' && noDtr.dtr, false);
  assert.equal(formatAddress(parseAddress('tcp://host:1')), 'tcp://host:1');
});

test('bad addresses are typed errors that say what is wrong', () => {
  for (const [text, why] of [
    ['10.0.0.1:4001', /scheme|not a URL/],
    ['tcp://10.0.0.1', /port/],
    ['tcp://10.0.0.1:99999', /port|not a URL/],
    ['serial://', /path|not a URL/],
    ['serial:///dev/ttyS0?baud=fast', /baud/],
    ['http://x:1', /scheme/],
  ] as const) {
    assert.throws(
      () => parseAddress(text),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_TRANSPORT_URL') && why.test((e as Error).message),
      text,
    );
  }
});
