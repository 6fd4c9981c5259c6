/**
 * The browser UI (web/, built by `npm run build:web` into web/dist) served by the API at `/`. The files are public —
 * the page itself holds no data; every API call it makes needs the session. The UI routes with the URL hash, so
 * `/` (index.html) and the built assets are all there is to serve. Without a build, `/` says how to make one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export function webBuilt(dist: string = WEB_DIST): boolean {
  return existsSync(`${dist}index.html`);
}

const NOT_BUILT =
  'Fronteira: the web UI is not built. Run `npm run build:web` and restart; the REST API is at /api/v1 and /docs.\n';

/** Registers the UI (or the hint when web/dist is missing); routes it adds are public. */
export const webUi: FastifyPluginAsync<{ dist?: string }> = async (app: FastifyInstance, opts) => {
  const dist = opts.dist ?? WEB_DIST;
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), public: true };
  });
  if (!webBuilt(dist)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send(NOT_BUILT),
    );
    return;
  }
  // wildcard: false registers one route per built file, so unknown paths stay the API's JSON 404.
  await app.register(fastifyStatic, {
    root: dist,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    schemaHide: true,
    cacheControl: false,
    setHeaders: (res, path) => {
      // Hashed asset names can be cached for good; index.html must be fetched again to see a new build.
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
};
