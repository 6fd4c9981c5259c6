/**
 * Communication channels of meters: list, add, change, disable — through the audited registry service. A channel's
 * stored password never leaves the server (only `hasPassword`).
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { TIMER_KEYS } from '../../registry/fields.ts';
import { addChannel, disableChannel, listChannels, updateChannel } from '../../registry/service.ts';
import { actorOf } from '../auth/roles.ts';
import { errorResponses, IdParams, Page, PageQuery } from '../schemas.ts';
import { CommentField, defined, emptyBodyOk, Iso, inBody } from '../views/common.ts';
import { ChannelSchema, channelView, PackingSchema, Serial } from '../views/registry.ts';

/** Keys are checked by the registry service, so a misspelt timer is refused rather than silently dropped. */
const Timers = Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: 3_600_000 }), {
  description: `link timer overrides: ${TIMER_KEYS.join(', ')}`,
});

/** Settings of a channel besides its address. */
const channelSettings = {
  readerSerial: Type.Optional(Type.String({ pattern: '^\\d{1,6}$' })),
  directional: Type.Optional(Type.Boolean()),
  packing: Type.Optional(PackingSchema),
  concurrencyGroup: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  enabled: Type.Optional(Type.Boolean()),
  timers: Type.Optional(Timers),
};

const Address = Type.String({
  minLength: 1,
  maxLength: 300,
  examples: ['tcp://10.0.0.5:4001', 'serial:///dev/ttyUSB0?baud=9600'],
});

/** A new channel: address and settings (also the `channel` of a new or swapped meter). */
export const NewChannelFields = { address: Address, ...channelSettings };

const CreateChannelBody = Type.Object(
  { meterSerial: Serial, validFrom: Type.Optional(Iso), ...NewChannelFields, comment: CommentField },
  { additionalProperties: false },
);

const UpdateChannelBody = Type.Object(
  { address: Type.Optional(Address), ...channelSettings, comment: CommentField },
  { additionalProperties: false, minProperties: 1 },
);

const ChannelQuery = Type.Composite([
  PageQuery,
  Type.Object({
    meter: Type.Optional(Serial),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'concurrency group' })),
    includeDisabled: Type.Boolean({ default: false }),
  }),
]);

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['channels'];
  const analista = { role: 'analista' as const };

  app.get(
    '/channels',
    {
      schema: {
        tags,
        summary: 'List communication channels (filters: meter serial, concurrency group)',
        querystring: ChannelQuery,
        response: { 200: Page(ChannelSchema), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const r = await listChannels(app.store.db, {
        meterSerial: q.meter,
        concurrencyGroup: q.group,
        includeDisabled: q.includeDisabled,
        limit: q.limit,
        offset: q.offset,
      });
      return {
        items: r.channels.map((c) => channelView(c, c.meter_serial)),
        total: r.total,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );

  app.post(
    '/channels',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Add a channel to a meter (the version in service, or ?validFrom)',
        body: CreateChannelBody,
        response: { 201: ChannelSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) => {
      const { comment, ...input } = request.body;
      const row = await inBody(() => addChannel({ db: app.store.db, actor: actorOf(request), comment }, input));
      return reply.status(201).send(channelView(row, input.meterSerial));
    },
  );

  app.patch(
    '/channels/:id',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Change a channel (only the fields given)',
        params: IdParams,
        body: UpdateChannelBody,
        response: {
          200: Type.Composite([ChannelSchema, Type.Object({ changed: Type.Array(Type.String()) })]),
          ...errorResponses,
          409: Type.Ref('ErrorResponse'),
        },
      },
    },
    async (request) => {
      const { comment, ...patch } = request.body;
      const r = await inBody(() =>
        updateChannel({ db: app.store.db, actor: actorOf(request), comment }, request.params.id, defined(patch)),
      );
      return { ...channelView(r.channel), changed: r.changed };
    },
  );

  app.post(
    '/channels/:id/disable',
    {
      config: analista,
      preValidation: emptyBodyOk,
      schema: {
        tags,
        summary: 'Stop using a channel (kept for history)',
        params: IdParams,
        body: Type.Object({ comment: CommentField }, { additionalProperties: false }),
        response: { 200: ChannelSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request) => {
      const row = await inBody(() =>
        disableChannel({ db: app.store.db, actor: actorOf(request), comment: request.body.comment }, request.params.id),
      );
      return channelView(row);
    },
  );
};

export default plugin;
