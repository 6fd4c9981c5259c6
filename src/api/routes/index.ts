/**
 * Every route module of the API, registered by buildApp under /api/v1 in this order. Add a module: write
 * src/api/routes/<area>.ts with `export default plugin` and append it here.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import abntFiles from './abnt-files.ts';
import auth from './auth.ts';
import channels from './channels.ts';
import completeness from './completeness.ts';
import exportFiles from './exports.ts';
import intervals from './intervals.ts';
import meterStatus from './meter-status.ts';
import meters from './meters.ts';
import points from './points.ts';
import registry from './registry.ts';
import reports from './reports.ts';
import sessions from './sessions.ts';
import summaries from './summaries.ts';
import tasks from './tasks.ts';
import users from './users.ts';
import vee from './vee.ts';
import virtual from './virtual.ts';

export const routeModules: FastifyPluginAsyncTypebox[] = [
  auth,
  users,
  points,
  meterStatus,
  meters,
  channels,
  registry,
  intervals,
  completeness,
  vee,
  sessions,
  tasks,
  virtual,
  summaries,
  abntFiles,
  exportFiles,
  reports,
];
