/**
 * Who is calling: a bearer API token (`Authorization: Bearer frt_…`, integrations) or the session cookie (browser).
 * Every route needs at least 'leitura' unless its config says `public: true`; a route raises the bar with
 * `config: { role: 'analista' | 'admin' }`. Cookie-authenticated unsafe methods must also carry the session's CSRF
 * token in `x-csrf-token` (checked by @fastify/csrf-protection against the secret kept in the session row); bearer
 * requests cannot be forged by a browser, so they need none.
 */
import fastifyCsrfProtection from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FronteiraError } from '../../domain/errors.ts';
import type { AuthRow } from '../../store/users.ts';
import type { ApiUser } from '../types.ts';
import { authenticateSession, authenticateToken } from './accounts.ts';
import { requireRole } from './roles.ts';

export const SESSION_COOKIE = 'fronteira_session';
export const CSRF_HEADER = 'x-csrf-token';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function bearerOf(request: FastifyRequest): string | null | undefined {
  const h = request.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : null;
}

function asUser(r: AuthRow, via: ApiUser['via']): ApiUser {
  return { id: r.userId, username: r.username, role: r.role, via };
}

/** Resolves the caller; throws 401 for credentials that are present but not valid. */
async function identify(app: FastifyInstance, request: FastifyRequest): Promise<ApiUser | null> {
  const bearer = bearerOf(request);
  if (bearer !== undefined) {
    const r = bearer === null ? undefined : await authenticateToken({ db: app.store.db, pool: app.store.pool }, bearer);
    if (!r) {
      throw new FronteiraError('FRONTEIRA_E_AUTH', 'Authorization header: not a valid, unrevoked API token', {
        field: 'headers.authorization',
      });
    }
    return asUser(r, 'token');
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (cookie === undefined || cookie === '') return null;
  const r = await authenticateSession({ db: app.store.db }, cookie);
  if (!r) {
    throw new FronteiraError('FRONTEIRA_E_AUTH', 'session expired or logged out; log in again', {
      field: `cookies.${SESSION_COOKIE}`,
    });
  }
  request.session = { _csrf: r.csrfSecret };
  return asUser(r, 'session');
}

export async function installAuth(app: FastifyInstance): Promise<void> {
  app.decorateRequest('user', null);
  app.decorateRequest('session', null);
  await app.register(fastifyCsrfProtection, {
    sessionPlugin: '@fastify/session',
    getToken: (req) => {
      const v = req.headers[CSRF_HEADER];
      return typeof v === 'string' ? v : undefined;
    },
  });

  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const config = request.routeOptions.config;
    if (config.public === true) {
      // Public routes work without credentials, and bad credentials do not block them (login after expiry).
      request.user = await identify(app, request).catch(() => null);
      return;
    }
    request.user = requireRole(await identify(app, request), config.role ?? 'leitura');
  });

  app.addHook('onRequest', (request, reply, done) => {
    if (request.user?.via === 'session' && UNSAFE.has(request.method) && request.routeOptions.config.public !== true) {
      app.csrfProtection(request, reply, done);
      return;
    }
    done();
  });
}
