/**
 * What the API adds to Fastify's types: route config (`public`, `role`), the authenticated user on each request,
 * and the store/engine every route module reaches through `app.store` / `app.engine`.
 */
import type { Engine } from '../collect/engine.ts';
import type { Store } from '../store/pool.ts';
import type { Role } from '../store/users.ts';
import type { ApiMetrics } from './metrics.ts';

export type { Role } from '../store/users.ts';

export interface ApiUser {
  id: number;
  username: string;
  role: Role;
  via: 'session' | 'token';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No credentials needed (only /health, /docs*, login). */
    public?: boolean;
    /** Least role allowed; default 'leitura'. */
    role?: Role;
  }
  interface FastifyRequest {
    /** Set by the auth hook; null only on public routes called without credentials. */
    user: ApiUser | null;
    /** The session's CSRF secret, in the shape @fastify/csrf-protection reads (`sessionPlugin: '@fastify/session'`). */
    session: { _csrf?: string } | null;
  }
  interface FastifyInstance {
    store: Store;
    /** The collection engine, when this process runs one ("read now", tasks); see requireEngine. */
    engine: Engine | null;
    metrics: ApiMetrics;
  }
}
