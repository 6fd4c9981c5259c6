import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { test } from 'node:test';
import { isFronteiraError } from '../../domain/errors.ts';
import { checkPassword, hashPassword, verifyPassword } from './passwords.ts';

test('a hash carries scrypt parameters and salt, verifies the right password only, and differs per call', async () => {
  const h = await hashPassword('correct horse battery');
  const [alg, N, r, p, salt, key] = h.split('$');
  assert.equal(alg, 'scrypt');
  assert.deepEqual([N, r, p], ['16384', '8', '1']);
  // The string is plain scrypt: anyone can re-derive it from its own parameters.
  const again = scryptSync('correct horse battery', Buffer.from(salt, 'base64url'), 32, {
    N: 16384,
    r: 8,
    p: 1,
    maxmem: 64 * 1024 * 1024,
  });
  assert.equal(again.toString('base64url'), key);
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('correct horse batterY', h), false);
  assert.notEqual(await hashPassword('correct horse battery'), h);
});

test('cheaper parameters inside the string are honoured (hashes survive a cost change)', async () => {
  const h = await hashPassword('0123456789', { N: 1024, r: 8, p: 1 });
  assert.match(h, /^scrypt\$1024\$8\$1\$/);
  assert.equal(await verifyPassword('0123456789', h), true);
});

test('unreadable stored hashes verify false instead of throwing', async () => {
  for (const bad of ['', 'plain', 'scrypt$a$b$c$d$e', 'scrypt$16384$8$1$AAAA$short', 'bcrypt$1$2$3$4$5']) {
    assert.equal(await verifyPassword('whatever12', bad), false, bad);
  }
  // Parameters that scrypt itself refuses (N not a power of two) are a false, not a RangeError.
  assert.equal(
    await verifyPassword('whatever12', `scrypt$1000$8$1$AAAA$${Buffer.alloc(32).toString('base64url')}`),
    false,
  );
});

test('the policy rejects short passwords naming the field', () => {
  assert.throws(
    () => checkPassword('short', 'body.password'),
    (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && /body\.password: must have at least 10/.test(e.message),
  );
  checkPassword('0123456789');
});
