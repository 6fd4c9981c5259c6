/**
 * API test harness: builds the app on a store (a fresh in-memory PGlite unless one is given), creates one user per
 * role with a random password on first use, and logs in or issues tokens for them. `request` sends credentials:
 * a session (`{ cookie, csrf }`, the CSRF header added on unsafe methods unless `csrf: false`) or a bearer token.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type ApiOptions, buildApp } from '../../src/api/app.ts';
import { createUser, issueToken } from '../../src/api/auth/accounts.ts';
import type { Role } from '../../src/api/types.ts';
import type { Store } from '../../src/store/pool.ts';
import { userByName } from '../../src/store/users.ts';
import { openPgliteStore } from './stores.ts';

export interface Session {
  /** `fronteira_session=…`, ready for a Cookie header. */
  cookie: string;
  csrf: string;
  /** The raw Set-Cookie header of the login answer (for flag checks). */
  setCookie: string;
}

export interface TestUser {
  id: number;
  username: string;
  password: string;
  role: Role;
}

/** Session credentials, a bearer token, or none. */
export type Credentials = Session | string | null;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string;
  auth?: Credentials;
  /** JSON body (objects) or raw text. */
  body?: unknown;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Send the session's x-csrf-token on unsafe methods (default true). */
  csrf?: boolean;
}

export interface ApiHarness {
  app: FastifyInstance;
  store: Store;
  close(): Promise<void>;
  /** The test user of this role (created on first use). */
  user(role: Role): Promise<TestUser>;
  login(role: Role): Promise<Session>;
  /** A new API token of the role's test user. */
  token(role: Role): Promise<string>;
  request(opts: RequestOptions): Promise<LightMyRequestResponse>;
  get(url: string, auth?: Credentials): Promise<LightMyRequestResponse>;
  post(url: string, body: unknown, auth?: Credentials): Promise<LightMyRequestResponse>;
  patch(url: string, body: unknown, auth?: Credentials): Promise<LightMyRequestResponse>;
  put(url: string, body: unknown, auth?: Credentials): Promise<LightMyRequestResponse>;
  delete(url: string, auth?: Credentials): Promise<LightMyRequestResponse>;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function cookieOf(setCookie: string | string[] | undefined, name = 'fronteira_session'): string {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const line = all.find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie in ${JSON.stringify(all)}`);
  return line.split(';')[0];
}

const usersByStore = new WeakMap<Store, Map<Role, Promise<TestUser>>>();

export async function openApi(store?: Store, opts: Partial<Omit<ApiOptions, 'store'>> = {}): Promise<ApiHarness> {
  const own = store === undefined;
  const s = store ?? (await openPgliteStore());
  const app = await buildApp({
    cookieSecure: false,
    loginRateLimit: { max: 1000, timeWindowMs: 60_000 },
    ...opts,
    store: s,
  });
  await app.ready();
  // Shared by every harness on this store, so two apps on one database log in the same test users.
  const users = usersByStore.get(s) ?? new Map<Role, Promise<TestUser>>();
  usersByStore.set(s, users);

  const user = (role: Role): Promise<TestUser> => {
    let u = users.get(role);
    if (!u) {
      u = (async () => {
        const username = `test-${role}`;
        const password = randomBytes(12).toString('base64url');
        const existing = await userByName(s.db, username);
        if (existing) throw new Error(`test user ${username} already exists in this store`);
        const row = await createUser({ db: s.db, actor: 'test' }, { username, role, password });
        return { id: row.id, username, password, role };
      })();
      users.set(role, u);
    }
    return u;
  };

  const request = (o: RequestOptions): Promise<LightMyRequestResponse> => {
    const method = o.method ?? 'GET';
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (typeof o.auth === 'string') headers.authorization = `Bearer ${o.auth}`;
    else if (o.auth) {
      headers.cookie = o.auth.cookie;
      if (UNSAFE.has(method) && o.csrf !== false) headers['x-csrf-token'] = o.auth.csrf;
    }
    const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    if (payload !== undefined && typeof o.body !== 'string' && headers['content-type'] === undefined) {
      headers['content-type'] = 'application/json';
    }
    return app.inject({ method, url: o.url, headers, query: o.query, payload });
  };

  const login = async (role: Role): Promise<Session> => {
    const u = await user(role);
    const res = await request({
      method: 'POST',
      url: '/api/v1/auth/login',
      body: { username: u.username, password: u.password },
    });
    if (res.statusCode !== 200) throw new Error(`login as ${role} failed: ${res.statusCode} ${res.body}`);
    const setCookie = res.headers['set-cookie'];
    const line = (Array.isArray(setCookie) ? setCookie : [String(setCookie)]).find((c) =>
      c.startsWith('fronteira_session='),
    )!;
    return { cookie: cookieOf(setCookie), csrf: res.json().csrfToken, setCookie: line };
  };

  const token = async (role: Role): Promise<string> => {
    const u = await user(role);
    return (await issueToken({ db: s.db, actor: 'test' }, u.id, `test ${role}`)).token;
  };

  return {
    app,
    store: s,
    async close() {
      await app.close();
      if (own) await s.close();
    },
    user,
    login,
    token,
    request,
    get: (url, auth) => request({ method: 'GET', url, auth }),
    post: (url, body, auth) => request({ method: 'POST', url, body, auth }),
    patch: (url, body, auth) => request({ method: 'PATCH', url, body, auth }),
    put: (url, body, auth) => request({ method: 'PUT', url, body, auth }),
    delete: (url, auth) => request({ method: 'DELETE', url, auth }),
  };
}
