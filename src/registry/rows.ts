/**
 * Registry field values → table columns, and the small helpers every registry write shares (transactions, errors,
 * the clock, audit snapshots).
 */
import type { Kysely, Updateable } from 'kysely';
import { FronteiraError } from '../domain/errors.ts';
import type { Db } from '../store/registry.ts';
import type { CommChannelTable, MeteringPointTable, MeterTable, Schema } from '../store/schema.ts';
import type { ChannelValues, MeterValues, PointValues } from './fields.ts';

/** Who is changing the registry, and how to reach the store. */
export interface RegistryContext {
  db: Db;
  /** Recorded in the audit log: `cli:<os user>`, `api:<user>`… */
  actor: string;
  /** Optional note kept with every audit row of the change. */
  comment?: string;
  /** The clock, for tests; default the system clock. */
  now?: () => Date;
}

export function nowOf(ctx: RegistryContext): Date {
  const t = (ctx.now ? ctx.now() : new Date()).getTime();
  return new Date(Math.floor(t / 1000) * 1000);
}

/** Runs `fn` in the caller's transaction, or in a new one. */
export async function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return (db as Kysely<Schema>).transaction().execute(fn);
}

export function notFound(entity: string, key: string, message: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_NOT_FOUND', message, { entity, key });
}

export function conflict(field: string, value: unknown, reason: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_CONFLICT', `${field}: ${reason}`, { field, value, reason });
}

export function pointColumns(v: Partial<PointValues>): Updateable<MeteringPointTable> {
  const out: Updateable<MeteringPointTable> = {};
  if (v.name !== undefined) out.name = v.name;
  if (v.kind !== undefined) out.kind = v.kind;
  if (v.segment !== undefined) out.segment = v.segment;
  if (v.customer !== undefined) out.customer = v.customer;
  if (v.substation !== undefined) out.substation = v.substation;
  if (v.voltageKv !== undefined) out.voltage_kv = v.voltageKv;
  if (v.loadCapacityKw !== undefined) out.load_capacity_kw = v.loadCapacityKw;
  if (v.tags !== undefined) out.tags = v.tags;
  if (v.timezone !== undefined) out.timezone = v.timezone;
  if (v.retiredAt !== undefined) out.retired_at = v.retiredAt;
  return out;
}

/** Meter columns; `pointId` replaces the point code (resolved by the caller). */
export function meterColumns(v: Partial<Omit<MeterValues, 'pointCode'>>, pointId?: number): Updateable<MeterTable> {
  const out: Updateable<MeterTable> = {};
  if (pointId !== undefined) out.point_id = pointId;
  if (v.role !== undefined) out.role = v.role;
  if (v.manufacturer !== undefined) out.manufacturer = v.manufacturer;
  if (v.model !== undefined) out.model = v.model;
  if (v.mmIntervalS !== undefined) out.mm_interval_s = v.mmIntervalS;
  if (v.demandIntervalMin !== undefined) out.demand_interval_min = v.demandIntervalMin;
  if (v.memoryDays !== undefined) out.memory_days = v.memoryDays;
  if (v.tpRatio !== undefined) out.tp_ratio = v.tpRatio;
  if (v.tcRatio !== undefined) out.tc_ratio = v.tcRatio;
  if (v.constantsIncludeRatios !== undefined) out.constants_include_ratios = v.constantsIncludeRatios;
  if (v.channelMap !== undefined) out.channel_map = JSON.stringify(v.channelMap);
  if (v.validTo !== undefined) out.valid_to = v.validTo;
  return out;
}

export function channelColumns(v: Partial<ChannelValues>): Updateable<CommChannelTable> {
  const out: Updateable<CommChannelTable> = {};
  if (v.readerSerial !== undefined) out.reader_serial = v.readerSerial;
  if (v.directional !== undefined) out.directional = v.directional;
  if (v.packing !== undefined) out.packing = v.packing;
  if (v.concurrencyGroup !== undefined) out.concurrency_group = v.concurrencyGroup;
  if (v.priority !== undefined) out.priority = v.priority;
  if (v.enabled !== undefined) out.enabled = v.enabled;
  if (v.timers !== undefined) out.timers = JSON.stringify(v.timers);
  return out;
}
