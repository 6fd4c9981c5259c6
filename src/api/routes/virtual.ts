/**
 * Virtual meters (medidores virtuais) through the API: the list, one meter with its inputs, dependents and
 * definition history, the analyst's changes (define, change, retire — audited by the service as `user:<name>`),
 * a recomputation over a range, and the live preview of a formula being typed.
 *
 * A virtual meter is a metering point of kind 'virtual' whose results are final series: its intervals are served by
 * GET /points/:code/intervals like any point's (`intervalsUrl` in every view links there).
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { type ErrorCode, errorCatalogue, FronteiraError } from '../../domain/errors.ts';
import { operatingDayStart } from '../../domain/time.ts';
import { MAX_FORMULA_LENGTH } from '../../virtual/formula/index.ts';
import {
  computeVirtual,
  defineVirtualMeter,
  getVirtualMeter,
  listVirtualMeters,
  type PreviewDay,
  type PreviewResult,
  previewFormula,
  retireVirtualMeter,
  updateVirtualMeter,
  type VirtualInputRef,
  type VirtualMeter,
  type VirtualMeterDetail,
} from '../../virtual/service.ts';
import { actorOf } from '../auth/roles.ts';
import { Day, errorResponses, NullableString, NumOrNull, Page, PageQuery, QualityCounts } from '../schemas.ts';
import { CommentField, defined, Iso, inBody, isoOf, OrNull, StringEnum } from '../views/common.ts';
import { PointCode, SegmentSchema } from '../views/registry.ts';
import { checkSpan } from './intervals-data.ts';

const CHANNELS = ['C', 'G', 'QC', 'QG'] as const;
const Channel = StringEnum(CHANNELS, { description: 'C kWh consumo, G kWh geração, QC/QG kvarh' });
/** As the service accepts it: no quotes or backslashes (a formula writes it vm("name")). */
const Name = Type.String({ minLength: 1, maxLength: 80, pattern: '^[^"\'\\\\]+$', examples: ['liquido-se-norte'] });
const Formula = Type.String({
  minLength: 1,
  maxLength: MAX_FORMULA_LENGTH,
  examples: ['RSPKSCALADM01.C - RSPKSCALADM02.G'],
});
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 100 });
const NameParams = Type.Object({ name: Name });

/** Beyond this many days a preview is summed per hour (a month of 5-min slots is ~8,900 points per input). */
export const PREVIEW_5MIN_MAX_DAYS = 31;

const InputSchema = Type.Object({
  kind: StringEnum(['point', 'virtual'] as const),
  code: Type.String({ description: 'point code of the series (the virtual point for kind virtual)' }),
  quantityCode: Type.Integer(),
  label: Type.String({ description: 'as the formula names it: CODE.C or vm("name")' }),
  name: Type.Optional(Type.String()),
  intervalsUrl: Type.String(),
});

const VirtualSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  code: Type.String({ description: 'code of the virtual point holding the results' }),
  channel: Channel,
  quantityCode: Type.Integer(),
  unit: Type.String(),
  formula: Type.String(),
  description: OrNull(Type.String()),
  tags: Type.Array(Type.String()),
  segment: Type.String(),
  version: Type.Integer(),
  status: StringEnum(['active', 'retired'] as const),
  createdAt: Iso,
  createdBy: Type.String(),
  updatedAt: Iso,
  retiredAt: OrNull(Iso),
  intervalsUrl: Type.String({
    description: 'the results: final series of the virtual point (GET it with from=YYYY-MM-DD&to=YYYY-MM-DD)',
  }),
});

const DetailSchema = Type.Composite([
  VirtualSchema,
  Type.Object({
    inputs: Type.Array(InputSchema),
    groups: Type.Array(Type.String()),
    dependents: Type.Array(Type.String(), { description: 'virtual meters reading this one, in recomputation order' }),
    history: Type.Array(
      Type.Object({
        version: Type.Integer(),
        formula: Type.String(),
        channel: Type.String(),
        description: OrNull(Type.String()),
        tags: Type.Array(Type.String()),
        at: Iso,
        by: Type.String(),
        comment: OrNull(Type.String()),
      }),
    ),
    problem: OrNull(Type.String({ description: 'why the formula no longer checks (an input retired…)' })),
  }),
]);

