/**
 * Login, sessions, CSRF, API tokens and role checks through `app.inject`. Route tests run on PGlite only (the SQL
 * they touch is covered on both backends by src/store/users.test.ts), to keep CI time down.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/api/app.ts';
import { type ApiHarness, cookieOf, openApi } from './helpers/api.ts';

let h: ApiHarness;
before(async () => {
  h = await openApi();
});
after(() => h?.close());

function errorOf(res: { json(): unknown }): { code: string; message: string; details: Record<string, unknown> } {
  return (res.json() as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
}

describe('login', () => {
  test('right password: 200 with the user and a CSRF token, httpOnly SameSite=Lax session cookie', async () => {
    const u = await h.user('analista');
    const res = await h.post('/api/v1/auth/login', { username: u.username, password: u.password });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.username, u.username);
    assert.equal(body.role, 'analista');
    assert.equal(body.via, 'session');
    assert.ok(typeof body.csrfToken === 'string' && body.csrfToken.length > 20);
    const line = String(res.headers['set-cookie']);
    assert.match(line, /^fronteira_session=[A-Za-z0-9_-]{43};/);
    assert.match(line, /; HttpOnly/);
    assert.match(line, /; SameSite=Lax/);
    assert.match(line, /; Path=\//);
    assert.doesNotMatch(line, /; Secure/); // the harness builds the app with cookieSecure: false (plain HTTP)
    assert.equal(JSON.stringify(body).includes(u.password), false);
  });

  test('the cookie is Secure unless the app is told otherwise', async () => {
    const app = await buildApp({ store: h.store });
    try {
      const u = await h.user('leitura');
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: u.username, password: u.password },
      });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['set-cookie']), /; Secure/);
    } finally {
      await app.close();
    }
  });

  test('wrong password, unknown user and malformed username all give the same 401 FRONTEIRA_E_AUTH', async () => {
    const u = await h.user('analista');
    for (const body of [
      { username: u.username, password: 'not-the-password' },
      { username: 'nobody-here', password: 'whatever123' },
      { username: 'Bad Name!', password: 'whatever123' },
    ]) {
      const res = await h.post('/api/v1/auth/login', body);
      assert.equal(res.statusCode, 401, JSON.stringify(body));
      assert.equal(errorOf(res).code, 'FRONTEIRA_E_AUTH');
      assert.equal(errorOf(res).message, 'wrong username or password');
      assert.equal(res.headers['set-cookie'], undefined);
    }
  });

  test('malformed login bodies are 400 naming the field, never 500', async () => {
    const cases: [unknown, string][] = [
      [{ password: 'x' }, 'body.username'],
      [{ username: 'a' }, 'body.password'],
      [{ username: { a: 1 }, password: 'xxxxxxxxxxxx' }, 'body.username'],
      [{ username: 'a', password: '' }, 'body.password'],
      [[], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await h.post('/api/v1/auth/login', body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      const e = errorOf(res);
      assert.equal(e.code, 'FRONTEIRA_E_VALIDATION');
      assert.equal(e.details.field, field, JSON.stringify(body));
      assert.ok(e.message.startsWith(`${field}`), e.message);
    }
    const broken = await h.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      body: '{"username": "a", ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(broken.statusCode, 400);
    assert.equal(errorOf(broken).code, 'FRONTEIRA_E_VALIDATION');
    const text = await h.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      body: 'user=a',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.statusCode, 400);
    assert.equal(errorOf(text).details.field, 'body');
    const form = await h.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      body: 'user=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.statusCode, 415);
    assert.equal(errorOf(form).code, 'FRONTEIRA_E_VALIDATION');
    const huge = await h.post('/api/v1/auth/login', { username: 'a', password: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(huge.statusCode, 413);
    assert.equal(errorOf(huge).code, 'FRONTEIRA_E_VALIDATION');
    assert.equal(errorOf(huge).details.field, 'body');
  });

  test('a disabled user cannot log in', async () => {
    const admin = await h.login('admin');
    const created = await h.post(
      '/api/v1/users',
      { username: 'gone', role: 'leitura', password: 'gone-password-1' },
      admin,
    );
    assert.equal(created.statusCode, 201);
    assert.equal(
      (await h.post('/api/v1/auth/login', { username: 'gone', password: 'gone-password-1' })).statusCode,
      200,
    );
    await h.patch(`/api/v1/users/${created.json().id}`, { disabled: true }, admin);
    const res = await h.post('/api/v1/auth/login', { username: 'gone', password: 'gone-password-1' });
    assert.equal(res.statusCode, 401);
  });
});

describe('rate limiting', () => {
  test('after max attempts per IP and username, login answers 429 FRONTEIRA_E_RATE_LIMITED, even with the right password', async () => {
    const limited = await openApi(h.store, { loginRateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      const u = await h.user('leitura');
      for (let i = 0; i < 3; i++) {
        const r = await limited.post('/api/v1/auth/login', { username: u.username, password: 'wrong-password' });
        assert.equal(r.statusCode, 401);
      }
      const blocked = await limited.post('/api/v1/auth/login', { username: u.username, password: u.password });
      assert.equal(blocked.statusCode, 429);
      assert.equal(errorOf(blocked).code, 'FRONTEIRA_E_RATE_LIMITED');
      assert.match(errorOf(blocked).message, /too many login attempts/);
      // Another username from the same client is counted apart.
      const other = await h.user('analista');
      const ok = await limited.post('/api/v1/auth/login', { username: other.username, password: other.password });
      assert.equal(ok.statusCode, 200);
    } finally {
      await limited.app.close();
    }
  });
});

describe('sessions and CSRF', () => {
  test('me with the cookie; logout ends the session server-side even if the cookie is replayed', async () => {
    const s = await h.login('leitura');
    const me = await h.get('/api/v1/auth/me', s);
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().role, 'leitura');
    assert.equal(typeof me.json().csrfToken, 'string');
    // The CSRF token from /me works too (a reloaded page gets a new one).
    const out = await h.request({
      method: 'POST',
      url: '/api/v1/auth/logout',
      auth: { ...s, csrf: me.json().csrfToken },
    });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /^fronteira_session=;/);
    const replay = await h.get('/api/v1/auth/me', s);
    assert.equal(replay.statusCode, 401);
    assert.equal(errorOf(replay).code, 'FRONTEIRA_E_AUTH');
  });

  test('cookie-authenticated POST/PATCH/DELETE need x-csrf-token of that session', async () => {
    const admin = await h.login('admin');
    const other = await h.login('analista');
    const body = { username: 'csrf-victim', role: 'leitura', password: 'csrf-password-1' };
    const none = await h.request({ method: 'POST', url: '/api/v1/users', body, auth: admin, csrf: false });
    assert.equal(none.statusCode, 403);
    assert.equal(errorOf(none).code, 'FRONTEIRA_E_FORBIDDEN');
    assert.match(errorOf(none).message, /x-csrf-token/);
    const wrong = await h.request({ method: 'POST', url: '/api/v1/users', body, auth: { ...admin, csrf: other.csrf } });
    assert.equal(wrong.statusCode, 403);
    const garbage = await h.request({ method: 'POST', url: '/api/v1/users', body, auth: { ...admin, csrf: 'x' } });
    assert.equal(garbage.statusCode, 403);
    assert.equal(
      await h.store.db.selectFrom('app_user').select('id').where('username', '=', 'csrf-victim').executeTakeFirst(),
      undefined,
    );
    const right = await h.post('/api/v1/users', body, admin);
    assert.equal(right.statusCode, 201);
    // Safe methods need none.
    assert.equal((await h.request({ method: 'GET', url: '/api/v1/users', auth: admin, csrf: false })).statusCode, 200);
  });

  test('bearer-token requests need no CSRF token', async () => {
    const t = await h.token('admin');
    const res = await h.post(
      '/api/v1/users',
      { username: 'via-token', role: 'leitura', password: 'token-password-1' },
      t,
    );
    assert.equal(res.statusCode, 201);
  });

  test('a garbage or unknown session cookie is 401 on protected routes but does not block login', async () => {
    for (const cookie of [
      'fronteira_session=nope',
      `fronteira_session=${'A'.repeat(43)}`,
      `fronteira_session=${'x'.repeat(5000)}`,
    ]) {
      const res = await h.request({ url: '/api/v1/auth/me', headers: { cookie } });
      assert.equal(res.statusCode, 401, cookie.slice(0, 40));
    }
    const u = await h.user('leitura');
    const res = await h.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      body: { username: u.username, password: u.password },
      headers: { cookie: 'fronteira_session=stale' },
    });
    assert.equal(res.statusCode, 200);
    assert.notEqual(cookieOf(res.headers['set-cookie']), 'fronteira_session=stale');
  });
});

describe('roles', () => {
  test('no credentials: 401; malformed or unknown bearer: 401', async () => {
    for (const url of ['/api/v1/users', '/api/v1/auth/me', '/metrics']) {
      const res = await h.get(url);
      assert.equal(res.statusCode, 401, url);
      assert.equal(errorOf(res).code, 'FRONTEIRA_E_AUTH');
    }
    for (const authorization of ['Bearer', 'Bearer frt_short', `Bearer frt_${'a'.repeat(43)}`, 'Basic YTpi', 'frt_x']) {
      const res = await h.request({ url: '/api/v1/auth/me', headers: { authorization } });
      assert.equal(res.statusCode, 401, authorization);
    }
  });

  test('leitura and analista are 403 FRONTEIRA_E_FORBIDDEN on admin routes, by session and by token', async () => {
    for (const role of ['leitura', 'analista'] as const) {
      const s = await h.login(role);
      const t = await h.token(role);
      for (const auth of [s, t]) {
        const list = await h.get('/api/v1/users', auth);
        assert.equal(list.statusCode, 403, role);
        const e = errorOf(list);
        assert.equal(e.code, 'FRONTEIRA_E_FORBIDDEN');
        assert.deepEqual(e.details, { role, required: 'admin' });
        const create = await h.post(
          '/api/v1/users',
          { username: 'nope', role: 'admin', password: 'escalate-123' },
          auth,
        );
        assert.equal(create.statusCode, 403);
        const patch = await h.patch(`/api/v1/users/${(await h.user(role)).id}`, { role: 'admin' }, auth);
        assert.equal(patch.statusCode, 403);
      }
      assert.equal((await h.get('/api/v1/auth/me', s)).statusCode, 200);
    }
    assert.equal((await h.user('leitura')).role, 'leitura');
    const row = await h.store.db
      .selectFrom('app_user')
      .select('role')
      .where('username', '=', 'test-leitura')
      .executeTakeFirstOrThrow();
    assert.equal(row.role, 'leitura');
  });

  test('a role check runs before body validation: an unauthenticated malformed body is 401, not 400', async () => {
    const res = await h.request({
      method: 'POST',
      url: '/api/v1/users',
      body: '{bad',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.statusCode, 401);
  });
});

describe('unknown routes', () => {
  test('404 JSON with FRONTEIRA_E_NOT_FOUND, with or without credentials', async () => {
    const s = await h.login('leitura');
    for (const auth of [null, s]) {
      const res = await h.get('/api/v1/no-such-thing?x=1', auth);
      assert.equal(res.statusCode, 404);
      assert.match(String(res.headers['content-type']), /application\/json/);
      assert.deepEqual(errorOf(res), {
        code: 'FRONTEIRA_E_NOT_FOUND',
        message: 'no route GET /api/v1/no-such-thing',
        details: { method: 'GET' },
      });
    }
  });
});
