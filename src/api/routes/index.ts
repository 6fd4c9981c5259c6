/**
 * Every route module of the API, registered by buildApp under /api/v1 in this order. Add a module: write
 * src/api/routes/<area>.ts with `export default plugin` and append it here.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import auth from './auth.ts';
import users from './users.ts';

export const routeModules: FastifyPluginAsyncTypebox[] = [auth, users];
