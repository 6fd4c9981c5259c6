/**
 * User administration (admin only): list, create, change role / name / password / disabled, and API tokens for
 * integrations (the token is shown once, when issued). Every change is audited as `user:<admin>`.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { listUsers, tokensOfUser } from '../../store/users.ts';
import { createUser, issueToken, requireUser, revokeToken, tokenView, updateUser, userView } from '../auth/accounts.ts';
import { actorOf } from '../auth/roles.ts';
import { errorResponses, IdParams, NullableString, Page, PageQuery, RoleSchema } from '../schemas.ts';

export const UserSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  displayName: Type.Union([Type.String(), Type.Null()]),
  role: RoleSchema,
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  lastLoginAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const TokenSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  userId: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revoked: Type.Boolean(),
});

const CreateUserBody = Type.Object(
  {
    username: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' }),
    role: RoleSchema,
    password: Type.String({ minLength: 10, maxLength: 1024 }),
    displayName: Type.Optional(NullableString({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const UpdateUserBody = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    displayName: Type.Optional(NullableString({ maxLength: 200 })),
    password: Type.Optional(Type.String({ minLength: 10, maxLength: 1024 })),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const UserQuery = Type.Composite([PageQuery, Type.Object({ includeDisabled: Type.Boolean({ default: true }) })]);

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const admin = { role: 'admin' as const };
  const tags = ['users'];

  app.get(
    '/users',
    {
      config: admin,
      schema: {
        tags,
        summary: 'List users',
        querystring: UserQuery,
        response: { 200: Page(UserSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, offset, includeDisabled } = request.query;
      const r = await listUsers(app.store.db, { limit, offset, includeDisabled });
      return { items: r.items.map(userView), total: r.total, limit, offset };
    },
  );

  app.post(
    '/users',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Create a user',
        body: CreateUserBody,
        response: { 201: UserSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) => {
      const u = await createUser({ db: app.store.db, actor: actorOf(request) }, request.body);
      return reply.status(201).send(userView(u));
    },
  );

  app.get(
    '/users/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: 'One user with their API tokens (never the secrets)',
        params: IdParams,
        response: {
          200: Type.Composite([UserSchema, Type.Object({ tokens: Type.Array(TokenSchema) })]),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const u = await requireUser(app.store.db, request.params.id);
      return { ...userView(u), tokens: (await tokensOfUser(app.store.db, u.id)).map(tokenView) };
    },
  );

  app.patch(
    '/users/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Change role, display name, password or disabled (password change and disabling end sessions)',
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: UserSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request) => {
      const u = await updateUser({ db: app.store.db, actor: actorOf(request) }, request.params.id, request.body);
      return userView(u);
    },
  );

  app.post(
    '/users/:id/tokens',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Issue an API token for the user; the token is returned only now',
        params: IdParams,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: {
          201: Type.Composite([
            TokenSchema,
            Type.Object({ token: Type.String({ description: 'frt_… (shown once)' }) }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const t = await issueToken({ db: app.store.db, actor: actorOf(request) }, request.params.id, request.body.name);
      return reply.status(201).send({ ...tokenView(t.row), token: t.token });
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Revoke an API token',
        params: IdParams,
        response: { 200: TokenSchema, ...errorResponses },
      },
    },
    async (request) => {
      return tokenView(await revokeToken({ db: app.store.db, actor: actorOf(request) }, request.params.id));
    },
  );
};

export default plugin;
