/**
 * The account service: users, sessions and API tokens with their rules (username shape, password policy, role) and
 * an audit row for every change, written in the same transaction as the change. Used by the API routes and the
 * `fronteira user` command.
 */
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { FronteiraError } from '../../domain/errors.ts';
import { audit } from '../../store/audit.ts';
import type { Db } from '../../store/registry.ts';
import type { Schema } from '../../store/schema.ts';
import {
  type AuthRow,
  deleteExpiredSessions,
  deleteSession,
  deleteUserSessions,
  insertSession,
  insertToken,
  insertUser,
  type Role,
  revokeTokenRow,
  sessionUser,
  type TokenRow,
  tokenById,
  tokenUser,
  touchLogin,
  touchSession,
  touchToken,
  type UserRow,
  updateUserRow,
  userById,
  userByName,
} from '../../store/users.ts';
import { checkPassword, dummyHash, hashPassword, verifyPassword } from './passwords.ts';
import { isRole } from './roles.ts';
import { looksLikeApiToken, newApiToken, newCsrfSecret, newSessionToken, sha256 } from './tokens.ts';

export const SESSION_TTL_MS = 12 * 3600_000;

/** A user as the API shows it: no hash. */
export interface UserView {
  id: number;
  username: string;
  displayName: string | null;
  role: Role;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface TokenView {
  id: number;
  name: string;
  userId: number;
  createdAt: string;
  lastUsedAt: string | null;
  revoked: boolean;
}

export function userView(u: UserRow): UserView {
  return {
    id: u.id,
    username: u.username,
    displayName: u.display_name,
    role: u.role,
    disabled: u.disabled_at !== null,
    createdAt: u.created_at.toISOString(),
    lastLoginAt: u.last_login_at ? u.last_login_at.toISOString() : null,
  };
}

export function tokenView(t: TokenRow): TokenView {
  return {
    id: t.id,
    name: t.name,
    userId: t.user_id,
    createdAt: t.created_at.toISOString(),
    lastUsedAt: t.last_used_at ? t.last_used_at.toISOString() : null,
    revoked: t.revoked_at !== null,
  };
}

export interface AccountContext {
  db: Db;
  /** `user:<name>` from the API, `cli:<os user>` from the command line. */
  actor: string;
  now?: () => Date;
}

function nowOf(ctx: { now?: () => Date }): Date {
  return ctx.now ? ctx.now() : new Date();
}

function invalid(field: string, reason: string, value?: unknown): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${reason}`, { field, reason, value });
}

async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return (db as Kysely<Schema>).transaction().execute(fn);
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export function checkUsername(username: string, field = 'username'): void {
  if (!USERNAME.test(username)) {
    throw invalid(
      field,
      'must be 2 to 64 characters: lower-case letters, digits, dot, underscore or hyphen, starting with a letter or digit',
      username,
    );
  }
}

function checkRole(role: unknown, field = 'role'): asserts role is Role {
  if (!isRole(role)) throw invalid(field, "must be 'admin', 'analista' or 'leitura'", role);
}

function checkDisplayName(name: string | null | undefined, field = 'displayName'): void {
  if (name !== null && name !== undefined && name.length > 200)
    throw invalid(field, 'must have at most 200 characters');
}

function auditUser(u: UserRow) {
  // What the audit row keeps of a user: never the hash.
  const { password_hash: _hash, ...rest } = u;
  return rest;
}

function notFoundUser(key: string | number): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_NOT_FOUND', `user ${key} does not exist`, { entity: 'user', key });
}

export async function requireUser(db: Db, key: number | string): Promise<UserRow> {
  const u = typeof key === 'number' ? await userById(db, key) : await userByName(db, key);
  if (!u) throw notFoundUser(key);
  return u;
}

export interface CreateUserInput {
  username: string;
  role: Role;
  password: string;
  displayName?: string | null;
}

export async function createUser(ctx: AccountContext, input: CreateUserInput): Promise<UserRow> {
  checkUsername(input.username);
  checkRole(input.role);
  checkDisplayName(input.displayName);
  checkPassword(input.password);
  const passwordHash = await hashPassword(input.password);
  return inTransaction(ctx.db, async (db) => {
    if (await userByName(db, input.username)) {
      throw new FronteiraError('FRONTEIRA_E_CONFLICT', `username: '${input.username}' is already taken`, {
        field: 'username',
        value: input.username,
      });
    }
    const u = await insertUser(db, {
      username: input.username,
      role: input.role,
      displayName: input.displayName ?? null,
      passwordHash,
    });
    await audit(db, { actor: ctx.actor, action: 'create', entity: 'user', entityId: u.id, after: auditUser(u) });
    return u;
  });
}

export interface UpdateUserInput {
  role?: Role;
  displayName?: string | null;
  password?: string;
  disabled?: boolean;
}

/** Changing the password or disabling a user also ends their sessions. */
export async function updateUser(ctx: AccountContext, id: number, input: UpdateUserInput): Promise<UserRow> {
  if (input.role !== undefined) checkRole(input.role);
  checkDisplayName(input.displayName);
  if (input.password !== undefined) checkPassword(input.password);
  const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
  return inTransaction(ctx.db, async (db) => {
    const before = await requireUser(db, id);
    if (before.role === 'admin' && (input.disabled === true || (input.role !== undefined && input.role !== 'admin'))) {
      await keepOneAdmin(db, id);
    }
    const disabledAt =
      input.disabled === undefined ? undefined : input.disabled ? (before.disabled_at ?? nowOf(ctx)) : null;
    const after = (await updateUserRow(db, id, {
      role: input.role,
      displayName: input.displayName,
      passwordHash,
      disabledAt,
    }))!;
    if (passwordHash !== undefined || input.disabled === true) await deleteUserSessions(db, id);
    const action = passwordHash !== undefined ? 'update_password' : input.disabled === true ? 'disable' : 'update';
    await audit(db, {
      actor: ctx.actor,
      action,
      entity: 'user',
      entityId: id,
      before: auditUser(before),
      after: { ...auditUser(after), ...(passwordHash !== undefined ? { passwordChanged: true } : {}) },
    });
    return after;
  });
}

/** Refuses to leave the platform without an enabled admin. */
async function keepOneAdmin(db: Db, exceptId: number): Promise<void> {
  const others = await db
    .selectFrom('app_user')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .where('id', '!=', exceptId)
    .limit(1)
    .execute();
  if (others.length === 0) {
    throw new FronteiraError(
      'FRONTEIRA_E_CONFLICT',
      'user: this is the last enabled admin; create another admin first',
      {
        field: 'role',
        userId: exceptId,
      },
    );
  }
}

export interface IssuedToken {
  token: string;
  row: TokenRow;
}

export async function issueToken(ctx: AccountContext, userId: number, name: string): Promise<IssuedToken> {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100) throw invalid('name', 'must have 1 to 100 characters', name);
  const token = newApiToken();
  return inTransaction(ctx.db, async (db) => {
    const u = await requireUser(db, userId);
    if (u.disabled_at) throw invalid('userId', `user ${u.username} is disabled`, userId);
    const row = await insertToken(db, { userId, name: trimmed, tokenHash: sha256(token) });
    await audit(db, {
      actor: ctx.actor,
      action: 'create',
      entity: 'api_token',
      entityId: row.id,
      after: { id: row.id, name: row.name, userId, username: u.username },
    });
    return { token, row };
  });
}

export async function revokeToken(ctx: AccountContext, id: number): Promise<TokenRow> {
  return inTransaction(ctx.db, async (db) => {
    const before = await tokenById(db, id);
    if (!before)
      throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `token ${id} does not exist`, { entity: 'token', key: id });
    const row = (await revokeTokenRow(db, id, nowOf(ctx))) ?? before;
    await audit(db, {
      actor: ctx.actor,
      action: 'revoke',
      entity: 'api_token',
      entityId: id,
      before: tokenView(before),
      after: tokenView(row),
    });
    return row;
  });
}

export interface NewLogin {
  user: UserRow;
  /** The cookie value (only its hash is stored). */
  sessionToken: string;
  csrfSecret: string;
  expiresAt: Date;
}

/** Checks credentials and opens a session; one message for unknown user, wrong password and disabled user. */
export async function login(
  ctx: { db: Db; now?: () => Date; ttlMs?: number },
  username: string,
  password: string,
): Promise<NewLogin> {
  const u = USERNAME.test(username) ? await userByName(ctx.db, username) : undefined;
  const ok = await verifyPassword(password, u ? u.password_hash : await dummyHash());
  if (!u || !ok || u.disabled_at) {
    throw new FronteiraError('FRONTEIRA_E_AUTH', 'wrong username or password', { field: 'password' });
  }
  const now = nowOf(ctx);
  const sessionToken = newSessionToken();
  const csrfSecret = newCsrfSecret();
  const expiresAt = new Date(now.getTime() + (ctx.ttlMs ?? SESSION_TTL_MS));
  await inTransaction(ctx.db, async (db) => {
    // Logins are rare enough to carry the cleanup of expired sessions (indexed on expires_at).
    await deleteExpiredSessions(db, now);
    await insertSession(db, { userId: u.id, tokenHash: sha256(sessionToken), csrfSecret, expiresAt });
    await touchLogin(db, u.id, now);
    await audit(db, { actor: `user:${u.username}`, action: 'login', entity: 'user', entityId: u.id });
  });
  return { user: u, sessionToken, csrfSecret, expiresAt };
}

export async function logout(db: Db, sessionToken: string): Promise<boolean> {
  return deleteSession(db, sha256(sessionToken));
}

export async function authenticateSession(
  ctx: { db: Db; now?: () => Date; ttlMs?: number },
  sessionToken: string,
): Promise<AuthRow | undefined> {
  if (sessionToken.length === 0 || sessionToken.length > 200) return undefined;
  const now = nowOf(ctx);
  const r = await sessionUser(ctx.db, sha256(sessionToken), now);
  if (r) await touchSession(ctx.db, r.credentialId, now, new Date(now.getTime() + (ctx.ttlMs ?? SESSION_TTL_MS)));
  return r;
}

export async function authenticateToken(
  ctx: { db: Db; pool?: pg.Pool; now?: () => Date },
  token: string,
): Promise<AuthRow | undefined> {
  if (!looksLikeApiToken(token)) return undefined;
  const r = await tokenUser(ctx.db, sha256(token), ctx.pool);
  if (r) {
    // The store records use at most once a minute anyway (touchToken); asking it on every request of a busy
    // integration was a second statement per call that almost never changed anything.
    const now = nowOf(ctx);
    let seen = lastTouched.get(ctx.db);
    if (!seen) {
      seen = new Map();
      lastTouched.set(ctx.db, seen);
    }
    const last = seen.get(r.credentialId);
    if (last === undefined || now.getTime() - last >= TOUCH_EVERY_MS || now.getTime() < last) {
      await touchToken(ctx.db, r.credentialId, now);
      if (seen.size >= 10_000) seen.clear();
      seen.set(r.credentialId, now.getTime());
    }
  }
  return r;
}

const TOUCH_EVERY_MS = 60_000;
/** Per store: token id → when this process last recorded its use (ms). */
const lastTouched = new WeakMap<Db, Map<number, number>>();
