/**
 * The read-session log (filters: meter, point, status, purpose, time), one session with its steps, errors and
 * decoded raw frames, and meter events (outages, alterations, clock drift and syncs, conflicts…).
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { FronteiraError } from '../../domain/errors.ts';
import type { MeterEventKind, SessionPurpose } from '../../store/schema.ts';
import { readSessionFrames } from '../../store/sessions.ts';
import { errorResponses, IdParams, Page, PageQuery } from '../schemas.ts';
import { Iso, iso, isoOf, OrNull, StringEnum } from '../views/common.ts';
import { PointCode, Serial } from '../views/registry.ts';
import { frameView } from './sessions-frames.ts';
import { queryEvents, querySessions, sessionById } from './sessions-query.ts';

const PURPOSES = [
  'daily',
  'intraday',
  'gap',
  'manual',
  'clock_sync',
  'parametrization',
] as const satisfies readonly SessionPurpose[];
const STATUSES = ['running', 'ok', 'failed'] as const;
const EVENT_KINDS = [
  'outage',
  'alteration',
  'occurrence',
  'clock_drift',
  'clock_sync',
  'conflict',
  'parametrization',
  'demand_reset',
  'serial_mismatch',
  'constants_mismatch',
] as const satisfies readonly MeterEventKind[];

const Json = Type.Record(Type.String(), Type.Unknown());

/** Meter, point and a time window, shared by the log lists. */
export const LogFilters = Type.Object({
  meter: Type.Optional(Serial),
  point: Type.Optional(PointCode),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
});

const SessionSchema = Type.Object({
  id: Type.Integer(),
  meterId: Type.Integer(),
  meterSerial: Type.String(),
  meterRole: Type.String(),
  pointCode: Type.String(),
  channelId: OrNull(Type.Integer()),
  purpose: Type.String(),
  sequence: Type.String(),
  status: StringEnum(STATUSES),
  startedAt: Iso,
  endedAt: OrNull(Iso),
  durationMs: OrNull(Type.Integer()),
  bytesIn: Type.Integer(),
  bytesOut: Type.Integer(),
  intervals: Type.Integer(),
  driftS: OrNull(Type.Number()),
  reportedSerial: OrNull(Type.String()),
  failureStep: OrNull(Type.String()),
  errorCode: OrNull(Type.String()),
  errorMessage: OrNull(Type.String()),
  warnings: Type.Array(Type.String()),
  jobId: OrNull(Type.String()),
});

const FrameSchema = Type.Object({
  index: Type.Integer(),
  direction: StringEnum(['tx', 'rx'] as const),
  at: Iso,
  step: Type.Integer(),
  length: Type.Integer(),
  code: OrNull(Type.Integer()),
  name: OrNull(Type.String()),
  hex: Type.String(),
  summary: Type.String(),
  error: OrNull(Type.String()),
});

const EventSchema = Type.Object({
  id: Type.Integer(),
  meterSerial: Type.String(),
  pointCode: Type.String(),
  kind: StringEnum(EVENT_KINDS),
  at: Iso,
  endedAt: OrNull(Iso),
  detail: Json,
  sessionId: OrNull(Type.Integer()),
  createdAt: Iso,
});

type SessionRowWithMeter = NonNullable<Awaited<ReturnType<typeof sessionById>>>;

function sessionView(s: SessionRowWithMeter) {
  return {
    id: Number(s.id),
    meterId: Number(s.meter_id),
    meterSerial: s.m_serial,
    meterRole: s.m_role,
    pointCode: s.p_code,
    channelId: s.channel_id === null ? null : Number(s.channel_id),
    purpose: s.purpose,
    sequence: s.sequence,
    status: s.status,
    startedAt: isoOf(s.started_at),
    endedAt: iso(s.ended_at),
    durationMs: s.ended_at ? s.ended_at.getTime() - s.started_at.getTime() : null,
    bytesIn: Number(s.bytes_in),
    bytesOut: Number(s.bytes_out),
    intervals: s.intervals,
    driftS: s.drift_s,
    reportedSerial: s.meter_serial,
    failureStep: s.failure_step,
    errorCode: s.error_code,
    errorMessage: s.error_message,
    warnings: s.warnings ?? [],
    jobId: s.job_id,
  };
}

const dateOf = (s: string | undefined) => (s === undefined ? undefined : new Date(s));

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'The read-session log, newest first',
        querystring: Type.Composite([
          PageQuery,
          LogFilters,
          Type.Object({
            status: Type.Optional(Type.Array(StringEnum(STATUSES))),
            purpose: Type.Optional(Type.Array(StringEnum(PURPOSES))),
          }),
        ]),
        response: { 200: Page(SessionSchema), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const r = await querySessions(app.store.db, {
        meterSerial: q.meter,
        pointCode: q.point?.toUpperCase(),
        statuses: q.status,
        purposes: q.purpose,
        from: dateOf(q.from),
        to: dateOf(q.to),
        limit: q.limit,
        offset: q.offset,
      });
      return { items: r.rows.map(sessionView), total: r.total, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'One session: steps, error, and its raw frames decoded (a page of them)',
        params: IdParams,
        querystring: Type.Object({
          frameOffset: Type.Integer({ minimum: 0, default: 0 }),
          frameLimit: Type.Integer({ minimum: 0, maximum: 5000, default: 500 }),
        }),
        response: {
          200: Type.Composite([
            SessionSchema,
            Type.Object({
              steps: Type.Array(Json),
              frameCount: Type.Integer(),
              frames: Type.Array(FrameSchema),
            }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const s = await sessionById(app.store.db, request.params.id);
      if (!s) {
        throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `session ${request.params.id} does not exist`, {
          entity: 'session',
          key: String(request.params.id),
        });
      }
      const { frameOffset, frameLimit } = request.query;
      const frames = await readSessionFrames(app.store.db, Number(s.id));
      return {
        ...sessionView(s),
        steps: (s.steps ?? []) as Record<string, unknown>[],
        frameCount: frames.length,
        frames: frames.slice(frameOffset, frameOffset + frameLimit).map((f, i) => frameView(f, frameOffset + i)),
      };
    },
  );

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Meter events, newest first (filters: meter, point, kind, time)',
        querystring: Type.Composite([
          PageQuery,
          LogFilters,
          Type.Object({ kind: Type.Optional(Type.Array(StringEnum(EVENT_KINDS))) }),
        ]),
        response: { 200: Page(EventSchema), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const r = await queryEvents(app.store.db, {
        meterSerial: q.meter,
        pointCode: q.point?.toUpperCase(),
        kinds: q.kind,
        from: dateOf(q.from),
        to: dateOf(q.to),
        limit: q.limit,
        offset: q.offset,
      });
      return {
        items: r.rows.map((e) => ({
          id: Number(e.id),
          meterSerial: e.m_serial,
          pointCode: e.p_code,
          kind: e.kind,
          at: isoOf(e.at),
          endedAt: iso(e.ended_at),
          detail: e.detail ?? {},
          sessionId: e.session_id === null ? null : Number(e.session_id),
          createdAt: isoOf(e.created_at),
        })),
        total: r.total,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );
};

export default plugin;
