import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { checkChannelMap, formatChannelMap, parseChannelMap } from './channel-map.ts';

const TWO_GROUPS = [
  { group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 },
  { group: 0, channel: 2, quantityCode: 10, numerator: 1, denominator: 200 },
  { group: 0, channel: 3, quantityCode: 11, numerator: 1, denominator: 200 },
  { group: 1, channel: 4, quantityCode: 14, numerator: 5, denominator: 1 },
  { group: 1, channel: 5, quantityCode: 15, numerator: 2, denominator: 1000 },
  { group: 1, channel: 6, quantityCode: 16, numerator: 999999, denominator: 999999 },
];

function rejects(fn: () => unknown, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'), String(e));
    assert.equal(e.details.field, 'canais');
    assert.match(String(e.details.reason), reason);
    return true;
  });
}

test('compact form: format and parse are inverse', () => {
  const text = formatChannelMap(TWO_GROUPS);
  assert.equal(text, '0:01/10/11@1/100,1/200,1/200|1:14/15/16@5/1,2/1000,999999/999999');
  assert.deepEqual(parseChannelMap('canais', text), TWO_GROUPS);
  assert.equal(formatChannelMap([]), '');
  assert.deepEqual(parseChannelMap('canais', ''), []);
});

test('compact form: skipped and trailing channels, spaces, ; between groups, any entry order', () => {
  const map = parseChannelMap('canais', ' 2 : 1 / - / 11 @ 1/100 , - , 1/200 ; 0:01@1/10 ');
  assert.deepEqual(map, [
    { group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 10 },
    { group: 2, channel: 7, quantityCode: 1, numerator: 1, denominator: 100 },
    { group: 2, channel: 9, quantityCode: 11, numerator: 1, denominator: 200 },
  ]);
  assert.equal(formatChannelMap([...map].reverse()), '0:01@1/10|2:01/-/11@1/100,-,1/200');
});

test('bad compact forms name what is wrong', () => {
  rejects(() => parseChannelMap('canais', '0:01/10/11'), /not G:codes@constants/);
  rejects(() => parseChannelMap('canais', '33:01@1/1'), /group 33 is not 0–32/);
  rejects(() => parseChannelMap('canais', '0:01/10/11/12@1/1,1/1,1/1,1/1'), /at most 3/);
  rejects(() => parseChannelMap('canais', '0:01/10@1/1'), /2 quantity codes but 1 constants/);
  rejects(() => parseChannelMap('canais', '0:100@1/1'), /quantity code '100'/);
  rejects(() => parseChannelMap('canais', '0:01@1/0'), /denominator must be a whole number 1–999999/);
  rejects(() => parseChannelMap('canais', '0:01@1/1234567'), /constant '1\/1234567' is not num\/den/);
  rejects(() => parseChannelMap('canais', '0:-@1/1'), /constant but no quantity code/);
  rejects(() => parseChannelMap('canais', '0:01@1/1|0:01@1/1'), /channel 1 appears twice/);
});

test('entries given as data are checked one by one', () => {
  assert.deepEqual(checkChannelMap('canais', [...TWO_GROUPS].reverse()), TWO_GROUPS);
  rejects(() => checkChannelMap('canais', 'x'), /not a list/);
  rejects(() => checkChannelMap('canais', [{ ...TWO_GROUPS[0], group: 40 }]), /entry 1: group must be 0–32/);
  rejects(() => checkChannelMap('canais', [{ ...TWO_GROUPS[0], channel: 4 }]), /channel of group 0 must be 1–3/);
  rejects(() => checkChannelMap('canais', [{ ...TWO_GROUPS[0], quantityCode: -1 }]), /quantity code must be 0–99/);
  rejects(() => checkChannelMap('canais', [{ ...TWO_GROUPS[0], numerator: 1.5 }]), /numerator must be a whole/);
  rejects(() => checkChannelMap('canais', [null]), /entry 1: is not an object/);
});
