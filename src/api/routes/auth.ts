/**
 * Browser login: POST /auth/login sets the httpOnly session cookie and returns the CSRF token that unsafe requests
 * must echo in `x-csrf-token`; GET /auth/me says who is logged in (and hands out a fresh CSRF token); POST
 * /auth/logout ends the session. Login is rate limited per client IP and username.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { FronteiraError } from '../../domain/errors.ts';
import { userById } from '../../store/users.ts';
import { login, logout, userView } from '../auth/accounts.ts';
import { SESSION_COOKIE } from '../auth/hook.ts';
import { userOf } from '../auth/roles.ts';
import { errorResponses, RoleSchema } from '../schemas.ts';

export const Me = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  displayName: Type.Union([Type.String(), Type.Null()]),
  role: RoleSchema,
  via: Type.Union([Type.Literal('session'), Type.Literal('token')]),
  csrfToken: Type.Union([Type.String(), Type.Null()], {
    description: 'Send as x-csrf-token on POST/PUT/PATCH/DELETE with the session cookie; null for API tokens',
  }),
});

const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});

function loginKey(request: FastifyRequest): string {
  const body = request.body as { username?: unknown } | undefined;
  const username = typeof body?.username === 'string' ? body.username.toLowerCase() : '';
  return `${request.ip}|${username}`;
}

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const limit = app.apiConfig.loginRateLimit;

  app.post(
    '/auth/login',
    {
      config: {
        public: true,
        rateLimit: {
          max: limit.max,
          timeWindow: limit.timeWindowMs,
          // After validation, so the key has the username; the count includes successful logins.
          hook: 'preHandler',
          keyGenerator: loginKey,
          errorResponseBuilder: (_req, ctx) =>
            new FronteiraError(
              'FRONTEIRA_E_RATE_LIMITED',
              `too many login attempts; try again in ${Math.ceil(ctx.ttl / 1000)} s`,
              { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) },
            ),
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Log in; sets the session cookie and returns the CSRF token',
        security: [],
        body: LoginBody,
        response: { 200: Me, ...errorResponses, 429: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const s = await login({ db: app.store.db }, username, password);
      reply.setCookie(SESSION_COOKIE, s.sessionToken, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: app.apiConfig.cookieSecure,
        // No Expires: a browser-session cookie; the server ends idle sessions (SESSION_TTL_MS after last use).
      });
      request.session = { _csrf: s.csrfSecret };
      const v = userView(s.user);
      return {
        id: v.id,
        username: v.username,
        displayName: v.displayName,
        role: v.role,
        via: 'session' as const,
        csrfToken: reply.generateCsrf(),
      };
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End the session (clears the cookie)',
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (request.user?.via === 'session' && cookie) await logout(app.store.db, cookie);
      reply.clearCookie(SESSION_COOKIE, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: app.apiConfig.cookieSecure,
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The caller, with a CSRF token for session users',
        response: { 200: Me, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = userOf(request);
      const row = await userById(app.store.db, user.id);
      return {
        id: user.id,
        username: user.username,
        displayName: row?.display_name ?? null,
        role: user.role,
        via: user.via,
        csrfToken: user.via === 'session' ? reply.generateCsrf() : null,
      };
    },
  );
};

export default plugin;
