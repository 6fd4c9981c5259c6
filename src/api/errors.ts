/**
 * One error shape for every API answer that is not a success: `{ error: { code, message, details } }`, with the
 * status from the error catalogue. Validation failures name the field (`body.username`, `query.limit`…) and the
 * reason; anything unexpected becomes a 500 FRONTEIRA_E_INTERNAL whose details stay in the server log.
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaValidationError,
} from 'fastify';
import { type ErrorCode, FronteiraError, isFronteiraError } from '../domain/errors.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

export function errorBody(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

function fieldOf(context: string | undefined, e: FastifySchemaValidationError): string {
  const path = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = e.params.missingProperty ?? e.params.additionalProperty;
  if (typeof extra === 'string') path.push(extra);
  const part = context === 'querystring' ? 'query' : (context ?? 'body');
  return [part, ...path].join('.');
}

function reasonOf(e: FastifySchemaValidationError): string {
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'additionalProperties') return 'is not allowed';
  return e.message ?? e.keyword;
}

/** A Fastify schema-validation error as a FronteiraError naming the first offending field. */
export function validationError(err: { validation: FastifySchemaValidationError[]; validationContext?: string }) {
  const first = err.validation[0];
  const field = first ? fieldOf(err.validationContext, first) : (err.validationContext ?? 'body');
  const reason = first ? reasonOf(first) : 'is invalid';
  const problems = err.validation.map((v) => ({ field: fieldOf(err.validationContext, v), reason: reasonOf(v) }));
  return new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${reason}`, { field, reason, problems });
}

/** Errors Fastify itself raises for malformed requests (bad JSON, wrong content type, body too large…). */
function fromFastifyError(err: FastifyError): FronteiraError | null {
  const status = err.statusCode;
  if (status === undefined || status < 400 || status >= 500) return null;
  if (status === 404) return new FronteiraError('FRONTEIRA_E_NOT_FOUND', err.message, { fastifyCode: err.code });
  if (status === 429) return new FronteiraError('FRONTEIRA_E_RATE_LIMITED', err.message, { fastifyCode: err.code });
  if (status === 401) return new FronteiraError('FRONTEIRA_E_AUTH', err.message, { fastifyCode: err.code });
  if (status === 403) return new FronteiraError('FRONTEIRA_E_FORBIDDEN', err.message, { fastifyCode: err.code });
  const field = err.code?.startsWith('FST_ERR_CTP') ? 'body' : 'request';
  return new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: ${err.message}`, {
    field,
    reason: err.message,
    fastifyCode: err.code,
    status,
  });
}

/** Statuses Fastify sets that the catalogue status would hide (413 body too large, 415 media type…). */
function statusOf(e: FronteiraError): number {
  const s = e.details.status;
  return typeof s === 'number' && s >= 400 && s < 500 ? s : e.status;
}

function send(reply: FastifyReply, e: FronteiraError): FastifyReply {
  const { status: _s, ...details } = e.details;
  return reply
    .status(statusOf(e))
    .type('application/json; charset=utf-8')
    .send(errorBody(e.code, e.message, details));
}

/** CSRF plugin failures: missing secret or token mismatch. */
function isCsrfError(err: FastifyError): boolean {
  return err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET';
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isFronteiraError(err)) {
      if (err.status >= 500) request.log.error({ err }, 'request failed');
      return send(reply, err);
    }
    const v = err as FastifyError & { validation?: FastifySchemaValidationError[]; validationContext?: string };
    if (Array.isArray(v.validation))
      return send(reply, validationError({ validation: v.validation, validationContext: v.validationContext }));
    if (isCsrfError(err)) {
      return send(
        reply,
        new FronteiraError('FRONTEIRA_E_FORBIDDEN', 'x-csrf-token header missing or not valid for this session', {
          field: 'headers.x-csrf-token',
        }),
      );
    }
    const mapped = fromFastifyError(err);
    if (mapped) return send(reply, mapped);
    request.log.error({ err }, 'unexpected error');
    return send(
      reply,
      new FronteiraError('FRONTEIRA_E_INTERNAL', `internal error (request ${request.id})`, { requestId: request.id }),
    );
  });
  app.setNotFoundHandler((request, reply) => {
    send(
      reply,
      new FronteiraError('FRONTEIRA_E_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, {
        method: request.method,
      }),
    );
  });
}
