/**
 * Energy summaries (resumos) through the API: hourly, daily or monthly totals per channel of the current final
 * series by market segment or by group (tag), with the completeness of their inputs — as JSON, or the CSV / XLSX
 * report of src/summary. Points of kind 'virtual' stay out unless includeVirtual=true (no double counting).
 */
import { Writable } from 'node:stream';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { FronteiraError } from '../../domain/errors.ts';
import { SEGMENTS } from '../../registry/fields.ts';
import { writeSummaryCsv } from '../../summary/csv.ts';
import { MAX_SUMMARY_DAYS, parseChannels, type Summary, type SummaryRow, summarize } from '../../summary/summary.ts';
import { writeSummaryXlsx } from '../../summary/xlsx.ts';
import { Day, errorResponses } from '../schemas.ts';
import { inBody, StringEnum } from '../views/common.ts';
import { checkDay } from './intervals-data.ts';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const SummaryQuery = Type.Object({
  by: StringEnum(['segment', 'tag'] as const, { description: 'group by market segment or by tag' }),
  name: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 50,
      description: 'one segment (cativo, livre, geracao, faturamento) or one tag; absent = every group',
    }),
  ),
  resolution: StringEnum(['hour', 'day', 'month'] as const, { default: 'day' }),
  from: Day,
  to: Day,
  channels: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 20,
      pattern: '^[A-Za-z, ]+$',
      examples: ['C,G'],
      description: 'default all',
    }),
  ),
  includeVirtual: Type.Boolean({ default: false, description: 'count points of kind virtual too' }),
  format: StringEnum(['json', 'csv', 'xlsx'] as const, { default: 'json' }),
});

const Counts = {
  energy: Type.Number({ description: 'sum of the slots with a value, in unit' }),
  expectedSlots: Type.Integer(),
  actual: Type.Integer(),
  substituted: Type.Integer(),
  estimated: Type.Integer(),
  manual: Type.Integer(),
  missing: Type.Integer(),
  completeness: Type.Number({ description: '(expected − missing) / expected, 0…1' }),
  points: Type.Integer(),
};

const RowSchema = Type.Object({
  group: Type.String(),
  channel: Type.String(),
  quantityCode: Type.Integer(),
  unit: Type.String(),
  period: Type.String({ description: 'YYYY-MM, YYYY-MM-DD or the hour start YYYY-MM-DDTHH:00-03:00' }),
  ...Counts,
  pointsWithData: Type.Integer(),
  pointsWithoutData: Type.Integer(),
});

const TotalSchema = Type.Object({
  group: Type.String(),
  channel: Type.String(),
  quantityCode: Type.Integer(),
  unit: Type.String(),
  ...Counts,
});

const SummarySchema = Type.Object({
  by: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  resolution: Type.String(),
  from: Type.String(),
  to: Type.String(),
  channels: Type.Array(Type.String()),
  includeVirtual: Type.Boolean(),
  totals: Type.Array(TotalSchema, { description: 'over the whole range, per group and channel' }),
  rows: Type.Array(RowSchema),
});

export type SummaryTotal = Omit<SummaryRow, 'period' | 'pointsWithData' | 'pointsWithoutData'>;

/** Per group and channel over every period: sums of energy and slots; points = the most in any period. */
export function summaryTotals(rows: readonly SummaryRow[]): SummaryTotal[] {
  const out = new Map<string, SummaryTotal>();
  for (const r of rows) {
    const key = `${r.group}\u0000${r.channel}`;
    const t = out.get(key);
    if (!t) {
      const { period: _p, pointsWithData: _w, pointsWithoutData: _o, ...rest } = r;
      out.set(key, { ...rest });
      continue;
    }
    t.energy += r.energy;
    t.expectedSlots += r.expectedSlots;
    t.actual += r.actual;
    t.substituted += r.substituted;
    t.estimated += r.estimated;
    t.manual += r.manual;
    t.missing += r.missing;
    t.points = Math.max(t.points, r.points);
  }
  for (const t of out.values())
    t.completeness = t.expectedSlots === 0 ? 1 : (t.expectedSlots - t.missing) / t.expectedSlots;
  return [...out.values()];
}

/** A writer's output collected in memory (a summary report is a few MB at most: 93 days of hours). */
async function collect(write: (out: NodeJS.WritableStream) => Promise<void>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  await write(sink);
  return Buffer.concat(chunks);
}

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/summaries',
    {
      schema: {
        tags: ['summaries'],
        summary: 'Totals per channel by segment or tag (hour, day, month) with input completeness; JSON, CSV or XLSX',
        description: `Longest range: ${MAX_SUMMARY_DAYS.hour} days hourly, ${MAX_SUMMARY_DAYS.day} daily, ${MAX_SUMMARY_DAYS.month} monthly.`,
        querystring: SummaryQuery,
        response: {
          200: {
            description: 'JSON, or the report with format=csv|xlsx',
            content: {
              'application/json': { schema: SummarySchema },
              'text/csv': { schema: Type.String() },
              [XLSX]: { schema: Type.String({ format: 'binary' }) },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      checkDay('query.from', q.from);
      checkDay('query.to', q.to);
      if (q.by === 'segment' && q.name !== undefined && !(SEGMENTS as readonly string[]).includes(q.name)) {
        throw new FronteiraError(
          'FRONTEIRA_E_VALIDATION',
          `query.name: '${q.name}' is not a segment (${SEGMENTS.join(', ')})`,
          {
            field: 'query.name',
            reason: 'is not a segment',
          },
        );
      }
      const summary: Summary = await inBody(async () => {
        const channels = q.channels === undefined ? undefined : parseChannels(q.channels);
        return summarize(app.store.db, {
          by: q.by === 'segment' ? { kind: 'segment' } : { kind: 'tag', tag: q.name ?? null },
          resolution: q.resolution,
          from: q.from,
          to: q.to,
          channels,
          includeVirtual: q.includeVirtual,
        });
      }, 'query');
      // By segment the service answers every segment: one is picked here.
      const rows =
        q.by === 'segment' && q.name !== undefined ? summary.rows.filter((r) => r.group === q.name) : summary.rows;
      const picked: Summary = { ...summary, rows };
      const file = `resumo_${q.by}${q.name ? `_${q.name.replace(/[^A-Za-z0-9_-]/g, '_')}` : ''}_${q.resolution}_${q.from}_${q.to}`;
      if (q.format === 'csv') {
        const body = await collect((out) => writeSummaryCsv(picked, out));
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${file}.csv"`)
          .send(body);
      }
      if (q.format === 'xlsx') {
        const body = await collect((out) => writeSummaryXlsx(picked, out));
        return reply.type(XLSX).header('content-disposition', `attachment; filename="${file}.xlsx"`).send(body);
      }
      return {
        by: q.by,
        name: q.name ?? null,
        resolution: summary.resolution,
        from: summary.from,
        to: summary.to,
        channels: summary.channels,
        includeVirtual: summary.includeVirtual,
        totals: summaryTotals(rows),
        rows,
      };
    },
  );
};

export default plugin;
