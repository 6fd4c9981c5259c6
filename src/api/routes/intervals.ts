/**
 * Interval data of a point: raw (per meter role and channel), validated or final (per quantity, with quality,
 * method, reason and source per slot), at 5 minutes or summed per hour or day with counts per quality; JSON or CSV.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { isoInZone } from '../../domain/iso-zone.ts';
import { intervalsJson } from '../../profiles/json.ts';
import { calendarMonthOf, gunzipProfile, monthProfile, saveMonthProfile } from '../../profiles/month-cache.ts';
import { aggregate, loadSeries } from '../../profiles/series.ts';
import { checkPointCode } from '../../registry/fields.ts';
import { pointNotRegistered } from '../../registry/lookup.ts';
import { requirePoint } from '../../registry/service.ts';
import { Day, errorResponses, NumOrNull, QualityCounts } from '../schemas.ts';
import { StringEnum } from '../views/common.ts';
import { intervalsCsv } from './intervals-csv.ts';
import { checkSpan } from './intervals-data.ts';
import { CodeParams } from './points.ts';

const DaySchema = Type.Object({
  day: Type.String(),
  intervalS: Type.Integer(),
  slots: Type.Integer(),
  firstEnd: Type.String({ description: 'end of the first slot; slot k ends firstEnd + k·intervalS' }),
  version: Type.Optional(Type.Integer()),
  values: Type.Array(NumOrNull),
  quality: Type.Array(Type.String(), { description: 'N missing, A actual, S substituted, E estimated, M manual' }),
  flags: Type.Optional(
    Type.Array(Type.Integer(), { description: 'raw flag bits: 1 actual, 2 power off, 4 clock, 8 conflict' }),
  ),
  severity: Type.Optional(Type.Array(Type.String())),
  rules: Type.Optional(Type.Array(Type.Integer(), { description: 'bitmask of VEE rules raised (bit n = Vn)' })),
  method: Type.Optional(Type.Array(Type.String())),
  reason: Type.Optional(Type.Array(Type.String())),
  source: Type.Optional(Type.Array(Type.String())),
});

const RowSchema = Type.Object({
  at: Type.String({ description: 'end of the hour, or start of the day' }),
  day: Type.String(),
  value: NumOrNull,
  counts: QualityCounts,
});

const SeriesSchema = Type.Object({
  meterSerial: Type.Optional(Type.String()),
  role: Type.Optional(Type.String()),
  channel: Type.Optional(Type.Integer()),
  quantityCode: Type.Union([Type.Integer(), Type.Null()]),
  unit: Type.String(),
  days: Type.Optional(Type.Array(DaySchema)),
  rows: Type.Optional(Type.Array(RowSchema)),
});

export const IntervalsQuery = Type.Object({
  layer: StringEnum(['raw', 'validated', 'final'] as const, { default: 'final' }),
  from: Day,
  to: Day,
  quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: 99, description: 'quantity code (1 = kWh direct…)' })),
  resolution: StringEnum(['5min', 'hour', 'day'] as const, { default: '5min' }),
  format: StringEnum(['json', 'csv'] as const, { default: 'json' }),
});

/** Whether an If-None-Match header names this entity tag (a list, or `*`). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || v.replace(/^W\//, '') === etag.replace(/^W\//, '');
  });
}

/** gzip is acceptable unless the client said q=0 for it (or for * without naming gzip). */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    const q = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return ok;
    if (coding === '*') star = ok;
  }
  return star;
}

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/points/:code/intervals',
    {
      schema: {
        tags: ['intervals'],
        summary: 'Interval data of a point: raw, validated or final; 5-min, hourly or daily; JSON or CSV',
        description:
          'A whole calendar month (from = its first day, to = its last) of raw or final data at 5 minutes in JSON ' +
          'is served from a stored copy while it still matches the data (header X-Fronteira-Profile: stored, else ' +
          'built), gzip-encoded to clients that accept it, with a weak ETag (If-None-Match gives 304).',
        params: CodeParams,
        querystring: IntervalsQuery,
        response: {
          200: {
            description: 'JSON, or CSV with format=csv',
            content: {
              'application/json': {
                schema: Type.Object({
                  point: Type.String(),
                  timezone: Type.String(),
                  layer: Type.String(),
                  resolution: Type.String(),
                  from: Type.String(),
                  to: Type.String(),
                  series: Type.Array(SeriesSchema),
                }),
              },
              'text/csv': { schema: Type.String() },
            },
          },
          304: Type.Null({ description: 'not modified: the If-None-Match tag is still current (whole-month answers)' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      checkSpan(q.from, q.to, q.resolution);
      const month = calendarMonthOf(q.from, q.to);
      if (
        month !== null &&
        q.resolution === '5min' &&
        q.format === 'json' &&
        q.quantity === undefined &&
        (q.layer === 'raw' || q.layer === 'final')
      ) {
        // A whole calendar month: the stored body while it still matches the data (profiles/month-cache.ts).
        const layer = q.layer;
        const code = checkPointCode('pointCode', request.params.code);
        const p = await monthProfile(app.store, { code }, layer, month, app.profileMemo);
        if (!p) throw pointNotRegistered(code);
        const point = p.point;
        app.metrics.observeMonthProfile(layer, p.source);
        const etag = `W/"${p.fingerprint}"`;
        reply
          .header('etag', etag)
          .header('vary', 'accept-encoding')
          .header('x-fronteira-profile', p.gzip ? 'stored' : 'built');
        if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
        reply.type('application/json; charset=utf-8');
        if (p.gzip) {
          if (acceptsGzip(request.headers['accept-encoding']))
            return reply.header('content-encoding', 'gzip').send(p.gzip);
          return reply.send(await gunzipProfile(p.gzip));
        }
        const json = p.json!;
        // Stored after the answer has gone; a failure only costs the next reader a rebuild.
        reply.raw.once('finish', () => {
          saveMonthProfile(app.store.db, point, layer, month, p.fingerprint, json).then(p.remember, (e) =>
            request.log.warn({ err: e }, `month profile ${point.code} ${layer} ${month} not stored`),
          );
        });
        return reply.send(json);
      }
      const point = await requirePoint(app.store.db, request.params.code);
      const zone = point.timezone;
      const series = await loadSeries(app.store.db, point, q);
      if (q.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="${point.code}_${q.layer}_${q.resolution}_${q.from}_${q.to}.csv"`,
          )
          .send(intervalsCsv(point.code, q.layer, q.resolution, series, zone));
      }
      const resolution = q.resolution;
      if (resolution === '5min') {
        // Written as text from the typed arrays (profiles/json.ts): a JSON string with a JSON content type goes
        // out as it is, without the schema serializer.
        const head = {
          point: point.code,
          timezone: zone,
          layer: q.layer,
          resolution,
          from: q.from,
          to: q.to,
        };
        return reply.type('application/json; charset=utf-8').send(intervalsJson(head, series));
      }
      return {
        point: point.code,
        timezone: zone,
        layer: q.layer,
        resolution: q.resolution,
        from: q.from,
        to: q.to,
        series: series.map((s) => {
          const head = {
            meterSerial: s.meterSerial,
            role: s.role,
            channel: s.channel,
            quantityCode: s.quantityCode,
            unit: s.unit,
          };
          return {
            ...head,
            rows: aggregate(s, resolution, zone).map((r) => ({
              at: isoInZone(r.at, zone),
              day: r.day,
              value: r.value,
              counts: r.counts,
            })),
          };
        }),
      };
    },
  );
};

export default plugin;
