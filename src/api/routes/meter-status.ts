/**
 * What the collection knows of each meter beyond its intervals: the meters that stopped answering (consecutive
 * failed reads, the last error, the last good read) and a point's last instantaneous values and register totals as
 * the meters reported them. The Painel and the Ponto page read these instead of scanning the session log.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { requirePoint } from '../../registry/service.ts';
import { metersOfPoint } from '../../store/registry.ts';
import { latestSnapshots, type SnapshotKind } from '../../store/snapshots.ts';
import { errorResponses, Page, PageQuery } from '../schemas.ts';
import { Iso, iso, isoOf, OrNull } from '../views/common.ts';
import { CodeParams } from './points.ts';

const FailingMeter = Type.Object({
  pointCode: Type.String(),
  pointName: Type.String(),
  meterSerial: Type.String(),
  role: Type.String(),
  failures: Type.Integer({ description: 'reads in a row that failed, retries included' }),
  lastError: OrNull(Type.String()),
  lastAttemptAt: OrNull(Iso),
  lastOkAt: OrNull(Iso),
  lastSessionId: OrNull(Type.Integer()),
});

const FailingQuery = Type.Composite([
  PageQuery,
  Type.Object({
    minFailures: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
    segment: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
  }),
]);

const Snapshot = Type.Object({
  meterSerial: Type.String(),
  role: Type.String(),
  group: Type.Integer({ description: 'channel group of the meter (0 = the first)' }),
  at: Iso,
  sessionId: OrNull(Type.Integer()),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'the decoded values as the reading stored them' }),
});

const InstantAnswer = Type.Object({
  point: Type.String(),
  instant: Type.Array(Snapshot, { description: 'newest instantaneous values (command 0x14) per meter and group' }),
  registers: Type.Array(Snapshot, { description: 'newest current register totals per meter and group' }),
});

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/meters/failing',
    {
      schema: {
        tags: ['meters'],
        summary: 'Meters whose last reads failed, most failures first, with the last error and the last good read',
        querystring: FailingQuery,
        response: { 200: Page(FailingMeter), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const where = sql`s.failures >= ${q.minFailures} AND m.valid_to IS NULL AND p.retired_at IS NULL
        AND (${q.segment ?? null}::text IS NULL OR p.segment = ${q.segment ?? null})
        AND (${q.tag ?? null}::text IS NULL OR ${q.tag ?? null} = ANY (p.tags))`;
      const from = sql`meter_collect_state s JOIN meter m ON m.id = s.meter_id JOIN metering_point p ON p.id = m.point_id`;
      const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${from} WHERE ${where}`.execute(
        app.store.db,
      );
      const rows = await sql<{
        code: string;
        name: string;
        serial: string;
        role: string;
        failures: number;
        last_error: string | null;
        last_attempt_at: Date | null;
        last_ok_at: Date | null;
        session_id: string | null;
      }>`SELECT p.code, p.name, m.serial, m.role, s.failures, s.last_error, s.last_attempt_at, s.last_ok_at,
                (SELECT r.id FROM read_session r WHERE r.meter_id = m.id ORDER BY r.started_at DESC LIMIT 1) AS session_id
           FROM ${from}
          WHERE ${where}
          ORDER BY s.failures DESC, s.last_attempt_at DESC NULLS LAST, m.id
          LIMIT ${q.limit} OFFSET ${q.offset}`.execute(app.store.db);
      return {
        items: rows.rows.map((r) => ({
          pointCode: r.code,
          pointName: r.name,
          meterSerial: r.serial,
          role: r.role,
          failures: r.failures,
          lastError: r.last_error,
          lastAttemptAt: iso(r.last_attempt_at),
          lastOkAt: iso(r.last_ok_at),
          lastSessionId: r.session_id === null ? null : Number(r.session_id),
        })),
        total: total.rows[0]?.n ?? 0,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );

  app.get(
    '/points/:code/instant',
    {
      schema: {
        tags: ['points'],
        summary: "The point's last instantaneous values and register totals, per meter, as last read",
        params: CodeParams,
        response: { 200: InstantAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const point = await requirePoint(app.store.db, request.params.code);
      // Meters still installed first; a retired one still shows what it last said.
      const meters = await metersOfPoint(app.store.db, Number(point.id));
      const byId = new Map(meters.map((m) => [Number(m.id), m]));
      const now = new Date();
      const latest = async (kind: SnapshotKind) => {
        const rows = await latestSnapshots(app.store.db, { meterIds: [...byId.keys()], kind, at: now });
        return rows
          .map((r) => {
            const m = byId.get(Number(r.meterId))!;
            return {
              meterSerial: m.serial,
              role: m.role,
              group: r.group,
              at: isoOf(r.at),
              sessionId: r.sessionId === null ? null : Number(r.sessionId),
              data: r.data,
            };
          })
          .sort((a, b) => (a.role === b.role ? b.at.localeCompare(a.at) : a.role === 'principal' ? -1 : 1));
      };
      return { point: point.code, instant: await latest('instant'), registers: await latest('registers_current') };
    },
  );
};

export default plugin;
