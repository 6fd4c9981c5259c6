/**
 * Tasks on one meter — read now, clock sync, demand interval, holidays, demand reset — requested by an analyst and
 * carried out by the collection engine (503 when this API process runs none), and the collection schedules.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { TASK_KINDS } from '../../collect/tasks.ts';
import { FronteiraError } from '../../domain/errors.ts';
import { resolveMeter } from '../../registry/service.ts';
import type { TaskKind } from '../../store/schema.ts';
import { actorOf } from '../auth/roles.ts';
import { requireEngine } from '../engine.ts';
import { errorResponses, IdParams, Page, PageQuery } from '../schemas.ts';
import { CommentField, Iso, inBody, iso, isoOf, OrNull, StringEnum } from '../views/common.ts';
import { Serial } from '../views/registry.ts';
import { LogFilters } from './sessions.ts';
import { queryTasks, taskById } from './sessions-query.ts';

const TASK_STATUSES = ['pending', 'running', 'done', 'failed', 'cancelled'] as const;
const Json = Type.Record(Type.String(), Type.Unknown());

const TaskSchema = Type.Object({
  id: Type.Integer(),
  kind: StringEnum(TASK_KINDS),
  meterSerial: Type.String(),
  pointCode: Type.String(),
  params: Json,
  status: StringEnum(TASK_STATUSES),
  requestedBy: Type.String(),
  requestedAt: Iso,
  startedAt: OrNull(Iso),
  finishedAt: OrNull(Iso),
  result: OrNull(Json),
  sessionId: OrNull(Type.Integer()),
});

type TaskRowWithMeter = NonNullable<Awaited<ReturnType<typeof taskById>>>;

function taskView(t: TaskRowWithMeter) {
  return {
    id: Number(t.id),
    kind: t.kind,
    meterSerial: t.m_serial,
    pointCode: t.p_code,
    params: t.params ?? {},
    status: t.status,
    requestedBy: t.requested_by,
    requestedAt: isoOf(t.requested_at),
    startedAt: iso(t.started_at),
    finishedAt: iso(t.finished_at),
    result: t.result,
    sessionId: t.session_id === null ? null : Number(t.session_id),
  };
}

const CreateTaskBody = Type.Object(
  {
    kind: StringEnum(TASK_KINDS),
    meterSerial: Serial,
    params: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "read_now: { window?: { amount, unit: 'hours'|'days' } }; demand_interval: { minutes }; " +
          "holidays: { dates: ['YYYY-MM-DD'…] }; clock_sync, demand_reset: {}",
      }),
    ),
    comment: CommentField,
  },
  { additionalProperties: false },
);

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['tasks'];

  async function requireTask(id: number): Promise<TaskRowWithMeter> {
    const t = await taskById(app.store.db, id);
    if (!t)
      throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `task ${id} does not exist`, {
        entity: 'task',
        key: String(id),
      });
    return t;
  }

  app.get(
    '/tasks',
    {
      schema: {
        tags,
        summary: 'Tasks, newest first (filters: meter, point, kind, status, time requested)',
        querystring: Type.Composite([
          PageQuery,
          LogFilters,
          Type.Object({
            kind: Type.Optional(Type.Array(StringEnum(TASK_KINDS))),
            status: Type.Optional(Type.Array(StringEnum(TASK_STATUSES))),
          }),
        ]),
        response: { 200: Page(TaskSchema), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const r = await queryTasks(app.store.db, {
        meterSerial: q.meter,
        pointCode: q.point?.toUpperCase(),
        kinds: q.kind as TaskKind[] | undefined,
        statuses: q.status,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        limit: q.limit,
        offset: q.offset,
      });
      return { items: r.rows.map(taskView), total: r.total, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/tasks/:id',
    {
      schema: {
        tags,
        summary: 'One task with its result and session',
        params: IdParams,
        response: { 200: TaskSchema, ...errorResponses },
      },
    },
    async (request) => taskView(await requireTask(request.params.id)),
  );

  app.post(
    '/tasks',
    {
      config: { role: 'analista' },
      schema: {
        tags,
        summary: 'Request a task on a meter (read now, clock sync, parametrization); answered before it runs',
        body: CreateTaskBody,
        response: { 202: TaskSchema, ...errorResponses, 503: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) => {
      const engine = requireEngine(app);
      const { kind, meterSerial, params, comment } = request.body;
      const meter = await inBody(() => resolveMeter(app.store.db, meterSerial));
      const task = await inBody(
        () =>
          engine.requestTask({
            kind: kind as TaskKind,
            meterId: Number(meter.id),
            params: params ?? {},
            requestedBy: actorOf(request),
            comment,
          }),
        'body.params',
      );
      // An engine without the job queue (embedded, tests) runs tasks only when asked: run this one now.
      if (!engine.boss) {
        engine.runTask(Number(task.id)).catch((e) => request.log.error({ err: e, task: task.id }, 'task failed'));
      }
      return reply.status(202).send(taskView(await requireTask(Number(task.id))));
    },
  );

  app.get(
    '/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Collection schedules (cron, Brasília time) of the engine this process runs',
        response: {
          200: Type.Object({
            engine: Type.Boolean({ description: 'false: this API process runs no collection engine' }),
            items: Type.Array(Type.Object({ name: Type.String(), cron: Type.String() })),
            sessions: OrNull(Type.Object({ running: Type.Integer(), waiting: Type.Integer() })),
          }),
          ...errorResponses,
        },
      },
    },
    async () => {
      if (!app.engine) return { engine: false, items: [], sessions: null };
      const status = await app.engine.status();
      return { engine: true, items: status.schedules, sessions: status.sessions };
    },
  );
};

export default plugin;
