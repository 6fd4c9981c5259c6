import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFronteiraError } from '../../domain/errors.ts';
import { DEFAULT_LIMITS, resolveLimits, resolveTimers, SERIAL_TIMERS, TCP_TIMERS } from './link-timers.ts';

test('defaults: serial syncs on 2 ENQs and keeps Tsemwait; TCP uses the relaxed §3.5 values', () => {
  assert.equal(SERIAL_TIMERS.syncEnqs, 2);
  assert.equal(SERIAL_TIMERS.waitTimeoutMs, 305_000);
  assert.ok(SERIAL_TIMERS.enqTimeoutMs > 502, 'above Tmaxenq');
  assert.deepEqual(
    { ...TCP_TIMERS },
    { enqTimeoutMs: 5000, responseTimeoutMs: 5000, interCharTimeoutMs: 2000, waitTimeoutMs: 305_000, syncEnqs: 1 },
  );
  assert.deepEqual({ ...DEFAULT_LIMITS }, { maxNaks: 7, maxWaits: 12, maxRetries: 7 });
});

test('resolveTimers applies overrides on the chosen base and ignores undefined ones', () => {
  const t = resolveTimers('serial', { responseTimeoutMs: 2500, enqTimeoutMs: undefined });
  assert.equal(t.responseTimeoutMs, 2500);
  assert.equal(t.enqTimeoutMs, SERIAL_TIMERS.enqTimeoutMs);
  assert.equal(t.syncEnqs, 2);
  assert.equal(resolveTimers().syncEnqs, 1, 'TCP by default');
  assert.notEqual(resolveTimers('tcp'), TCP_TIMERS, 'a fresh object, never the frozen default');
});

test('invalid timers and limits are FRONTEIRA_E_LINK_CONFIG naming the setting', () => {
  for (const bad of [{ enqTimeoutMs: 0 }, { interCharTimeoutMs: Number.NaN }, { syncEnqs: 0 }, { syncEnqs: 1.5 }]) {
    assert.throws(
      () => resolveTimers('tcp', bad),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_LINK_CONFIG') && e.message.includes(Object.keys(bad)[0]),
    );
  }
  assert.equal(resolveLimits({ maxWaits: 0 }).maxWaits, 0);
  assert.throws(
    () => resolveLimits({ maxNaks: 0 }),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_LINK_CONFIG'),
  );
});
