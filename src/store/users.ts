/**
 * API users, browser sessions and integration tokens (007_auth.sql). Rows only: hashing, validation and audit live
 * in the API's account service. Secrets never reach this module in clear — callers pass their hashes.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';
import type pg from 'pg';
import type { Db } from './registry.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type Role = 'admin' | 'analista' | 'leitura';

export interface AppUserTable {
  id: Generated<number>;
  username: string;
  display_name: string | null;
  role: Role;
  password_hash: string;
  disabled_at: Timestamp | null;
  created_at: Generated<Date>;
  last_login_at: Timestamp | null;
}

export interface ApiSessionTable {
  id: Generated<number>;
  token_hash: string;
  user_id: number;
  csrf_secret: string;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  last_seen_at: Generated<Date>;
}

export interface ApiTokenTable {
  id: Generated<number>;
  name: string;
  token_hash: string;
  user_id: number;
  created_at: Generated<Date>;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

declare module './schema.ts' {
  interface Schema {
    app_user: AppUserTable;
    api_session: ApiSessionTable;
    api_token: ApiTokenTable;
  }
}

export type UserRow = Selectable<AppUserTable>;
export type TokenRow = Selectable<ApiTokenTable>;
export type SessionRow = Selectable<ApiSessionTable>;

/** A user as authenticated by a session or a token. */
export interface AuthRow {
  userId: number;
  username: string;
  role: Role;
  /** Session rows only. */
  csrfSecret?: string;
  /** Session or token id. */
  credentialId: number;
}

export interface NewUser {
  username: string;
  displayName?: string | null;
  role: Role;
  passwordHash: string;
}

export async function insertUser(db: Db, u: NewUser): Promise<UserRow> {
  return db
    .insertInto('app_user')
    .values({ username: u.username, display_name: u.displayName ?? null, role: u.role, password_hash: u.passwordHash })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function userById(db: Db, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('app_user').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function userByName(db: Db, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('app_user').selectAll().where('username', '=', username).executeTakeFirst();
}

export interface UserQuery {
  limit: number;
  offset: number;
  includeDisabled?: boolean;
}

export async function listUsers(db: Db, q: UserQuery): Promise<{ items: UserRow[]; total: number }> {
  let base = db.selectFrom('app_user');
  if (q.includeDisabled === false) base = base.where('disabled_at', 'is', null);
  const items = await base.selectAll().orderBy('username').limit(q.limit).offset(q.offset).execute();
  const count = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items, total: Number(count.n) };
}

export async function countUsers(db: Db): Promise<number> {
  const r = await db
    .selectFrom('app_user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export interface UserChange {
  role?: Role;
  displayName?: string | null;
  passwordHash?: string;
  disabledAt?: Date | null;
}

export async function updateUserRow(db: Db, id: number, c: UserChange): Promise<UserRow | undefined> {
  const set: Partial<{
    role: Role;
    display_name: string | null;
    password_hash: string;
    disabled_at: Date | null;
  }> = {};
  if (c.role !== undefined) set.role = c.role;
  if (c.displayName !== undefined) set.display_name = c.displayName;
  if (c.passwordHash !== undefined) set.password_hash = c.passwordHash;
  if (c.disabledAt !== undefined) set.disabled_at = c.disabledAt;
  if (Object.keys(set).length === 0) return userById(db, id);
  return db.updateTable('app_user').set(set).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function touchLogin(db: Db, id: number, at: Date): Promise<void> {
  await db.updateTable('app_user').set({ last_login_at: at }).where('id', '=', id).execute();
}

export interface NewSession {
  userId: number;
  tokenHash: string;
  csrfSecret: string;
  expiresAt: Date;
}

export async function insertSession(db: Db, s: NewSession): Promise<SessionRow> {
  return db
    .insertInto('api_session')
    .values({ user_id: s.userId, token_hash: s.tokenHash, csrf_secret: s.csrfSecret, expires_at: s.expiresAt })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The live session with this token hash, and its enabled user. */
export async function sessionUser(db: Db, tokenHash: string, now: Date): Promise<AuthRow | undefined> {
  const r = await db
    .selectFrom('api_session as s')
    .innerJoin('app_user as u', 'u.id', 's.user_id')
    .select(['s.id', 's.csrf_secret', 'u.id as user_id', 'u.username', 'u.role'])
    .where('s.token_hash', '=', tokenHash)
    .where('s.expires_at', '>', now)
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
  return r && { userId: r.user_id, username: r.username, role: r.role, csrfSecret: r.csrf_secret, credentialId: r.id };
}

/** Slides a session's expiry; written at most once a minute per session to keep reads cheap. */
export async function touchSession(db: Db, id: number, now: Date, expiresAt: Date): Promise<void> {
  await db
    .updateTable('api_session')
    .set({ last_seen_at: now, expires_at: expiresAt })
    .where('id', '=', id)
    .where('last_seen_at', '<', new Date(now.getTime() - 60_000))
    .execute();
}

export async function deleteSession(db: Db, tokenHash: string): Promise<boolean> {
  const r = await db.deleteFrom('api_session').where('token_hash', '=', tokenHash).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function deleteUserSessions(db: Db, userId: number): Promise<number> {
  const r = await db.deleteFrom('api_session').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function deleteExpiredSessions(db: Db, now: Date): Promise<number> {
  const r = await db.deleteFrom('api_session').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export interface NewToken {
  userId: number;
  name: string;
  tokenHash: string;
}

export async function insertToken(db: Db, t: NewToken): Promise<TokenRow> {
  return db
    .insertInto('api_token')
    .values({ user_id: t.userId, name: t.name, token_hash: t.tokenHash })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function tokenById(db: Db, id: number): Promise<TokenRow | undefined> {
  return db.selectFrom('api_token').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function tokensOfUser(db: Db, userId: number): Promise<TokenRow[]> {
  return db.selectFrom('api_token').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

/** The unrevoked token with this hash, and its enabled user. */
/**
 * The user of an API token. With `pool`, run as a named statement (prepared once per connection): it precedes every
 * request an integration makes, and planning it cost as much as running it.
 */
export async function tokenUser(db: Db, tokenHash: string, pool?: pg.Pool): Promise<AuthRow | undefined> {
  const query = db
    .selectFrom('api_token as t')
    .innerJoin('app_user as u', 'u.id', 't.user_id')
    .select(['t.id', 'u.id as user_id', 'u.username', 'u.role'])
    .where('t.token_hash', '=', tokenHash)
    .where('t.revoked_at', 'is', null)
    .where('u.disabled_at', 'is', null);
  type Row = { id: number; user_id: number; username: string; role: AuthRow['role'] };
  let r: Row | undefined;
  if (pool) {
    const c = query.compile();
    r = (await pool.query<Row>({ name: 'fronteira_token_user', text: c.sql, values: [...c.parameters] })).rows[0];
  } else {
    r = await query.executeTakeFirst();
  }
  return r && { userId: r.user_id, username: r.username, role: r.role, credentialId: r.id };
}

/** Records use at most once a minute per token. */
export async function touchToken(db: Db, id: number, now: Date): Promise<void> {
  await db
    .updateTable('api_token')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(now.getTime() - 60_000))]))
    .execute();
}

export async function revokeTokenRow(db: Db, id: number, at: Date): Promise<TokenRow | undefined> {
  return db
    .updateTable('api_token')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}
