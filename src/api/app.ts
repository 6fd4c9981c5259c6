/**
 * The Fastify application: error shape, OpenAPI + Swagger UI at /docs, cookies, CSRF, login rate limiting, auth,
 * /health and /metrics, then every route module of src/api/routes/index.ts under /api/v1. Building the app opens
 * no socket: tests use `app.inject`, `startApiServer` listens.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Engine } from '../collect/engine.ts';
import { type Logger, REDACT_PATHS } from '../logging.ts';
import type { Store } from '../store/pool.ts';
import { installAuth } from './auth/hook.ts';
import { installErrorHandlers } from './errors.ts';
import { createMetrics } from './metrics.ts';
import { routeModules } from './routes/index.ts';
import { systemRoutes } from './routes/system.ts';
import { ErrorResponse } from './schemas.ts';
import { API_VERSION } from './version.ts';
import { webUi } from './web.ts';
import './types.ts';
import { ProfileMemo } from '../profiles/memo.ts';

export interface ApiOptions {
  store: Store;
  /** pino logger (src/logging.ts); false or absent for none. */
  logger?: Logger | false;
  /** The collection engine for "read now" and tasks; without it those routes answer 503 FRONTEIRA_E_UNAVAILABLE. */
  engine?: Engine;
  /** Secure flag of the session cookie (default true; tests over plain HTTP set false). */
  cookieSecure?: boolean;
  /** Login attempts allowed per client IP and username in a window (default 10 per 5 minutes). */
  loginRateLimit?: { max: number; timeWindowMs: number };
  /** Trust X-Forwarded-* from a reverse proxy (client IPs for rate limiting). Default false. */
  trustProxy?: boolean | string;
  /** Memory for the month bodies this process served last (src/profiles/memo.ts), MB; default 256, 0 for none. */
  profileMemoryMb?: number;
}

export interface ApiConfig {
  cookieSecure: boolean;
  loginRateLimit: { max: number; timeWindowMs: number };
}

declare module 'fastify' {
  interface FastifyInstance {
    apiConfig: ApiConfig;
    profileMemo: ProfileMemo | undefined;
  }
}

export const API_PREFIX = '/api/v1';

export const DEFAULT_PROFILE_MEMORY_MB = 256;

/** What the API log never shows: credentials in headers, cookies and bodies. */
export const API_REDACT_PATHS: readonly string[] = [
  ...REDACT_PATHS,
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'body.password',
  'body.token',
  'token',
  'sessionToken',
];

export async function buildApp(opts: ApiOptions): Promise<FastifyInstance> {
  const logger = opts.logger
    ? opts.logger.child({ component: 'api' }, { redact: { paths: [...API_REDACT_PATHS], censor: '[redacted]' } })
    : undefined;
  const trustProxy = opts.trustProxy ?? false;
  // A field the schema does not know is an error (400 naming it), not silently dropped as Fastify's default ajv
  // options would: a client misspelling `comment` must not store an edit without one.
  const ajv = { customOptions: { removeAdditional: false as const } };
  const app: FastifyInstance = logger
    ? Fastify({ loggerInstance: logger as FastifyBaseLogger, trustProxy, ajv })
    : Fastify({ logger: false, trustProxy, ajv });

  installErrorHandlers(app);
  app.decorate('store', opts.store);
  const memoMb = opts.profileMemoryMb ?? DEFAULT_PROFILE_MEMORY_MB;
  const memo = memoMb > 0 ? new ProfileMemo(memoMb * 1024 * 1024) : undefined;
  app.decorate('profileMemo', memo);
  app.decorate('engine', opts.engine ?? null);
  app.decorate('metrics', createMetrics(opts.store, memo));
  app.decorate('apiConfig', {
    cookieSecure: opts.cookieSecure ?? true,
    loginRateLimit: opts.loginRateLimit ?? { max: 10, timeWindowMs: 5 * 60_000 },
  });
  app.addSchema(ErrorResponse);

  await app.register(fastifyCookie);
  // Swagger UI and its static files are public; everything else is authenticated by default.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/'))
      route.config = { ...(route.config ?? {}), public: true };
  });
  await app.register(fastifySwagger, {
    // Shared schemas keep their $id as the component name (ErrorResponse) instead of def-0, def-1…
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Fronteira API',
        version: API_VERSION,
        description:
          'Boundary metering platform. Authenticate with the session cookie from POST /api/v1/auth/login (unsafe ' +
          'methods then need the x-csrf-token header it returns) or with `Authorization: Bearer frt_…` API tokens. ' +
          'Errors: `{ error: { code, message, details } }` with stable FRONTEIRA_E_* codes.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'fronteira_session' },
          bearer: { type: 'http', scheme: 'bearer', description: 'API token frt_…' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyRateLimit, { global: false });
  await installAuth(app);

  app.addHook('onResponse', async (request, reply) => {
    app.metrics.observeRequest(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  await app.register(systemRoutes);
  for (const module of routeModules) await app.register(module, { prefix: API_PREFIX });
  await app.register(webUi);
  return app;
}
