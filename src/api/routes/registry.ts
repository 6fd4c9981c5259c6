/**
 * The registry as a spreadsheet: export every point, meter and primary channel as CSV (Excel pt-BR friendly), and
 * import one as an upsert. `?dryRun=true` validates against the stored registry and reports what would change, or
 * every bad line and column; a real import with any problem answers 400 with all of them and changes nothing.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { FronteiraError, isFronteiraError } from '../../domain/errors.ts';
import { exportRegistryCsv, importRegistryFile } from '../../registry/service.ts';
import { actorOf } from '../auth/roles.ts';
import { errorResponses } from '../schemas.ts';

const Counts = Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() });

const Problem = Type.Object({
  line: Type.Union([Type.Integer(), Type.Null()]),
  column: Type.String(),
  reason: Type.String(),
  message: Type.String(),
});

const ImportReportSchema = Type.Object({
  source: Type.String(),
  format: Type.String(),
  dryRun: Type.Boolean(),
  valid: Type.Boolean({ description: 'false only on a dry run that found problems' }),
  counts: Type.Union([
    Type.Object({
      points: Counts,
      meters: Counts,
      channels: Type.Composite([Counts, Type.Object({ disabled: Type.Integer() })]),
    }),
    Type.Null(),
  ]),
  changes: Type.Array(Type.String()),
  problems: Type.Array(Problem),
});

/** Registry files are small, but a utility's whole registry can be several megabytes. */
const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['registry'];
  for (const type of ['text/csv', 'text/plain', 'application/csv', 'application/vnd.ms-excel']) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
  }

  app.get(
    '/registry.csv',
    {
      schema: {
        tags,
        summary: 'The whole registry as CSV (one line per meter; `;`, CRLF, UTF-8 BOM)',
        produces: ['text/csv'],
        response: {
          200: { description: 'CSV', content: { 'text/csv': { schema: Type.String() } } },
          ...errorResponses,
        },
      },
    },
    async (_request, reply) => {
      const csv = await exportRegistryCsv(app.store.db);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="cadastro.csv"')
        .send(csv);
    },
  );

  app.post(
    '/registry/import',
    {
      config: { role: 'analista' },
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Import a registry CSV (upsert); ?dryRun=true only validates and reports',
        consumes: ['text/csv'],
        querystring: Type.Object({
          dryRun: Type.Boolean({ default: false }),
          source: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'file name for audit' })),
        }),
        response: { 200: ImportReportSchema, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body as unknown;
      const input =
        body instanceof Uint8Array ? body : typeof body === 'string' ? body : body === undefined ? '' : null;
      if (input === null) {
        throw new FronteiraError('FRONTEIRA_E_VALIDATION', 'body: send the registry as text/csv', {
          field: 'body',
          reason: 'must be CSV text',
        });
      }
      const { dryRun, source = 'api-upload.csv' } = request.query;
      try {
        const r = await importRegistryFile({ db: app.store.db, actor: actorOf(request) }, input, { source, dryRun });
        return { ...r, valid: true, problems: [] };
      } catch (e) {
        if (dryRun && isFronteiraError(e, 'FRONTEIRA_E_IMPORT')) {
          const problems =
            (e.details.errors as { line: number | null; column: string; reason: string; message: string }[]) ?? [];
          return { source, format: 'csv', dryRun: true, valid: false, counts: null, changes: [], problems };
        }
        throw e;
      }
    },
  );
};

export default plugin;
