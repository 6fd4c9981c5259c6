/**
 * Routes that act on meters ("read now", clock sync, tasks) need the collection engine of this process.
 */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../collect/engine.ts';
import { FronteiraError } from '../domain/errors.ts';

/** The engine, or 503 FRONTEIRA_E_UNAVAILABLE when this API process runs none. */
export function requireEngine(app: FastifyInstance): Engine {
  if (!app.engine) {
    throw new FronteiraError(
      'FRONTEIRA_E_UNAVAILABLE',
      'this API process runs no collection engine; start it with `fronteira serve` or `fronteira start`',
    );
  }
  return app.engine;
}
