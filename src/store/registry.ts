/**
 * Registry SQL: metering points, meters (with validity dates, so a meter swap keeps history) and communication
 * channels. Validation and CSV live in src/registry/; this module only reads and writes rows.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ChannelMapEntry, CommChannelTable, MeteringPointTable, MeterTable, Schema } from './schema.ts';

export type Db = Kysely<Schema> | Transaction<Schema>;
export type PointRow = Selectable<MeteringPointTable>;
export type MeterRow = Selectable<MeterTable>;
export type ChannelRow = Selectable<CommChannelTable>;

export interface PointInput {
  code: string;
  name: string;
  kind: PointRow['kind'];
  segment: PointRow['segment'];
  customer?: string | null;
  substation?: string | null;
  voltageKv?: number | null;
  loadCapacityKw?: number | null;
  tags?: string[];
  timezone?: string;
}

export interface MeterInput {
  pointCode: string;
  serial: string;
  role: MeterRow['role'];
  manufacturer?: string | null;
  model?: string | null;
  mmIntervalS?: number;
  demandIntervalMin?: number | null;
  memoryDays?: number;
  tpRatio?: number;
  tcRatio?: number;
  constantsIncludeRatios?: boolean;
  channelMap?: ChannelMapEntry[];
  validFrom?: Date;
  validTo?: Date | null;
}

export interface ChannelInput {
  meterSerial: string;
  kind: ChannelRow['kind'];
  address: string;
  readerSerial?: string;
  directional?: boolean;
  packing?: ChannelRow['packing'];
  timers?: Record<string, number>;
  concurrencyGroup?: string;
  priority?: number;
  enabled?: boolean;
}

/** A meter in service with what collection needs: its point and its enabled channels, best first. */
export interface ActiveMeter {
  meter: MeterRow;
  point: PointRow;
  channels: ChannelRow[];
}

export async function insertPoint(db: Db, p: PointInput): Promise<PointRow> {
  return db
    .insertInto('metering_point')
    .values({
      code: p.code,
      name: p.name,
      kind: p.kind,
      segment: p.segment,
      customer: p.customer ?? null,
      substation: p.substation ?? null,
      voltage_kv: p.voltageKv ?? null,
      load_capacity_kw: p.loadCapacityKw ?? null,
      tags: p.tags ?? [],
      timezone: p.timezone ?? 'America/Sao_Paulo',
      retired_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function pointByCode(db: Db, code: string): Promise<PointRow | undefined> {
  return db.selectFrom('metering_point').selectAll().where('code', '=', code).executeTakeFirst();
}

/** The meter with this serial valid at `at` (default now). */
export async function meterBySerial(db: Db, serial: string, at: Date = new Date()): Promise<MeterRow | undefined> {
  return db
    .selectFrom('meter')
    .selectAll()
    .where('serial', '=', serial)
    .where('valid_from', '<=', at)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', at)]))
    .executeTakeFirst();
}

export async function insertMeter(db: Db, pointId: number, m: Omit<MeterInput, 'pointCode'>): Promise<MeterRow> {
  return db
    .insertInto('meter')
    .values({
      point_id: pointId,
      serial: m.serial,
      role: m.role,
      manufacturer: m.manufacturer ?? null,
      model: m.model ?? null,
      mm_interval_s: m.mmIntervalS ?? 300,
      demand_interval_min: m.demandIntervalMin ?? null,
      memory_days: m.memoryDays ?? 35,
      tp_ratio: m.tpRatio ?? 1,
      tc_ratio: m.tcRatio ?? 1,
      constants_include_ratios: m.constantsIncludeRatios ?? true,
      channel_map: JSON.stringify(m.channelMap ?? []),
      valid_from: m.validFrom ?? new Date('2000-01-01T00:00:00Z'),
      valid_to: m.validTo ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertChannel(
  db: Db,
  meterId: number,
  c: Omit<ChannelInput, 'meterSerial'>,
): Promise<ChannelRow> {
  return db
    .insertInto('comm_channel')
    .values({
      meter_id: meterId,
      kind: c.kind,
      address: c.address,
      reader_serial: c.readerSerial ?? '000001',
      directional: c.directional ?? false,
      packing: c.packing ?? 'msn-first',
      password: null,
      timers: JSON.stringify(c.timers ?? {}),
      concurrency_group: c.concurrencyGroup ?? c.address,
      priority: c.priority ?? 0,
      enabled: c.enabled ?? true,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Meters in service now (valid, on a point not retired) with their enabled channels. */
export async function listActiveMeters(db: Db, at: Date = new Date()): Promise<ActiveMeter[]> {
  const rows = await db
    .selectFrom('meter as m')
    .innerJoin('metering_point as p', 'p.id', 'm.point_id')
    .selectAll('m')
    .select([
      'p.id as p_id',
      'p.code as p_code',
      'p.name as p_name',
      'p.kind as p_kind',
      'p.segment as p_segment',
      'p.customer as p_customer',
      'p.substation as p_substation',
      'p.voltage_kv as p_voltage_kv',
      'p.load_capacity_kw as p_load_capacity_kw',
      'p.tags as p_tags',
      'p.timezone as p_timezone',
      'p.retired_at as p_retired_at',
      'p.created_at as p_created_at',
      'p.updated_at as p_updated_at',
    ])
    .where('p.retired_at', 'is', null)
    .where('m.valid_from', '<=', at)
    .where((eb) => eb.or([eb('m.valid_to', 'is', null), eb('m.valid_to', '>', at)]))
    .orderBy('p.code')
    .orderBy('m.role')
    .execute();
  if (rows.length === 0) return [];
  const channels = await db
    .selectFrom('comm_channel')
    .selectAll()
    .where(
      'meter_id',
      'in',
      rows.map((r) => r.id),
    )
    .where('enabled', '=', true)
    .orderBy('priority', 'desc')
    .orderBy('id')
    .execute();
  const byMeter = new Map<number, ChannelRow[]>();
  for (const c of channels) {
    const list = byMeter.get(c.meter_id) ?? [];
    list.push(c);
    byMeter.set(c.meter_id, list);
  }
  return rows.map((r) => {
    const {
      p_id,
      p_code,
      p_name,
      p_kind,
      p_segment,
      p_customer,
      p_substation,
      p_voltage_kv,
      p_load_capacity_kw,
      p_tags,
      p_timezone,
      p_retired_at,
      p_created_at,
      p_updated_at,
      ...meter
    } = r;
    return {
      meter: meter as MeterRow,
      point: {
        id: p_id,
        code: p_code,
        name: p_name,
        kind: p_kind,
        segment: p_segment,
        customer: p_customer,
        substation: p_substation,
        voltage_kv: p_voltage_kv,
        load_capacity_kw: p_load_capacity_kw,
        tags: p_tags,
        timezone: p_timezone,
        retired_at: p_retired_at,
        created_at: p_created_at,
        updated_at: p_updated_at,
      },
      channels: byMeter.get(r.id) ?? [],
    };
  });
}
