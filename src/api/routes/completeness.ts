/**
 * Completeness of the raw data per point and operating day ("100% da memória de massa"), across points (filterable
 * and paginated like the point list) or for one point, and the gaps collection keeps re-reading, with their history.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { FronteiraError } from '../../domain/errors.ts';
import { requirePoint } from '../../registry/service.ts';
import type { GapState } from '../../store/schema.ts';
import { Day, errorResponses, IdParams, Page, PageQuery } from '../schemas.ts';
import { Iso, iso, isoOf, OrNull, StringEnum } from '../views/common.ts';
import { PointCode, PointKindSchema, SegmentSchema, Serial } from '../views/registry.ts';
import { gapById, pointsCompleteness, queryGaps } from './completeness-data.ts';
import { checkSpan } from './intervals-data.ts';
import { CodeParams } from './points.ts';
import { queryPoints } from './points-query.ts';

const GAP_STATES = ['pending', 'retrying', 'recovered', 'lost'] as const satisfies readonly GapState[];

const MeterDaySchema = Type.Object({
  serial: Type.String(),
  role: Type.String(),
  slots: Type.Integer(),
  filled: Type.Integer(),
});
const PointDaySchema = Type.Object({
  day: Type.String(),
  slots: Type.Integer(),
  filled: Type.Integer(),
  percent: Type.Number(),
  meters: Type.Array(MeterDaySchema),
});
const PointCompletenessSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  segment: Type.String(),
  slots: Type.Integer(),
  filled: Type.Integer(),
  percent: Type.Number({ description: 'filled / slots of the principal meter(s) over the range, in %' }),
  days: Type.Array(PointDaySchema),
});

const Range = Type.Object({ from: Day, to: Day });

const GapSchema = Type.Object({
  id: Type.Integer(),
  pointCode: Type.String(),
  meterSerial: Type.String(),
  meterRole: Type.String(),
  firstEnd: Iso,
  lastEnd: Iso,
  intervals: Type.Integer(),
  state: StringEnum(GAP_STATES),
  attempts: Type.Integer(),
  nextAttemptAt: OrNull(Iso),
  lastAttemptAt: OrNull(Iso),
  lastError: OrNull(Type.String()),
  createdAt: Iso,
  closedAt: OrNull(Iso),
});

const GapHistory = Type.Array(
  Type.Object({
    at: Type.String(),
    action: Type.String(),
    sessionId: Type.Union([Type.Integer(), Type.Null()]),
    result: Type.Union([Type.String(), Type.Null()]),
  }),
);

type GapRowWithMeter = NonNullable<Awaited<ReturnType<typeof gapById>>>;

function gapView(g: GapRowWithMeter) {
  return {
    id: Number(g.id),
    pointCode: g.point_code,
    meterSerial: g.meter_serial,
    meterRole: g.meter_role,
    firstEnd: isoOf(g.first_end),
    lastEnd: isoOf(g.last_end),
    intervals: g.intervals,
    state: g.state,
    attempts: g.attempts,
    nextAttemptAt: iso(g.next_attempt_at),
    lastAttemptAt: iso(g.last_attempt_at),
    lastError: g.last_error,
    createdAt: isoOf(g.created_at),
    closedAt: iso(g.closed_at),
  };
}

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/completeness',
    {
      schema: {
        tags: ['completeness'],
        summary: 'Raw-data completeness per point and day over a range (points filtered and paginated)',
        querystring: Type.Composite([
          PageQuery,
          Range,
          Type.Object({
            segment: Type.Optional(SegmentSchema),
            kind: Type.Optional(PointKindSchema),
            substation: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
            q: Type.Optional(Type.String({ maxLength: 100 })),
          }),
        ]),
        response: { 200: Page(PointCompletenessSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { from, to, limit, offset, ...filters } = request.query;
      checkSpan(from, to, '5min');
      const points = await queryPoints(app.store.db, { ...filters, status: 'active', limit, offset });
      const items = await pointsCompleteness(app.store.db, points.rows, from, to);
      return { items, total: points.total, limit, offset };
    },
  );

  app.get(
    '/points/:code/completeness',
    {
      schema: {
        tags: ['completeness'],
        summary: 'Raw-data completeness of one point per day, per meter',
        params: CodeParams,
        querystring: Range,
        response: { 200: PointCompletenessSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      checkSpan(from, to, '5min');
      const point = await requirePoint(app.store.db, request.params.code);
      const [item] = await pointsCompleteness(app.store.db, [point], from, to);
      return item;
    },
  );

  app.get(
    '/gaps',
    {
      schema: {
        tags: ['gaps'],
        summary: 'Gaps in the raw data (newest first), by state, point or meter',
        querystring: Type.Composite([
          PageQuery,
          Type.Object({
            state: Type.Optional(
              Type.Array(StringEnum(GAP_STATES), { description: 'one or more states (repeat the parameter)' }),
            ),
            point: Type.Optional(PointCode),
            meter: Type.Optional(Serial),
          }),
        ]),
        response: { 200: Page(GapSchema), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const r = await queryGaps(app.store.db, {
        states: q.state,
        pointCode: q.point?.toUpperCase(),
        meterSerial: q.meter,
        limit: q.limit,
        offset: q.offset,
      });
      return { items: r.rows.map(gapView), total: r.total, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/gaps/:id',
    {
      schema: {
        tags: ['gaps'],
        summary: 'One gap with its re-read history',
        params: IdParams,
        response: {
          200: Type.Composite([GapSchema, Type.Object({ history: GapHistory })]),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const g = await gapById(app.store.db, request.params.id);
      if (!g) {
        throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `gap ${request.params.id} does not exist`, {
          entity: 'gap',
          key: String(request.params.id),
        });
      }
      return { ...gapView(g), history: (g.history ?? []) as never };
    },
  );
};

export default plugin;
