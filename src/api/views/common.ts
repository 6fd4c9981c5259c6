/**
 * Small schema and value helpers the data routes share: string enums (one `enum` keyword, so a bad value gives one
 * clear ajv message), nullable scalars that survive ajv's type coercion, and dates as ISO text.
 */
import { type TSchema, Type } from '@sinclair/typebox';
import { FronteiraError, isFronteiraError } from '../../domain/errors.ts';

/** A string from a fixed list, as one `enum` (a union of literals would give one error per literal). */
export function StringEnum<const T extends string>(
  values: readonly T[],
  options: { description?: string; default?: NoInfer<T> } = {},
) {
  return Type.Unsafe<T>({ ...options, type: 'string', enum: [...values] });
}

/** A number (or integer) or null, written as a type list so coercion does not turn null into 0. */
export function NullableNumber(
  options: {
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
    integer?: boolean;
    description?: string;
  } = {},
) {
  const { integer, ...rest } = options;
  return Type.Unsafe<number | null>({ ...rest, type: [integer ? 'integer' : 'number', 'null'] });
}

/** A response field that may be null. */
export function OrNull<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

export const Iso = Type.String({ format: 'date-time' });

export function iso(d: Date | string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

export function isoOf(d: Date | string): string {
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

/** An optional note kept with the audit rows of a change. */
export const CommentField = Type.Optional(Type.String({ minLength: 1, maxLength: 2000 }));

/** Removes keys whose value is undefined (a PATCH body gives only what changes). */
export function defined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Runs a service call whose validation errors name a field of the request body (`voltageKv`), and names it as the
 * schema errors do (`body.voltageKv`), so a client finds the field the same way whichever check refused it.
 */
export async function inBody<T>(fn: () => Promise<T>, part = 'body'): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && typeof e.details.field === 'string') {
      const field = e.details.field;
      if (!/^(body|query|params)(\.|$)/.test(field)) {
        throw new FronteiraError(
          e.code,
          `${part}.${e.message}`,
          { ...e.details, field: `${part}.${field}` },
          { cause: e },
        );
      }
    }
    throw e;
  }
}

/** preValidation for actions whose body is all optional: a POST without a body is the empty object. */
export async function emptyBodyOk(request: { body: unknown }): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}