const PreviewSchema = Type.Object({
  unit: Type.String(),
  channel: OrNull(Channel),
  resolution: StringEnum(['5min', 'hour'] as const),
  from: Type.String(),
  to: Type.String(),
  inputs: Type.Array(InputSchema),
  days: Type.Array(
    Type.Object({
      day: Type.String(),
      intervalS: Type.Integer(),
      slots: Type.Integer(),
      firstEnd: Type.String({ description: 'end of the first slot; slot k ends firstEnd + k·intervalS' }),
      values: Type.Array(NumOrNull),
      quality: Type.Array(Type.String(), { description: 'N missing, A actual, S, E, M: the weakest input quality' }),
      reasonInput: Type.Array(Type.Union([Type.Integer(), Type.Null()]), {
        description: 'index into inputs of the input that made the slot non-actual',
      }),
    }),
  ),
  total: NumOrNull,
  counts: QualityCounts,
  divZeroCount: Type.Integer(),
});

const ComputeSchema = Type.Object({
  name: Type.String(),
  from: Type.String(),
  to: Type.String(),
  meters: Type.Integer({ description: 'virtual meters computed (this one and its dependents)' }),
  pointDays: Type.Integer(),
  changed: Type.Integer(),
  unchanged: Type.Integer(),
  staleLocked: Type.Integer({ description: 'changed series whose previous version was locked (exported/billed)' }),
  qualities: QualityCounts,
  ms: Type.Number(),
});

const intervalsUrl = (code: string) => `/api/v1/points/${code}/intervals?layer=final`;

function meterView(m: VirtualMeter) {
  return {
    id: m.id,
    name: m.name,
    code: m.code,
    channel: m.channel,
    quantityCode: m.quantityCode,
    unit: m.unit,
    formula: m.formula,
    description: m.description,
    tags: m.tags,
    segment: m.segment,
    version: m.version,
    status: m.retiredAt ? ('retired' as const) : ('active' as const),
    createdAt: isoOf(m.createdAt),
    createdBy: m.createdBy,
    updatedAt: isoOf(m.updatedAt),
    retiredAt: m.retiredAt ? isoOf(m.retiredAt) : null,
    intervalsUrl: intervalsUrl(m.code),
  };
}

function inputView(i: VirtualInputRef) {
  return {
    kind: i.kind,
    code: i.code,
    quantityCode: i.quantityCode,
    label: i.label,
    ...(i.name === undefined ? {} : { name: i.name }),
    intervalsUrl: intervalsUrl(i.code),
  };
}

function detailView(d: VirtualMeterDetail) {
  return {
    ...meterView(d),
    inputs: d.inputs.map(inputView),
    groups: d.groups,
    dependents: d.dependents,
    history: d.history.map((h) => ({
      version: h.version,
      formula: h.formula,
      channel: h.channel,
      description: h.description,
      tags: h.tags,
      at: isoOf(h.at),
      by: h.by,
      comment: h.comment,
    })),
    problem: d.problem,
  };
}

const QUALITY_RANK: Record<string, number> = { N: 0, E: 1, M: 2, S: 3, A: 4 };

/**
 * A preview's days summed per hour (by the hour each slot ends in): an hour's value is the sum of its slots that
 * have one (null when none has), its quality the weakest of its slots, its reason the input behind that.
 */
export function hourlyDays(days: readonly PreviewDay[]): PreviewDay[] {
  return days.map((d) => {
    const hours = Math.max(1, Math.ceil((d.slots * d.intervalS) / 3600));
    const value: (number | null)[] = new Array(hours).fill(null);
    const quality: string[] = new Array(hours).fill('A');
    const reasonInput: (string | null)[] = new Array(hours).fill(null);
    for (let k = 0; k < d.slots; k++) {
      const h = Math.min(hours - 1, Math.floor((k * d.intervalS) / 3600));
      const v = d.value[k];
      if (v !== null && v !== undefined) value[h] = (value[h] ?? 0) + v;
      const q = d.quality[k] ?? 'N';
      if ((QUALITY_RANK[q] ?? 0) < (QUALITY_RANK[quality[h]] ?? 0)) {
        quality[h] = q;
        reasonInput[h] = d.reasonInput[k] ?? null;
      }
    }
    return { ...d, slots: hours, intervalS: 3600, value, quality, reasonInput };
  });
}

