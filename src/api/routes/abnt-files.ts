/**
 * ABNT reading files (spec §12, src/exports/abnt-file/): download any stored read session as a file, and import a
 * file (contingency reading: handheld collectors, other systems) as a reading, audited as the caller. A bad file is
 * a 400 FRONTEIRA_E_FILE_FORMAT naming the block and offset (details.block, details.offset, details.reason); an
 * unregistered or unexpected meter is FRONTEIRA_E_IMPORT. Nothing is stored for a refused file.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { FronteiraError } from '../../domain/errors.ts';
import { exportSessionAbntFile } from '../../exports/abnt-file/export.ts';
import { importAbntFiles } from '../../exports/abnt-file/import.ts';
import { actorOf } from '../auth/roles.ts';
import { Day, errorResponses, IdParams, Instant } from '../schemas.ts';

/** A 60-day 5-minute memory of 7 channel groups is under 1 MB; the limit leaves room for odd collectors. */
const BODY_LIMIT = 16 * 1024 * 1024;

const FILE_TYPES = ['application/octet-stream', 'application/x-abnt-reading'];

const Layout = Type.Union([Type.Literal('fk7'), Type.Literal('fk7-crc')], {
  description: "'fk7': 256-byte blocks without CRC (spec §12); 'fk7-crc': 258-byte blocks as received",
});

const FileResult = Type.Object({
  name: Type.String(),
  sha256: Type.String(),
  layout: Layout,
  blocks: Type.Integer(),
  meterSerial: Type.String(),
  meterId: Type.Integer(),
  pointCode: Type.String(),
  readingAt: Instant,
  expectedName: Type.String({ description: 'the name the §12 rule gives this reading' }),
  sessionId: Type.Union([Type.Integer(), Type.Null()], { description: 'null in a dry run' }),
  duplicate: Type.Boolean({ description: 'already imported: nothing stored, sessionId is the stored session' }),
  intervals: Type.Integer(),
  filledSlots: Type.Integer(),
  conflicts: Type.Integer(),
  days: Type.Array(Day),
  events: Type.Integer(),
  warnings: Type.Array(Type.String()),
});

const ImportReport = Type.Object({ dryRun: Type.Boolean(), files: Type.Array(FileResult) });

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['abnt-files'];
  for (const type of FILE_TYPES) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
  }

  app.get(
    '/sessions/:id/abnt-file',
    {
      schema: {
        tags,
        summary: "A read session's responses as an ABNT reading file, named NNNNN$XX.XXX (spec §12)",
        params: IdParams,
        querystring: Type.Object({
          layout: Type.Union([Type.Literal('fk7'), Type.Literal('fk7-crc')], { default: 'fk7' }),
          withExceptions: Type.Boolean({ default: false, description: 'also write 0x39/0x40 exception answers' }),
        }),
        produces: ['application/octet-stream'],
        response: {
          200: {
            description: 'The file; x-abnt-file-warnings lists what was left out (JSON array)',
            content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { layout, withExceptions } = request.query;
      const exp = await exportSessionAbntFile(app.store.db, request.params.id, { layout, withExceptions });
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${exp.name}"`)
        .header('x-abnt-file-name', exp.name)
        .header('x-abnt-file-blocks', String(exp.blocks))
        .header('x-abnt-file-meter', exp.meterSerial)
        .header('x-abnt-file-warnings', JSON.stringify(exp.warnings))
        .send(Buffer.from(exp.bytes.buffer, exp.bytes.byteOffset, exp.bytes.byteLength));
    },
  );

  app.post(
    '/abnt-files',
    {
      config: { role: 'analista' },
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        summary: 'Import an ABNT reading file as a reading (contingency reading); ?dryRun=true only checks and reports',
        consumes: FILE_TYPES,
        querystring: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 255, description: 'the file name (§12 check, audit)' }),
          dryRun: Type.Boolean({ default: false }),
          layout: Type.Union([Type.Literal('auto'), Type.Literal('fk7'), Type.Literal('fk7-crc')], { default: 'auto' }),
          packing: Type.Optional(Type.Union([Type.Literal('msn-first'), Type.Literal('lsn-first')])),
          meter: Type.Optional(Type.String({ pattern: '^\\d{1,8}$', description: 'refuse files of any other meter' })),
        }),
        response: { 200: ImportReport, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body as unknown;
      if (!(body instanceof Uint8Array)) {
        throw new FronteiraError('FRONTEIRA_E_VALIDATION', 'body: send the file as application/octet-stream', {
          field: 'body',
          reason: 'must be the file bytes',
        });
      }
      const q = request.query;
      return importAbntFiles(app.store, [{ name: q.name, bytes: new Uint8Array(body) }], {
        actor: actorOf(request),
        dryRun: q.dryRun,
        layout: q.layout,
        packing: q.packing,
        meterSerial: q.meter,
      });
    },
  );
};

export default plugin;
