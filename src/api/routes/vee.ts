/**
 * VEE through the API: a point-day's validation findings and outcomes with its final series and their versions;
 * manual edits (submit, list, reverse — each audited as `user:<name>` and applied at once by recomputing the day);
 * a VEE run over a range; the principal × retaguarda comparison (JSON, CSV or XLSX); parameter versions.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { requirePoint } from '../../registry/service.ts';
import { listEdits } from '../../store/vee-edits.ts';
import { getCurrentFinals, getFinalHistory } from '../../store/vee-final.ts';
import { listParamVersions } from '../../store/vee-params.ts';
import { getValidation } from '../../store/vee-validated.ts';
import { compareRange } from '../../vee/compare.ts';
import { EDIT_KINDS, MAX_COMMENT_LENGTH } from '../../vee/edits.ts';
import {
  addVeeParamVersion,
  comparePointRange,
  reverseManualEdit,
  runVeeRange,
  submitEdit,
} from '../../vee/service.ts';
import { actorOf } from '../auth/roles.ts';
import { Day, errorResponses, IdParams } from '../schemas.ts';
import { CommentField, Iso, inBody, isoOf, OrNull, StringEnum } from '../views/common.ts';
import { PointCode } from '../views/registry.ts';
import { checkDay, checkSpan } from './intervals-data.ts';
import { CodeParams } from './points.ts';
import {
  ComparisonDaySchema,
  comparisonCsv,
  comparisonDayView,
  comparisonXlsx,
  EditSchema,
  editView,
  FinalSummarySchema,
  finalSummaryView,
  QualityCountsSchema,
  VersionSchema,
  versionView,
} from './vee-views.ts';

const Json = Type.Record(Type.String(), Type.Unknown());

const EditBody = Type.Object(
  {
    quantityCode: Type.Integer({ minimum: 0, maximum: 99 }),
    day: Day,
    firstSlot: Type.Integer({ minimum: 0 }),
    lastSlot: Type.Integer({ minimum: 0 }),
    kind: StringEnum(EDIT_KINDS),
    values: Type.Optional(
      Type.Union([Type.Number(), Type.Array(Type.Number(), { minItems: 1, maxItems: 1500 })], {
        description: 'replace: one value for every slot, or one per slot',
      }),
    ),
    comment: Type.String({ minLength: 1, maxLength: MAX_COMMENT_LENGTH }),
  },
  { additionalProperties: false },
);

const EditOutcomeSchema = Type.Object({ edit: EditSchema, final: FinalSummarySchema });

const RunReportSchema = Type.Object({
  pointDays: Type.Integer(),
  series: Type.Integer(),
  changed: Type.Integer(),
  unchanged: Type.Integer(),
  staleLocked: Type.Integer({ description: 'changed series whose previous version was locked (exported/billed)' }),
  historyLoads: Type.Integer(),
  qualities: QualityCountsSchema,
  ms: Type.Number(),
});

const ParamVersionSchema = Type.Object({
  id: Type.Integer(),
  scope: Type.String(),
  effectiveFrom: Type.String(),
  params: Json,
  createdBy: Type.String(),
  createdAt: Iso,
  comment: OrNull(Type.String()),
});

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['vee'];
  const analista = { role: 'analista' as const };
  const pointIdOf = async (code: string) => Number((await requirePoint(app.store.db, code)).id);

  app.get(
    '/points/:code/vee',
    {
      schema: {
        tags,
        summary: "A point-day's validation (findings, rule outcomes), final series with versions, and manual edits",
        params: CodeParams,
        querystring: Type.Object({ day: Day }),
        response: {
          200: Type.Object({
            point: Type.String(),
            day: Type.String(),
            validation: OrNull(
              Type.Object({ computedAt: Iso, findings: Type.Array(Json), outcomes: Type.Array(Json) }),
            ),
            finals: Type.Array(
              Type.Composite([FinalSummarySchema, Type.Object({ versions: Type.Array(VersionSchema) })]),
            ),
            edits: Type.Array(EditSchema),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { day } = request.query;
      checkDay('query.day', day);
      const point = await requirePoint(app.store.db, request.params.code);
      const pid = Number(point.id);
      const db = app.store.db;
      const validation = await getValidation(db, pid, day);
      const finals = await getCurrentFinals(db, [pid], day, day);
      const out = [];
      for (const f of finals) {
        const versions = await getFinalHistory(db, pid, f.quantityCode, day);
        out.push({ ...finalSummaryView(f), versions: versions.map(versionView) });
      }
      const edits = await listEdits(db, { pointIds: [pid] }, day, day, { includeReversed: true });
      return {
        point: point.code,
        day,
        validation: validation
          ? {
              computedAt: isoOf(validation.computedAt),
              findings: validation.findings as unknown as Record<string, unknown>[],
              outcomes: validation.outcomes as unknown as Record<string, unknown>[],
            }
          : null,
        finals: out,
        edits: edits.map(editView),
      };
    },
  );

  app.post(
    '/points/:code/vee/edits',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Edit intervals of a final series (replace, interpolate, copy_retaguarda, accept) with a comment',
        params: CodeParams,
        body: EditBody,
        response: { 201: EditOutcomeSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      checkDay('body.day', request.body.day);
      const pid = await pointIdOf(request.params.code);
      const r = await inBody(() => submitEdit(app.store, pid, request.body, actorOf(request)));
      return reply.status(201).send({ edit: editView(r.edit), final: finalSummaryView(r.final) });
    },
  );

  app.get(
    '/points/:code/vee/edits',
    {
      schema: {
        tags,
        summary: 'Manual edits of a point over a range of days (reversed ones too unless includeReversed=false)',
        params: CodeParams,
        querystring: Type.Object({ from: Day, to: Day, includeReversed: Type.Boolean({ default: true }) }),
        response: { 200: Type.Object({ items: Type.Array(EditSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const { from, to, includeReversed } = request.query;
      checkSpan(from, to, 'day');
      const pid = await pointIdOf(request.params.code);
      const edits = await listEdits(app.store.db, { pointIds: [pid] }, from, to, { includeReversed });
      return { items: edits.map(editView) };
    },
  );

  app.post(
    '/vee/edits/:id/reverse',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Reverse a manual edit (the day is recomputed without it)',
        params: IdParams,
        body: Type.Object(
          { comment: Type.String({ minLength: 1, maxLength: MAX_COMMENT_LENGTH }) },
          { additionalProperties: false },
        ),
        response: { 200: EditOutcomeSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request) => {
      const r = await inBody(() =>
        reverseManualEdit(app.store, request.params.id, actorOf(request), request.body.comment),
      );
      return { edit: editView(r.edit), final: finalSummaryView(r.final) };
    },
  );

  app.post(
    '/vee/run',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Run VEE over closed operating days (all active points, or those given)',
        body: Type.Object(
          {
            from: Day,
            to: Day,
            points: Type.Optional(Type.Array(PointCode, { minItems: 1, maxItems: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: RunReportSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { from, to, points } = request.body;
      checkDay('body.from', from);
      checkDay('body.to', to);
      checkSpan(from, to, '5min', 'body');
      const pointIds = points ? await Promise.all(points.map(pointIdOf)) : undefined;
      const r = await inBody(() =>
        runVeeRange(app.store, { from, to, pointIds, cause: `run:${actorOf(request)}`, logger: request.log as never }),
      );
      return { ...r, staleLocked: r.staleLocked.length };
    },
  );

  app.get(
    '/points/:code/compare',
    {
      schema: {
        tags,
        summary: 'Principal × retaguarda comparison: JSON, or the CSV (level interval/hour/day) or XLSX report',
        params: CodeParams,
        querystring: Type.Object({
          from: Day,
          to: Day,
          format: StringEnum(['json', 'csv', 'xlsx'] as const, { default: 'json' }),
          level: StringEnum(['interval', 'hour', 'day'] as const, { default: 'interval' }),
        }),
        response: {
          200: {
            description: 'JSON, or the CSV / XLSX report with format=csv|xlsx',
            content: {
              'application/json': {
                schema: Type.Object({
                  point: Type.String(),
                  from: Type.String(),
                  to: Type.String(),
                  totals: Type.Array(Json),
                  days: Type.Array(ComparisonDaySchema),
                }),
              },
              'text/csv': { schema: Type.String() },
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
                schema: Type.String({ format: 'binary' }),
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { from, to, format, level } = request.query;
      checkSpan(from, to, '5min');
      const point = await requirePoint(app.store.db, request.params.code);
      const days = await comparePointRange(app.store, Number(point.id), from, to);
      const rows = days.map((cmp) => ({ pointCode: point.code, cmp }));
      const name = `comparacao_${point.code}_${from}_${to}`;
      if (format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}_${level}.csv"`)
          .send(await comparisonCsv(rows, level));
      }
      if (format === 'xlsx') {
        return reply
          .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="${name}.xlsx"`)
          .send(await comparisonXlsx(rows));
      }
      return {
        point: point.code,
        from,
        to,
        totals: compareRange(days).quantities as unknown as Record<string, unknown>[],
        days: days.map(comparisonDayView),
      };
    },
  );

  app.get(
    '/vee/params',
    {
      schema: {
        tags,
        summary: 'VEE parameter versions (global, group:…, point:…), by effective day',
        querystring: Type.Object({ scope: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })) }),
        response: { 200: Type.Object({ items: Type.Array(ParamVersionSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const { scope } = request.query;
      const versions = await inBody(() => listParamVersions(app.store.db, { scope: scope as never }), 'query');
      return {
        items: versions.map((v) => ({
          id: v.id,
          scope: v.scope,
          effectiveFrom: v.effectiveFrom,
          params: v.params as Record<string, unknown>,
          createdBy: v.createdBy,
          createdAt: isoOf(v.createdAt),
          comment: v.comment,
        })),
      };
    },
  );

  app.post(
    '/vee/params',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Add a VEE parameter version (marks the point-days it governs for recomputation)',
        body: Type.Object(
          {
            scope: Type.String({
              pattern: '^(global|group:[^\\s]{1,100}|point:[A-Za-z0-9]{13})$',
              examples: ['global', 'group:subestacao-norte', 'point:RSPKSCALADM01'],
            }),
            effectiveFrom: Day,
            params: Json,
            comment: CommentField,
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ version: ParamVersionSchema, dirty: Type.Integer() }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { comment, ...input } = request.body;
      checkDay('body.effectiveFrom', input.effectiveFrom);
      const r = await inBody(() => addVeeParamVersion(app.store, input, actorOf(request), comment));
      const v = r.version;
      return reply.status(201).send({
        version: {
          id: v.id,
          scope: v.scope,
          effectiveFrom: v.effectiveFrom,
          params: v.params as Record<string, unknown>,
          createdBy: v.createdBy,
          createdAt: isoOf(v.createdAt),
          comment: v.comment,
        },
        dirty: r.dirty,
      });
    },
  );
};

export default plugin;
