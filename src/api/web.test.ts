/** Serving the web UI: the built files at `/` (public, cache headers), or a hint to build when there is no build. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { webBuilt, webUi } from './web.ts';

const dir = mkdtempSync(join(tmpdir(), 'fronteira-web-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('without a build, / says how to make one', async () => {
  const empty = join(dir, 'empty/');
  mkdirSync(empty);
  assert.equal(webBuilt(empty), false);
  const app = Fastify();
  await app.register(webUi, { dist: empty });
  const res = await app.inject({ url: '/' });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/plain/);
  assert.match(res.body, /npm run build:web/);
  await app.close();
});

test('with a build, index.html at / and the assets, each route public; unknown paths are 404', async () => {
  const dist = join(dir, 'dist/');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(dist, 'assets/index-abc.js'), 'console.log(1)');
  assert.equal(webBuilt(dist), true);
  const app = Fastify();
  const publicRoutes: string[] = [];
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true) publicRoutes.push(request.url);
  });
  await app.register(webUi, { dist });
  const index = await app.inject({ url: '/' });
  assert.equal(index.statusCode, 200);
  assert.match(index.body, /<div id="app">/);
  assert.equal(index.headers['cache-control'], 'no-cache');
  const js = await app.inject({ url: '/assets/index-abc.js' });
  assert.equal(js.statusCode, 200);
  assert.match(js.headers['cache-control'] as string, /immutable/);
  assert.equal((await app.inject({ url: '/nada.js' })).statusCode, 404);
  assert.deepEqual(publicRoutes, ['/', '/assets/index-abc.js']);
  await app.close();
});
