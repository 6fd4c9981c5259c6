/**
 * User administration and API tokens through the API: every change audited as `user:<admin>`, passwords stored as
 * salted scrypt, tokens usable until revoked. PGlite only (the SQL is covered on both backends in
 * src/store/users.test.ts).
 */
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sha256 } from '../src/api/auth/tokens.ts';
import { listAudit } from '../src/store/audit.ts';
import { type ApiHarness, openApi, type Session } from './helpers/api.ts';

let h: ApiHarness;
let admin: Session;
before(async () => {
  h = await openApi();
  admin = await h.login('admin');
});
after(() => h?.close());

const errorOf = (res: { json(): unknown }) =>
  (res.json() as { error: { code: string; message: string; details: Record<string, unknown> } }).error;

test('create, read, list and update a user; each change leaves an audit row by the admin, without the hash', async () => {
  const created = await h.post(
    '/api/v1/users',
    { username: 'maria.silva', role: 'analista', password: 'maria-password-1', displayName: 'Maria Silva' },
    admin,
  );
  assert.equal(created.statusCode, 201);
  const u = created.json();
  assert.deepEqual(
    {
      username: u.username,
      role: u.role,
      displayName: u.displayName,
      disabled: u.disabled,
      lastLoginAt: u.lastLoginAt,
    },
    { username: 'maria.silva', role: 'analista', displayName: 'Maria Silva', disabled: false, lastLoginAt: null },
  );
  assert.equal('password' in u || 'passwordHash' in u || 'password_hash' in u, false);

  const one = await h.get(`/api/v1/users/${u.id}`, admin);
  assert.equal(one.statusCode, 200);
  assert.deepEqual(one.json().tokens, []);

  const list = await h.get('/api/v1/users?limit=1&offset=0', admin);
  assert.equal(list.statusCode, 200);
  assert.equal(list.json().items.length, 1);
  assert.equal(list.json().limit, 1);
  assert.ok(list.json().total >= 2);

  const patched = await h.patch(`/api/v1/users/${u.id}`, { role: 'leitura', displayName: null }, admin);
  assert.equal(patched.statusCode, 200);
  assert.equal(patched.json().role, 'leitura');
  assert.equal(patched.json().displayName, null);

  const rows = await listAudit(h.store.db, { entity: 'user', entityId: u.id, limit: 10 });
  assert.deepEqual(
    rows.map((r) => [r.action, r.actor]),
    [
      ['update', 'user:test-admin'],
      ['create', 'user:test-admin'],
    ],
  );
  assert.equal((rows[0].before as { role: string }).role, 'analista');
  assert.equal((rows[0].after as { role: string }).role, 'leitura');
  assert.equal(JSON.stringify(rows).includes('scrypt$'), false);
  assert.equal(JSON.stringify(rows).includes('maria-password-1'), false);
});

test('passwords are stored as salted scrypt, never in clear, and a password change ends the user’s sessions', async () => {
  const res = await h.post('/api/v1/users', { username: 'joao', role: 'leitura', password: 'joao-password-1' }, admin);
  const id = res.json().id;
  const row = await h.store.db.selectFrom('app_user').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  assert.equal(row.password_hash.includes('joao-password-1'), false);
  const [alg, N, r, p, salt, key] = row.password_hash.split('$');
  assert.equal(alg, 'scrypt');
  const derived = scryptSync('joao-password-1', Buffer.from(salt, 'base64url'), 32, {
    N: Number(N),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * 1024 * 1024,
  });
  assert.equal(derived.toString('base64url'), key);

  const login = await h.post('/api/v1/auth/login', { username: 'joao', password: 'joao-password-1' });
  const cookie = String(login.headers['set-cookie']).split(';')[0];
  const session = { cookie, csrf: login.json().csrfToken, setCookie: '' };
  assert.equal((await h.get('/api/v1/auth/me', session)).statusCode, 200);

  const changed = await h.patch(`/api/v1/users/${id}`, { password: 'joao-password-2' }, admin);
  assert.equal(changed.statusCode, 200);
  assert.equal((await h.get('/api/v1/auth/me', session)).statusCode, 401);
  assert.equal((await h.post('/api/v1/auth/login', { username: 'joao', password: 'joao-password-1' })).statusCode, 401);
  assert.equal((await h.post('/api/v1/auth/login', { username: 'joao', password: 'joao-password-2' })).statusCode, 200);
  const audit = await listAudit(h.store.db, { entity: 'user', entityId: id, limit: 10 });
  assert.deepEqual(
    audit.map((a) => a.action),
    ['login', 'update_password', 'login', 'create'],
  );
  assert.equal((audit[1].after as { passwordChanged?: boolean }).passwordChanged, true);
});