/**
 * The first problem of a failed preview as the error the API answers: a formula problem keeps its column/length
 * (the span the UI marks); other catalogue codes pass through (an unexpected one stays a 500).
 */
function previewError(r: PreviewResult): FronteiraError {
  const first = r.errors[0];
  if (!first) {
    return new FronteiraError('FRONTEIRA_E_FORMULA', 'formula could not be evaluated', { column: 1, length: 0 });
  }
  if (first.code === 'FRONTEIRA_E_FORMULA') {
    return new FronteiraError('FRONTEIRA_E_FORMULA', first.message, {
      field: 'body.formula',
      column: first.column ?? 1,
      length: first.length ?? 0,
      problems: r.errors,
    });
  }
  const code = (Object.hasOwn(errorCatalogue, first.code) ? first.code : 'FRONTEIRA_E_INTERNAL') as ErrorCode;
  // An unexpected failure's text may name internals: the client gets a generic one (the error handler logs 5xx).
  const message = code === 'FRONTEIRA_E_INTERNAL' ? 'internal error while checking the formula' : first.message;
  return new FronteiraError(code, message, code === 'FRONTEIRA_E_VALIDATION' ? { field: 'body' } : {});
}

function previewView(r: PreviewResult, req: { channel?: string; from: string; to: string }, hourly: boolean) {
  const days = hourly ? hourlyDays(r.days) : r.days;
  const index = new Map(r.inputs.map((i, n) => [i.label, n]));
  const counts = { N: 0, A: 0, S: 0, E: 0, M: 0 };
  let total: number | null = null;
  let divZeroCount = 0;
  for (const d of r.days) {
    for (const q of ['N', 'A', 'S', 'E', 'M'] as const) counts[q] += d.counts[q] ?? 0;
    if (d.value.some((v) => v !== null)) total = (total ?? 0) + d.energy;
    divZeroCount += d.divZero;
  }
  return {
    unit: r.unit ?? '',
    channel: (req.channel ?? null) as (typeof CHANNELS)[number] | null,
    resolution: hourly ? ('hour' as const) : ('5min' as const),
    from: req.from,
    to: req.to,
    inputs: r.inputs.map(inputView),
    days: days.map((d) => ({
      day: d.day,
      intervalS: d.intervalS,
      slots: d.slots,
      firstEnd: isoOf(new Date(operatingDayStart(d.day) + d.intervalS * 1000)),
      values: d.value,
      quality: d.quality,
      reasonInput: d.reasonInput.map((l) => (l === null ? null : (index.get(l) ?? null))),
    })),
    total,
    counts,
    divZeroCount,
  };
}

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['virtual'];
  const analista = { role: 'analista' as const };

  app.get(
    '/virtual-meters',
    {
      schema: {
        tags,
        summary: 'List virtual meters (filters: status, tag, q)',
        querystring: Type.Composite([
          PageQuery,
          Type.Object({
            status: StringEnum(['active', 'retired', 'all'] as const, { default: 'active' }),
            tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
            q: Type.Optional(Type.String({ maxLength: 100, description: 'text in the name, code or description' })),
          }),
        ]),
        response: { 200: Page(VirtualSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, offset, status, tag, q } = request.query;
      const r = await inBody(
        () =>
          listVirtualMeters(app.store, {
            includeRetired: status !== 'active',
            tag,
            q: q || undefined,
            limit: status === 'retired' ? undefined : limit,
            offset: status === 'retired' ? undefined : offset,
          }),
        'query',
      );
      if (status !== 'retired') return { items: r.items.map(meterView), total: r.total, limit, offset };
      // The service lists active (+ retired) ones; only retired is filtered and paged here.
      const retired = r.items.filter((m) => m.retiredAt !== null);
      return { items: retired.slice(offset, offset + limit).map(meterView), total: retired.length, limit, offset };
    },
  );

  app.post(
    '/virtual-meters',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Define a virtual meter (its formula is checked: references, units, cycles)',
        body: Type.Object(
          {
            name: Name,
            channel: Channel,
            formula: Formula,
            description: Type.Optional(NullableString({ maxLength: 2000 })),
            tags: Type.Optional(Tags),
            code: Type.Optional(PointCode),
            segment: Type.Optional(SegmentSchema),
            comment: CommentField,
          },
          { additionalProperties: false },
        ),
        response: { 201: DetailSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const input = { ...b, code: b.code?.toUpperCase() };
      const d = await inBody(() => defineVirtualMeter(app.store, defined(input) as typeof input, actorOf(request)));
      return reply.status(201).send(detailView(d));
    },
  );

  app.post(
    '/virtual-meters/preview',
    {
      schema: {
        tags,
        summary: `Evaluate a formula over a range without saving: per slot up to ${PREVIEW_5MIN_MAX_DAYS} days, per hour beyond`,
        description:
          'A bad formula answers 400 FRONTEIRA_E_FORMULA with details.column (1-based) and details.length: the span to mark.',
        body: Type.Object(
          {
            formula: Type.String({ minLength: 1, maxLength: MAX_FORMULA_LENGTH }),
            channel: Type.Optional(Channel),
            from: Day,
            to: Day,
            name: Type.Optional(Name),
            resolution: StringEnum(['auto', '5min', 'hour'] as const, { default: 'auto' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: PreviewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      checkSpan(b.from, b.to, 'hour', 'body');
      const days = Math.round((Date.parse(`${b.to}T00:00:00Z`) - Date.parse(`${b.from}T00:00:00Z`)) / 86_400_000) + 1;
      if (b.resolution === '5min' && days > PREVIEW_5MIN_MAX_DAYS) {
        throw new FronteiraError(
          'FRONTEIRA_E_VALIDATION',
          `body.to: ${days} days at resolution 5min; at most ${PREVIEW_5MIN_MAX_DAYS} (use hour)`,
          { field: 'body.to', reason: `span over ${PREVIEW_5MIN_MAX_DAYS} days` },
        );
      }
      const hourly = b.resolution === 'hour' || (b.resolution === 'auto' && days > PREVIEW_5MIN_MAX_DAYS);
      const r = await inBody(() =>
        previewFormula(app.store, {
          formula: b.formula,
          channel: b.channel,
          from: b.from,
          to: b.to,
          selfName: b.name,
        }),
      );
      if (!r.ok) throw previewError(r);
      return previewView(r, b, hourly);
    },
  );

  app.get(
    '/virtual-meters/:name',
    {
      schema: {
        tags,
        summary: 'One virtual meter with its inputs, dependents and definition history',
        params: NameParams,
        response: { 200: DetailSchema, ...errorResponses },
      },
    },
    async (request) => detailView(await getVirtualMeter(app.store, request.params.name)),
  );

  app.patch(
    '/virtual-meters/:name',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Change a virtual meter (a new formula is checked, and its results recomputed)',
        params: NameParams,
        body: Type.Object(
          {
            formula: Type.Optional(Formula),
            description: Type.Optional(NullableString({ maxLength: 2000 })),
            tags: Type.Optional(Tags),
            segment: Type.Optional(SegmentSchema),
            comment: CommentField,
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: DetailSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request) => {
      const d = await inBody(() =>
        updateVirtualMeter(app.store, request.params.name, defined(request.body), actorOf(request)),
      );
      return detailView(d);
    },
  );

  app.delete(
    '/virtual-meters/:name',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Retire a virtual meter (its results stay; refused while other virtual meters read it)',
        params: NameParams,
        querystring: Type.Object({ comment: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) }),
        response: { 200: VirtualSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request) => {
      const m = await inBody(
        () => retireVirtualMeter(app.store, request.params.name, actorOf(request), request.query.comment ?? null),
        'query',
      );
      return meterView(m);
    },
  );

  app.post(
    '/virtual-meters/:name/compute',
    {
      config: analista,
      schema: {
        tags,
        summary: 'Recompute a virtual meter (and the virtual meters reading it) over a range of operating days',
        params: NameParams,
        body: Type.Object({ from: Day, to: Day }, { additionalProperties: false }),
        response: { 200: ComputeSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { from, to } = request.body;
      checkSpan(from, to, 'hour', 'body');
      const m = await getVirtualMeter(app.store, request.params.name);
      const r = await inBody(() =>
        computeVirtual(app.store, { names: [m.name], from, to, cause: `compute:${actorOf(request)}` }),
      );
      return { name: m.name, from, to, ...r };
    },
  );
};

export default plugin;
