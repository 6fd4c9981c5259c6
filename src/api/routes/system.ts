/**
 * Operations: /health (public; is the store reachable) and /metrics (Prometheus text; any authenticated user or
 * API token — scrapers use a 'leitura' token).
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { API_VERSION } from '../version.ts';

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  store: Type.Union([Type.Literal('ok'), Type.Literal('down')]),
  version: Type.String(),
});

export const systemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary: 'Liveness and store reachability',
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      let store: 'ok' | 'down' = 'ok';
      try {
        await app.store.pool.query('SELECT 1');
      } catch {
        store = 'down';
      }
      return reply
        .status(store === 'ok' ? 200 : 503)
        .send({ status: store === 'ok' ? 'ok' : 'degraded', store, version: API_VERSION });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics (role leitura or an API token)',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format' }) },
      },
    },
    async (_request, reply) => {
      const text = await app.metrics.registry.metrics();
      return reply.type(app.metrics.registry.contentType).send(text);
    },
  );
};