test('API tokens: issued once, work as bearer, are stored hashed, and fail once revoked (audited)', async () => {
  const u = await h.user('analista');
  const issued = await h.post(`/api/v1/users/${u.id}/tokens`, { name: 'scada export' }, admin);
  assert.equal(issued.statusCode, 201);
  const { token, id } = issued.json();
  assert.match(token, /^frt_[A-Za-z0-9_-]{43}$/);
  const stored = await h.store.db.selectFrom('api_token').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  assert.equal(stored.token_hash, sha256(token));

  const me = await h.get('/api/v1/auth/me', token);
  assert.equal(me.statusCode, 200);
  assert.deepEqual(
    { username: me.json().username, via: me.json().via, csrf: me.json().csrfToken },
    {
      username: u.username,
      via: 'token',
      csrf: null,
    },
  );
  // The token list shows it without the secret.
  const shown = await h.get(`/api/v1/users/${u.id}`, admin);
  assert.equal(JSON.stringify(shown.json()).includes(token), false);
  assert.equal(shown.json().tokens.find((t: { id: number }) => t.id === id).name, 'scada export');

  const revoked = await h.delete(`/api/v1/tokens/${id}`, admin);
  assert.equal(revoked.statusCode, 200);
  assert.equal(revoked.json().revoked, true);
  const after = await h.get('/api/v1/auth/me', token);
  assert.equal(after.statusCode, 401);
  assert.equal(errorOf(after).code, 'FRONTEIRA_E_AUTH');

  const audit = await listAudit(h.store.db, { entity: 'api_token', entityId: id, limit: 5 });
  assert.deepEqual(
    audit.map((a) => a.action),
    ['revoke', 'create'],
  );
  assert.equal(JSON.stringify(audit).includes(token), false);
  assert.equal((await h.delete('/api/v1/tokens/999999', admin)).statusCode, 404);
});

test('tokens of a disabled user stop working; the last enabled admin cannot be disabled or demoted', async () => {
  const created = await h.post(
    '/api/v1/users',
    { username: 'temp', role: 'analista', password: 'temp-password-1' },
    admin,
  );
  const id = created.json().id;
  const t = (await h.post(`/api/v1/users/${id}/tokens`, { name: 'x' }, admin)).json().token;
  assert.equal((await h.get('/api/v1/auth/me', t)).statusCode, 200);
  const off = await h.patch(`/api/v1/users/${id}`, { disabled: true }, admin);
  assert.equal(off.json().disabled, true);
  assert.equal((await h.get('/api/v1/auth/me', t)).statusCode, 401);
  assert.equal((await h.post(`/api/v1/users/${id}/tokens`, { name: 'y' }, admin)).statusCode, 400);

  const self = await h.user('admin');
  for (const change of [{ disabled: true }, { role: 'analista' }]) {
    const res = await h.patch(`/api/v1/users/${self.id}`, change, admin);
    assert.equal(res.statusCode, 409, JSON.stringify(change));
    assert.equal(errorOf(res).code, 'FRONTEIRA_E_CONFLICT');
  }
});

test('bad input on every users route is 400 naming the field; duplicates 409; unknown ids 404', async () => {
  const cases: [string, string, unknown, string][] = [
    ['POST', '/api/v1/users', { username: 'ok-name', role: 'root', password: 'long-enough-1' }, 'body.role'],
    ['POST', '/api/v1/users', { username: 'ok-name', role: 'leitura', password: 'short' }, 'body.password'],
    ['POST', '/api/v1/users', { username: 'UPPER', role: 'leitura', password: 'long-enough-1' }, 'body.username'],
    ['POST', '/api/v1/users', { role: 'leitura', password: 'long-enough-1' }, 'body.username'],
    ['POST', '/api/v1/users', 'not json', 'body'],
    ['PATCH', '/api/v1/users/1', {}, 'body'],
    ['PATCH', '/api/v1/users/1', { disabled: 'maybe' }, 'body.disabled'],
    // An unknown field is refused, not silently dropped (a misspelt field would otherwise change nothing).
    ['PATCH', '/api/v1/users/1', { role: 'leitura', rolle: 'admin' }, 'body.rolle'],
    ['POST', '/api/v1/users/1/tokens', { name: 'ok', expires: '2030-01-01' }, 'body.expires'],
    ['PATCH', '/api/v1/users/abc', { role: 'leitura' }, 'params.id'],
    ['PATCH', '/api/v1/users/0', { role: 'leitura' }, 'params.id'],
    ['POST', '/api/v1/users/1/tokens', { name: '' }, 'body.name'],
    ['POST', '/api/v1/users/1/tokens', {}, 'body.name'],
    ['DELETE', '/api/v1/tokens/-1', undefined, 'params.id'],
    ['GET', '/api/v1/users?limit=1001', undefined, 'query.limit'],
    ['GET', '/api/v1/users?limit=0', undefined, 'query.limit'],
    ['GET', '/api/v1/users?offset=-1', undefined, 'query.offset'],
    ['GET', '/api/v1/users?limit=ten', undefined, 'query.limit'],
  ];
  for (const [method, url, body, field] of cases) {
    const res = await h.request({
      method: method as 'GET',
      url,
      body,
      auth: admin,
      headers: typeof body === 'string' ? { 'content-type': 'application/json' } : {},
    });
    assert.equal(res.statusCode, 400, `${method} ${url} ${JSON.stringify(body)}: ${res.body}`);
    const e = errorOf(res);
    assert.equal(e.code, 'FRONTEIRA_E_VALIDATION');
    assert.equal(e.details.field, field, `${method} ${url}`);
  }
  const dup = await h.post(
    '/api/v1/users',
    { username: 'test-admin', role: 'leitura', password: 'long-enough-1' },
    admin,
  );
  assert.equal(dup.statusCode, 409);
  assert.equal(errorOf(dup).details.field, 'username');
  for (const [method, url, body] of [
    ['GET', '/api/v1/users/424242', undefined],
    ['PATCH', '/api/v1/users/424242', { role: 'leitura' }],
    ['POST', '/api/v1/users/424242/tokens', { name: 'x' }],
  ] as const) {
    const res = await h.request({ method, url, body, auth: admin });
    assert.equal(res.statusCode, 404, `${method} ${url}`);
    assert.equal(errorOf(res).code, 'FRONTEIRA_E_NOT_FOUND');
  }
});
