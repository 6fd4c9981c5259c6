/**
 * Roles, strongest first: admin manages users; analista changes data (edits, reads, registry); leitura only reads.
 */
import type { FastifyRequest } from 'fastify';
import { FronteiraError } from '../../domain/errors.ts';
import type { ApiUser, Role } from '../types.ts';

export const ROLES: readonly Role[] = ['admin', 'analista', 'leitura'];

const RANK: Record<Role, number> = { leitura: 1, analista: 2, admin: 3 };

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** Throws 401 without a user, 403 when the user's role is below `need`. */
export function requireRole(user: ApiUser | null, need: Role): ApiUser {
  if (!user) {
    throw new FronteiraError(
      'FRONTEIRA_E_AUTH',
      'authentication required: log in or send Authorization: Bearer <token>',
    );
  }
  if (!roleAtLeast(user.role, need)) {
    throw new FronteiraError('FRONTEIRA_E_FORBIDDEN', `role '${user.role}' may not do this; needs '${need}' or above`, {
      role: user.role,
      required: need,
    });
  }
  return user;
}

/** The authenticated user of a non-public route (the auth hook guarantees one). */
export function userOf(request: FastifyRequest): ApiUser {
  return requireRole(request.user, 'leitura');
}

/** Who to record in audit rows: `user:<username>`. */
export function actorOf(request: FastifyRequest): string {
  return `user:${userOf(request).username}`;
}
