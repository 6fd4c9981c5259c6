/**
 * Reports for download (src/reports): principal × retaguarda, completeness, energy (PDF, XLSX, CSV) and final series
 * (CSV), streamed as they are written — the response starts before the last point is read, and memory stays flat as
 * the report grows. Any authenticated user (leitura) may download. Inputs are checked before the first byte goes
 * out (400 naming the field, 404 for unknown points or tags); an error after that can only cut the download short,
 * and is logged.
 */
import { PassThrough } from 'node:stream';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { resolveReportPoints } from '../../reports/points.ts';
import {
  CONTENT_TYPES,
  checkReportRequest,
  REPORT_FORMATS,
  REPORT_KINDS,
  reportFileName,
  scopeOf,
  writeReport,
} from '../../reports/run.ts';
import { Day, errorResponses } from '../schemas.ts';
import { StringEnum } from '../views/common.ts';
import { checkDay } from './intervals-data.ts';

const CHANNELS: Readonly<Record<string, number>> = { C: 1, G: 14, QC: 10, QG: 15 };

function channelCodes(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => CHANNELS[s.trim().toUpperCase()]);
}

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/reports/:kind',
    {
      schema: {
        tags: ['reports'],
        summary: 'Download a report: compare | completeness | energy (pdf, xlsx, csv) or series (csv)',
        description:
          'Points by `points` (SCDE codes, comma-separated) and/or `tag`. Limits: compare and series/energy up to 93 ' +
          'days, completeness up to 366; points × days bounded per kind (compare xlsx/csv: 3,100). Text in pt-BR.',
        params: Type.Object({ kind: StringEnum(REPORT_KINDS) }),
        querystring: Type.Object({
          format: StringEnum(REPORT_FORMATS),
          from: Day,
          to: Day,
          points: Type.Optional(
            Type.String({ minLength: 1, maxLength: 20_000, pattern: '^[A-Za-z0-9]{13}(,[A-Za-z0-9]{13})*$' }),
          ),
          tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
          channel: Type.Optional(
            Type.String({
              pattern: '^(C|G|QC|QG)(,(C|G|QC|QG))*$',
              description: 'energy and series: channels, comma-separated (default all)',
            }),
          ),
        }),
        response: {
          200: {
            description: 'The report file (Content-Disposition: attachment)',
            content: {
              'application/pdf': { schema: Type.String({ format: 'binary' }) },
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
                schema: Type.String({ format: 'binary' }),
              },
              'text/csv': { schema: Type.String() },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { kind } = request.params;
      const { format, from, to, points: codes, tag, channel } = request.query;
      checkDay('query.from', from);
      checkDay('query.to', to);
      const fields = { kind: 'params.kind', format: 'query.format', points: 'query.points', to: 'query.to' };
      checkReportRequest(kind, format, 0, from, to, fields);
      const points = await resolveReportPoints(
        app.store.db,
        { codes: codes?.split(','), tag },
        { codes: 'query.points', tag: 'query.tag' },
      );
      checkReportRequest(kind, format, points.length, from, to, fields);
      const out = new PassThrough();
      writeReport(
        app.store,
        { kind, format, points, from, to, quantities: channelCodes(channel), scope: scopeOf(points, tag) },
        out,
      ).catch((e) => {
        request.log.error({ err: e, kind, format }, 'report failed while streaming');
        out.destroy(e instanceof Error ? e : new Error(String(e)));
      });
      return reply
        .type(CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="${reportFileName(kind, format, from, to)}"`)
        .header('cache-control', 'no-store')
        .send(out);
    },
  );
};

export default plugin;
