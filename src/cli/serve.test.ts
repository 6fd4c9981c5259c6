import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../domain/errors.ts';
import { collectSchedule } from './serve.ts';

test('--schedule parses a point-group schedule and refuses a malformed one', () => {
  assert.deepEqual(collectSchedule('ufv:intraday:solar,hydro:0 * * * *', []), [
    { name: 'ufv', purpose: 'intraday', cron: '0 * * * *', tags: ['solar', 'hydro'] },
  ]);
  assert.deepEqual(collectSchedule('all:gaps::*/10 * * * *', [])[0], {
    name: 'all',
    purpose: 'gaps',
    cron: '*/10 * * * *',
  });
  for (const bad of ['ufv:hourly:solar:0 * * * *', 'ufv:intraday:solar:0 * *', 'u v:daily::0 0 * * *']) {
    assert.throws(
      () => collectSchedule(bad, []),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_CLI_ARGUMENT'),
      bad,
    );
  }
});
