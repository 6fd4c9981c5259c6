/**
 * TypeBox pieces every route module shares: the error answer, pagination, id params. Schemas are the validation
 * (Fastify compiles them with ajv) and the OpenAPI document at once.
 */
import { type TSchema, Type } from '@sinclair/typebox';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable code from the error catalogue, e.g. FRONTEIRA_E_VALIDATION' }),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  { $id: 'ErrorResponse', title: 'Error' },
);

/** `response` entries for the usual failures; spread into a route's response map. */
export const errorResponses = {
  400: Type.Ref('ErrorResponse'),
  401: Type.Ref('ErrorResponse'),
  403: Type.Ref('ErrorResponse'),
  404: Type.Ref('ErrorResponse'),
} as const;

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

/** `{ items, total, limit, offset }` around an item schema. */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    total: Type.Integer({ minimum: 0 }),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
}

export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('analista'), Type.Literal('leitura')]);

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** ISO 8601 instant with offset. */
export const Instant = Type.String({ format: 'date-time' });
/** Operating day, YYYY-MM-DD. */
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', examples: ['2026-11-26'] });

/**
 * A string or null. Written as `type: ['string', 'null']` rather than a union: with ajv's type coercion (Fastify's
 * default) an anyOf [string, null] turns a null into "".
 */
export function NullableString(
  options: { maxLength?: number; minLength?: number; pattern?: string; format?: string; description?: string } = {},
) {
  return Type.Unsafe<string | null>({ ...options, type: ['string', 'null'] });
}

/** A number or null (missing); a type list rather than anyOf, so the serializer checks it with typeof per element. */
export const NumOrNull = Type.Unsafe<number | null>({ type: ['number', 'null'] });

/** Slots per quality: N missing, A actual, S substituted, E estimated, M manual. */
export const QualityCounts = Type.Object({
  N: Type.Integer(),
  A: Type.Integer(),
  S: Type.Integer(),
  E: Type.Integer(),
  M: Type.Integer(),
});
