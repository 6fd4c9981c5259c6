/**
 * Metering points: the filterable list, one point with its meters (history included) and their channels, and the
 * analyst's changes (create, update, retire) through the audited registry service.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { createPoint, getPoint, retirePoint, updatePoint } from '../../registry/service.ts';
import { actorOf } from '../auth/roles.ts';
import { errorResponses, NullableString, Page, PageQuery } from '../schemas.ts';
import { CommentField, defined, emptyBodyOk, Iso, inBody, NullableNumber, StringEnum } from '../views/common.ts';
import {
  ChannelSchema,
  channelView,
  MeterSchema,
  meterView,
  PointCode,
  PointKindSchema,
  PointSchema,
  pointView,
  SegmentSchema,
} from '../views/registry.ts';
import { queryPoints } from './points-query.ts';

export const CodeParams = Type.Object({ code: PointCode });

const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 100 });

const pointFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  kind: PointKindSchema,
  segment: SegmentSchema,
  customer: Type.Optional(NullableString({ maxLength: 200 })),
  substation: Type.Optional(NullableString({ maxLength: 100 })),
  voltageKv: Type.Optional(NullableNumber({ exclusiveMinimum: 0, maximum: 1000 })),
  loadCapacityKw: Type.Optional(NullableNumber({ exclusiveMinimum: 0, maximum: 100_000_000 })),
  tags: Type.Optional(Tags),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, examples: ['America/Sao_Paulo'] })),
};

const CreatePointBody = Type.Object(
  { code: PointCode, ...pointFields, comment: CommentField },
  { additionalProperties: false },
);

const UpdatePointBody = Type.Object(
  {
    name: Type.Optional(pointFields.name),
    kind: Type.Optional(pointFields.kind),
    segment: Type.Optional(pointFields.segment),
    customer: pointFields.customer,
    substation: pointFields.substation,
    voltageKv: pointFields.voltageKv,
    loadCapacityKw: pointFields.loadCapacityKw,
    tags: pointFields.tags,
    timezone: pointFields.timezone,
    comment: CommentField,
  },
  { additionalProperties: false, minProperties: 1 },
);

const PointQuery = Type.Composite([
  PageQuery,
  Type.Object({
    segment: Type.Optional(SegmentSchema),
    kind: Type.Optional(PointKindSchema),
    substation: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    q: Type.Optional(Type.String({ maxLength: 100, description: 'text in the code, name, customer or substation' })),
    status: StringEnum(['active', 'retired', 'all'] as const, { default: 'active' }),
  }),
]);

const PointDetailSchema = Type.Composite([
  PointSchema,
  Type.Object({
    meters: Type.Array(Type.Composite([MeterSchema, Type.Object({ channels: Type.Array(ChannelSchema) })])),
  }),
]);

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['points'];
  const analista = { role: 'analista' as const };

  app.get(
    '/points',
    {
      schema: {
        tags,
        summary: 'List metering points (filters: segment, kind, substation, tag, q, status)',
        querystring: PointQuery,
        response: { 200: Page(PointSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, offset, ...filters } = request.query;
      const r = await queryPoints(app.store.db, { ...filters, limit, offset });
      return { items: r.rows.map(pointView), total: r.total, limit, offset };
    },
  );

  app.get(
    '/points/:code',
    {
      schema: {
        tags,
        summary: 'One point with its meters (history included) and their channels',
        params: CodeParams,
        response: { 200: PointDetailSchema, ...errorResponses },
      },
    },
    async (request) => {
      const d = await getPoint(app.store.db, request.params.code);
      const now = new Date();
      return {
        ...pointView(d.point),
        meters: d.meters.map((m) => ({
          ...meterView(m.meter, d.point.code, now),
          channels: m.channels.map((c) => channelView(c, m.meter.serial)),
        })),
      };
    },
  );

  app.post(
    '/points',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Register a point',
        body: CreatePointBody,
        response: { 201: PointSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) => {
      const { comment, ...input } = request.body;
      const row = await inBody(() => createPoint({ db: app.store.db, actor: actorOf(request), comment }, input));
      return reply.status(201).send(pointView(row));
    },
  );

  app.patch(
    '/points/:code',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Change fields of a point (only those given)',
        params: CodeParams,
        body: UpdatePointBody,
        response: {
          200: Type.Composite([PointSchema, Type.Object({ changed: Type.Array(Type.String()) })]),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { comment, ...patch } = request.body;
      const r = await inBody(() =>
        updatePoint({ db: app.store.db, actor: actorOf(request), comment }, request.params.code, defined(patch)),
      );
      return { ...pointView(r.point), changed: r.changed };
    },
  );

  app.post(
    '/points/:code/retire',
    {
      config: analista,
      preValidation: emptyBodyOk,
      schema: {
        tags,
        summary: 'Take a point out of service (its meters in service are closed at the same instant)',
        params: CodeParams,
        body: Type.Object({ at: Type.Optional(Iso), comment: CommentField }, { additionalProperties: false }),
        response: { 200: PointSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request) => {
      const { at, comment } = request.body ?? {};
      const row = await inBody(() =>
        retirePoint({ db: app.store.db, actor: actorOf(request), comment }, request.params.code, {
          at,
        }),
      );
      return pointView(row);
    },
  );
};

export default plugin;
