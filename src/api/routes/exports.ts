/**
 * CCEE/ONS XML export files (src/exports): the history with filters (layout, point, days, status, stale), one file
 * with the final versions it used, the stored file itself (checked against its recorded sha256 before it is sent,
 * which also goes out in the x-content-sha256 header), generation for points / a tag / every active point over a
 * range of days and regeneration of a stale file (role analista, audited as the caller). Files are written to the
 * delivery folder $FRONTEIRA_EXPORT_DIR (default ./data/exports of the server's working directory).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { FronteiraError } from '../../domain/errors.ts';
import { listLayouts } from '../../exports/layouts/registry.ts';
import { defaultDeliveryDir, type ExportResult, generateExports, regenerateExport } from '../../exports/service.ts';
import { type ExportFileRecord, exportFinals, getExportFile, listExportFiles } from '../../store/exports.ts';
import { pointByCode } from '../../store/registry.ts';
import { actorOf } from '../auth/roles.ts';
import { Day, errorResponses, IdParams, Instant, NullableString, Page, PageQuery } from '../schemas.ts';

const Nullable = <T extends ReturnType<typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);

const ExportFile = Type.Object({
  id: Type.Integer(),
  layout: Type.String(),
  pointId: Type.Integer(),
  pointCode: Type.String(),
  dayFrom: Day,
  dayTo: Day,
  scope: Type.String({ description: 'points:<codes>, tag:<tag>, all, schedule, regenerate:<id>' }),
  status: Type.Union([Type.Literal('produced'), Type.Literal('failed')]),
  fileName: NullableString(),
  sha256: NullableString(),
  bytes: Nullable(Type.Integer()),
  error: NullableString({ description: 'failed: the data or XSD error (point, day, libxml message)' }),
  createdAt: Instant,
  createdBy: Type.String(),
  supersededBy: Nullable(Type.Integer({ description: 'the regenerated file that replaces this one' })),
  replaces: Nullable(Type.Integer({ description: 'the stale file this one regenerates' })),
  stale: Type.Boolean({ description: 'a final version it used has been superseded since' }),
});

const FinalLink = Type.Object({
  finalId: Type.Integer(),
  quantityCode: Type.Integer(),
  day: Day,
  version: Type.Integer(),
  current: Type.Boolean(),
  lockedBy: NullableString(),
});

const Result = Type.Object({
  layout: Type.String(),
  from: Day,
  to: Day,
  points: Type.Integer(),
  produced: Type.Array(
    Type.Object({
      id: Type.Integer(),
      pointCode: Type.String(),
      dayFrom: Day,
      dayTo: Day,
      fileName: Type.String(),
      sha256: Type.String(),
      bytes: Type.Integer(),
    }),
  ),
  failed: Type.Array(
    Type.Object({ id: Type.Integer(), pointCode: Type.String(), dayFrom: Day, dayTo: Day, message: Type.String() }),
  ),
  skipped: Type.Array(Type.Object({ pointCode: Type.String(), dayFrom: Day, dayTo: Day })),
  bytes: Type.Integer(),
});

function view(e: ExportFileRecord) {
  const { path: _path, ...rest } = e;
  return { ...rest, createdAt: e.createdAt.toISOString() };
}

/** The API does not tell clients where the server keeps files: names only. */
function resultView(r: ExportResult) {
  return {
    ...r,
    produced: r.produced.map(({ path: _path, ...p }) => p),
  };
}

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['exports'];

  app.get(
    '/exports/layouts',
    {
      schema: {
        tags,
        summary: 'The XML layouts that can be produced',
        response: {
          200: Type.Array(
            Type.Object({
              id: Type.String(),
              description: Type.String(),
              granularity: Type.Union([Type.Literal('point-day'), Type.Literal('point-range')]),
              quantityCodes: Type.Array(Type.Integer()),
            }),
          ),
          ...errorResponses,
        },
      },
    },
    async () =>
      listLayouts().map((l) => ({
        id: l.id,
        description: l.description,
        granularity: l.granularity,
        quantityCodes: [...l.quantityCodes],
      })),
  );

  app.get(
    '/exports',
    {
      schema: {
        tags,
        summary: 'Export files, newest first (the history: regenerated files keep their stale predecessors)',
        querystring: Type.Composite([
          PageQuery,
          Type.Object({
            layout: Type.Optional(Type.String({ maxLength: 40 })),
            point: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{13}$', description: 'SCDE point code' })),
            from: Type.Optional(Day),
            to: Type.Optional(Day),
            status: Type.Optional(Type.Union([Type.Literal('produced'), Type.Literal('failed')])),
            stale: Type.Optional(
              Type.Boolean({ description: 'true: stale files not yet regenerated; false: files that are not stale' }),
            ),
          }),
        ]),
        response: { 200: Page(ExportFile), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      let pointIds: number[] | undefined;
      if (q.point !== undefined) {
        const p = await pointByCode(app.store.db, q.point.toUpperCase());
        if (!p)
          throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `point ${q.point} does not exist`, { field: 'point' });
        pointIds = [Number(p.id)];
      }
      const r = await listExportFiles(app.store.db, {
        layout: q.layout,
        pointIds,
        from: q.from,
        to: q.to,
        status: q.status,
        stale: q.stale,
        limit: q.limit,
        offset: q.offset,
      });
      return { items: r.items.map(view), total: r.total, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/exports/:id',
    {
      schema: {
        tags,
        summary: 'One export file and the final-series versions it used',
        params: IdParams,
        response: {
          200: Type.Composite([ExportFile, Type.Object({ finals: Type.Array(FinalLink) })]),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const rec = await getExportFile(app.store.db, request.params.id);
      if (!rec) {
        throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `export ${request.params.id} does not exist`, {
          id: request.params.id,
        });
      }
      return { ...view(rec), finals: await exportFinals(app.store.db, rec.id) };
    },
  );

  app.get(
    '/exports/:id/file',
    {
      schema: {
        tags,
        summary: 'Download the stored file; x-content-sha256 carries its recorded SHA-256 (checked before sending)',
        params: IdParams,
        produces: ['application/xml'],
        response: {
          200: {
            description: 'The XML file as produced',
            content: { 'application/xml': { schema: Type.String({ format: 'binary' }) } },
          },
          ...errorResponses,
          409: Type.Ref('ErrorResponse'),
        },
      },
    },
    async (request, reply) => {
      const rec = await getExportFile(app.store.db, request.params.id);
      if (!rec) {
        throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `export ${request.params.id} does not exist`, {
          id: request.params.id,
        });
      }
      if (rec.status !== 'produced' || rec.path === null || rec.sha256 === null) {
        throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `export ${rec.id} failed: no file was produced`, {
          id: rec.id,
        });
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(rec.path);
      } catch {
        throw new FronteiraError(
          'FRONTEIRA_E_NOT_FOUND',
          `export ${rec.id}: ${rec.fileName} is no longer in the delivery folder`,
          { id: rec.id, fileName: rec.fileName },
        );
      }
      const digest = createHash('sha256').update(bytes).digest();
      if (digest.toString('hex') !== rec.sha256) {
        throw new FronteiraError(
          'FRONTEIRA_E_CONFLICT',
          `export ${rec.id}: ${rec.fileName} on disk does not match its recorded sha256 (changed after export)`,
          { id: rec.id, fileName: rec.fileName },
        );
      }
      const name = rec.fileName ?? basename(rec.path);
      return reply
        .type('application/xml; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('x-content-sha256', rec.sha256)
        .header('repr-digest', `sha-256=:${digest.toString('base64')}:`)
        .send(bytes);
    },
  );

  app.post(
    '/exports',
    {
      config: { role: 'analista' },
      schema: {
        tags,
        summary: 'Generate files for points (codes), a tag, or every active point over a range of operating days',
        body: Type.Object({
          layout: Type.String({ maxLength: 40, examples: ['ccee-5min'] }),
          from: Day,
          to: Type.Optional(Day),
          points: Type.Optional(
            Type.Array(Type.String({ pattern: '^[A-Za-z0-9]{13}$' }), { minItems: 1, maxItems: 10000 }),
          ),
          tag: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          all: Type.Optional(Type.Boolean({ description: 'every active point (when neither points nor tag)' })),
        }),
        response: { 200: Result, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request) => {
      const b = request.body;
      const given = [b.points !== undefined, b.tag !== undefined, b.all === true].filter(Boolean).length;
      if (given !== 1) {
        throw new FronteiraError('FRONTEIRA_E_VALIDATION', 'body: give exactly one of points, tag or all: true', {
          field: 'body',
        });
      }
      const r = await generateExports(app.store, {
        layout: b.layout,
        from: b.from,
        to: b.to ?? b.from,
        pointCodes: b.points,
        tag: b.tag,
        all: b.all === true ? true : undefined,
        deliveryDir: defaultDeliveryDir(),
        actor: actorOf(request),
      });
      return resultView(r);
    },
  );

  app.post(
    '/exports/:id/regenerate',
    {
      config: { role: 'analista' },
      schema: {
        tags,
        summary: 'Write the corrected file of a stale one from the current finals (a new file linked to the old)',
        params: IdParams,
        body: Type.Optional(
          Type.Object({ force: Type.Optional(Type.Boolean({ description: 'even if it is not stale' })) }),
        ),
        response: { 200: Result, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request) => {
      const r = await regenerateExport(app.store, request.params.id, {
        deliveryDir: defaultDeliveryDir(),
        actor: actorOf(request),
        force: request.body?.force === true,
      });
      return resultView(r);
    },
  );
};

export default plugin;
