/**
 * Operations and documentation: /health, /metrics, the OpenAPI document and Swagger UI, credentials kept out of
 * logs, and the API over a real socket (startApiServer on port 0 + fetch). PGlite only.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildApp } from '../src/api/app.ts';
import { startApiServer } from '../src/api/server.ts';
import { createLogger } from '../src/logging.ts';
import { type ApiHarness, openApi } from './helpers/api.ts';
import { openPgliteStore } from './helpers/stores.ts';

let h: ApiHarness;
before(async () => {
  h = await openApi();
});
after(() => h?.close());

test('/health is public and reports the store; 503 with store down when the database is gone', async () => {
  const res = await h.get('/health');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'ok', store: 'ok', version: '0.1.0' });

  const gone = await openPgliteStore();
  const app = await buildApp({ store: gone });
  try {
    await gone.close();
    const down = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().store, 'down');
  } finally {
    await app.close();
  }
});

test('/metrics needs credentials and returns Prometheus text with HTTP durations and Fronteira gauges', async () => {
  assert.equal((await h.get('/metrics')).statusCode, 401);
  await h.get('/health');
  const res = await h.get('/metrics', await h.token('leitura'));
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const text = res.body;
  assert.match(text, /^# TYPE fronteira_http_request_duration_seconds histogram$/m);
  assert.match(
    text,
    /^fronteira_http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} [1-9]/m,
  );
  for (const g of [
    'fronteira_open_gaps',
    'fronteira_vee_dirty_point_days',
    'fronteira_tasks_pending',
    'fronteira_failing_meters',
  ]) {
    assert.match(text, new RegExp(`^${g} 0$`, 'm'), g);
  }
  assert.match(text, /^process_cpu_user_seconds_total /m);
  // A session works too.
  assert.equal((await h.get('/metrics', await h.login('leitura'))).statusCode, 200);
});

test('/docs/json is an OpenAPI 3 document listing the routes with their schemas; /docs is public', async () => {
  const res = await h.get('/docs/json');
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.match(doc.openapi, /^3\.\d+\.\d+$/);
  assert.equal(doc.info.title, 'Fronteira API');
  assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearer', 'session']);
  const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
    Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
  );
  for (const op of [
    'GET /health',
    'GET /metrics',
    'POST /api/v1/auth/login',
    'POST /api/v1/auth/logout',
    'GET /api/v1/auth/me',
    'GET /api/v1/users',
    'POST /api/v1/users',
    'PATCH /api/v1/users/{id}',
    'POST /api/v1/users/{id}/tokens',
    'DELETE /api/v1/tokens/{id}',
  ]) {
    assert.ok(ops.includes(op), `${op} missing from ${ops.join(', ')}`);
  }
  assert.equal(
    ops.some((o) => o.includes('/docs')),
    false,
  );
  // Every operation has responses and tags; public ones say they need no security.
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>)) {
    for (const [method, op] of Object.entries(methods)) {
      assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${path} has no responses`);
      assert.ok(Array.isArray(op.tags) && op.tags.length > 0, `${method} ${path} has no tags`);
    }
  }
  assert.deepEqual(doc.paths['/health'].get.security, []);
  assert.deepEqual(doc.paths['/api/v1/auth/login'].post.security, []);
  const login = doc.paths['/api/v1/auth/login'].post;
  assert.deepEqual(login.requestBody.content['application/json'].schema.required.sort(), ['password', 'username']);
  assert.ok(doc.components.schemas.ErrorResponse, 'the shared error schema is a named component');
  // Every $ref points at something in the document.
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]);
  assert.ok(refs.length > 0);
  for (const ref of refs) {
    const target = ref.split('/').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
    assert.ok(target, `dangling $ref #/${ref}`);
  }

  const ui = await h.get('/docs');
  assert.equal(ui.statusCode, 200);
  assert.match(ui.body, /swagger/i);
});

test('credentials never reach the log: bearer tokens, cookies, passwords', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const logged = await openApi(h.store, {
    logger: createLogger('test', { level: 'trace', destination: sink, pretty: false }),
  });
  try {
    const u = await h.user('admin');
    const s = await logged.login('admin');
    const t = await h.token('admin');
    await logged.get('/api/v1/auth/me', t);
    await logged.get('/api/v1/auth/me', s);
    await logged.post('/api/v1/auth/login', { username: u.username, password: 'wrong-password-x' });
    // Log something with the request so the redaction paths are exercised even if Fastify's serializers change.
    logged.app.log.info(
      { req: { headers: { authorization: `Bearer ${t}`, cookie: s.cookie } }, body: { password: u.password } },
      'probe',
    );
    const all = lines.join('');
    assert.ok(lines.length > 3, 'expected request logs');
    assert.match(all, /"probe"/);
    for (const secret of [t, u.password, s.cookie.split('=')[1], 'wrong-password-x']) {
      assert.equal(all.includes(secret), false, `secret ${secret.slice(0, 6)}… in the log`);
    }
    assert.match(all, /\[redacted\]/);
  } finally {
    await logged.app.close();
  }
});

test('over real HTTP: listen on port 0, log in with fetch, use the cookie and CSRF token, log out', async () => {
  const server = await startApiServer(h.store, { port: 0, logger: false });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');

    const u = await h.user('admin');
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: u.username, password: u.password }),
    });
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.doesNotMatch(setCookie, /Secure/); // loopback: plain http://localhost must work in a browser
    const cookie = setCookie.split(';')[0];
    const { csrfToken } = (await login.json()) as { csrfToken: string };

    const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { cookie } });
    assert.equal(me.status, 200);
    const noCsrf = await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } });
    assert.equal(noCsrf.status, 403);
    const out = await fetch(`${server.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    assert.equal(out.status, 204);
    assert.equal((await fetch(`${server.url}/api/v1/auth/me`, { headers: { cookie } })).status, 401);

    const missing = await fetch(`${server.url}/nowhere`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'FRONTEIRA_E_NOT_FOUND');
  } finally {
    await server.close();
  }
});

test('startApiServer on a port in use fails with FRONTEIRA_E_UNAVAILABLE naming the address', async () => {
  const first = await startApiServer(h.store, { port: 0, logger: false });
  try {
    const port = Number(new URL(first.url).port);
    await assert.rejects(startApiServer(h.store, { port, logger: false }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'FRONTEIRA_E_UNAVAILABLE');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
  } finally {
    await first.close();
  }
});
