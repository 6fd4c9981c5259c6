/**
 * Meters: list (in service now, at an instant, or every version), one serial with all its versions, and the
 * analyst's changes — add, update one version, swap for a new meter, retire — through the audited registry service.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { addMeter, getMeter, listMeters, retireMeter, swapMeter, updateMeter } from '../../registry/service.ts';
import { actorOf } from '../auth/roles.ts';
import { errorResponses, NullableString, Page, PageQuery } from '../schemas.ts';
import { CommentField, defined, emptyBodyOk, Iso, inBody, NullableNumber, OrNull } from '../views/common.ts';
import {
  ChannelMapEntrySchema,
  ChannelSchema,
  channelView,
  MeterRoleSchema,
  MeterSchema,
  MeterWithChannelsSchema,
  MmIntervalSchema,
  meterView,
  PointCode,
  Serial,
} from '../views/registry.ts';
import { NewChannelFields } from './channels.ts';

export const SerialParams = Type.Object({ serial: Serial });

const meterFields = {
  manufacturer: Type.Optional(NullableString({ maxLength: 100 })),
  model: Type.Optional(NullableString({ maxLength: 100 })),
  mmIntervalS: Type.Optional(MmIntervalSchema),
  demandIntervalMin: Type.Optional(NullableNumber({ integer: true, minimum: 1, maximum: 60 })),
  memoryDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 400 })),
  tpRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 })),
  tcRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 })),
  constantsIncludeRatios: Type.Optional(Type.Boolean()),
  channelMap: Type.Optional(Type.Array(ChannelMapEntrySchema, { maxItems: 99 })),
};

const ChannelBody = Type.Object(NewChannelFields, { additionalProperties: false });

const CreateMeterBody = Type.Object(
  {
    serial: Serial,
    pointCode: PointCode,
    role: MeterRoleSchema,
    ...meterFields,
    validFrom: Type.Optional(Iso),
    validTo: Type.Optional(OrNull(Iso)),
    channel: Type.Optional(ChannelBody),
    comment: CommentField,
  },
  { additionalProperties: false },
);

const UpdateMeterBody = Type.Object(
  {
    pointCode: Type.Optional(PointCode),
    role: Type.Optional(MeterRoleSchema),
    ...meterFields,
    validTo: Type.Optional(NullableString({ format: 'date-time' })),
    comment: CommentField,
  },
  { additionalProperties: false, minProperties: 1 },
);

const SwapBody = Type.Object(
  {
    newSerial: Serial,
    at: Type.Optional(Iso),
    ...meterFields,
    channel: Type.Optional(ChannelBody),
    comment: CommentField,
  },
  { additionalProperties: false },
);

const VersionQuery = Type.Object({
  validFrom: Type.Optional(Type.String({ format: 'date-time', description: 'pick the version starting then' })),
});

const MeterQuery = Type.Composite([
  PageQuery,
  Type.Object({
    point: Type.Optional(PointCode),
    role: Type.Optional(MeterRoleSchema),
    serial: Type.Optional(Type.String({ pattern: '^\\d{1,12}$', description: 'serial prefix' })),
    validAt: Type.Optional(Type.String({ format: 'date-time', description: 'versions valid then (default now)' })),
    history: Type.Boolean({ default: false, description: 'every version, history included' }),
  }),
]);

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['meters'];
  const analista = { role: 'analista' as const };
  const ctxOf = (request: Parameters<typeof actorOf>[0], comment?: string) => ({
    db: app.store.db,
    actor: actorOf(request),
    comment,
  });

  app.get(
    '/meters',
    {
      schema: {
        tags,
        summary: 'List meters (in service now unless validAt or history)',
        querystring: MeterQuery,
        response: { 200: Page(MeterSchema), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const r = await listMeters(app.store.db, {
        pointCode: q.point,
        role: q.role,
        serialPrefix: q.serial,
        validAt: q.history ? null : q.validAt ? new Date(q.validAt) : undefined,
        limit: q.limit,
        offset: q.offset,
      });
      const now = new Date();
      return {
        items: r.meters.map((m) => meterView(m, m.point_code, now)),
        total: r.total,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );

  app.get(
    '/meters/:serial',
    {
      schema: {
        tags,
        summary: 'Every version of a meter serial (oldest first) with its point and channels',
        params: SerialParams,
        response: {
          200: Type.Object({ serial: Type.String(), versions: Type.Array(MeterWithChannelsSchema) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const versions = await getMeter(app.store.db, request.params.serial);
      const now = new Date();
      return {
        serial: request.params.serial,
        versions: versions.map((v) => ({
          ...meterView(v.meter, v.pointCode, now),
          channels: v.channels.map((c) => channelView(c, v.meter.serial)),
        })),
      };
    },
  );

  app.post(
    '/meters',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Register a meter on a point (optionally with its first channel)',
        body: CreateMeterBody,
        response: { 201: MeterSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) => {
      const { comment, ...input } = request.body;
      const row = await inBody(() => addMeter(ctxOf(request, comment), input));
      return reply.status(201).send(meterView(row, input.pointCode.toUpperCase()));
    },
  );

  app.patch(
    '/meters/:serial',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Change fields of one meter version (the one in service, or ?validFrom=)',
        params: SerialParams,
        querystring: VersionQuery,
        body: UpdateMeterBody,
        response: {
          200: Type.Composite([MeterSchema, Type.Object({ changed: Type.Array(Type.String()) })]),
          ...errorResponses,
          409: Type.Ref('ErrorResponse'),
        },
      },
    },
    async (request) => {
      const { comment, ...patch } = request.body;
      const r = await inBody(() =>
        updateMeter(ctxOf(request, comment), request.params.serial, defined(patch), {
          validFrom: request.query.validFrom,
        }),
      );
      return { ...meterView(r.meter), changed: r.changed };
    },
  );

  app.post(
    '/meters/:serial/swap',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Replace a meter by a new one (same point and role) at an instant',
        params: SerialParams,
        body: SwapBody,
        response: {
          201: Type.Object({ old: MeterSchema, meter: MeterSchema, channels: Type.Array(ChannelSchema) }),
          ...errorResponses,
          409: Type.Ref('ErrorResponse'),
        },
      },
    },
    async (request, reply) => {
      const { comment, ...input } = request.body;
      const r = await inBody(() => swapMeter(ctxOf(request, comment), { ...input, serial: request.params.serial }));
      return reply.status(201).send({
        old: meterView(r.old),
        meter: meterView(r.meter),
        channels: r.channels.map((c) => channelView(c, r.meter.serial)),
      });
    },
  );

  app.post(
    '/meters/:serial/retire',
    {
      config: analista,
      preValidation: emptyBodyOk,
      schema: {
        tags,
        summary: 'End a meter version at an instant (default now); its data and history stay',
        params: SerialParams,
        body: Type.Object(
          { at: Type.Optional(Iso), validFrom: Type.Optional(Iso), comment: CommentField },
          { additionalProperties: false },
        ),
        response: { 200: MeterSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request) => {
      const { comment, at, validFrom } = request.body;
      return meterView(
        await inBody(() => retireMeter(ctxOf(request, comment), request.params.serial, { at, validFrom })),
      );
    },
  );
};

export default plugin;
