/**
 * Registry SQL: metering points, meters (with validity dates, so a meter swap keeps history) and communication
 * channels. Validation and CSV live in src/registry/; this module only reads and writes rows.
 */
import { type Insertable, type Kysely, type Selectable, sql, type Transaction, type Updateable } from 'kysely';
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

// ---------------------------------------------------------------------------------------------------------------
// Reads and updates for the registry service (src/registry/).

export interface PointQuery {
  kind?: PointRow['kind'];
  segment?: PointRow['segment'];
  /** Points carrying this tag. */
  tag?: string;
  substation?: string;
  /** Case-insensitive text in the code, name, customer or substation. */
  search?: string;
  includeRetired?: boolean;
  limit: number;
  offset: number;
}

export interface MeterQuery {
  pointCode?: string;
  role?: MeterRow['role'];
  /** Serial starting with these digits. */
  serialPrefix?: string;
  /** Only the versions valid at this instant (default: every version, history included). */
  validAt?: Date;
  limit: number;
  offset: number;
}

export type MeterWithPoint = MeterRow & { point_code: string };
export type ChannelWithMeter = ChannelRow & { meter_serial: string; meter_valid_from: Date };

/** Escapes LIKE wildcards in user text. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function listPoints(db: Db, q: PointQuery): Promise<{ total: number; rows: PointRow[] }> {
  let query = db.selectFrom('metering_point');
  if (!q.includeRetired) query = query.where('retired_at', 'is', null);
  if (q.kind !== undefined) query = query.where('kind', '=', q.kind);
  if (q.segment !== undefined) query = query.where('segment', '=', q.segment);
  if (q.substation !== undefined) query = query.where('substation', '=', q.substation);
  if (q.tag !== undefined) query = query.where(sql<boolean>`tags @> ${sql.val([q.tag])}::text[]`);
  if (q.search !== undefined && q.search.trim() !== '') {
    const pattern = likePattern(q.search.trim());
    query = query.where((eb) =>
      eb.or([
        eb('code', 'ilike', pattern),
        eb('name', 'ilike', pattern),
        eb('customer', 'ilike', pattern),
        eb('substation', 'ilike', pattern),
      ]),
    );
  }
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query.selectAll().orderBy('code').limit(q.limit).offset(q.offset).execute();
  return { total: Number(total.n), rows };
}

export async function pointById(db: Db, id: number): Promise<PointRow | undefined> {
  return db.selectFrom('metering_point').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updatePointRow(db: Db, id: number, patch: Updateable<MeteringPointTable>): Promise<PointRow> {
  return db
    .updateTable('metering_point')
    .set({ ...patch, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Every version of a serial (a meter that left and came back has several), oldest first. */
export async function meterVersions(db: Db, serial: string): Promise<MeterRow[]> {
  return db.selectFrom('meter').selectAll().where('serial', '=', serial).orderBy('valid_from').execute();
}

export async function meterById(db: Db, id: number): Promise<MeterRow | undefined> {
  return db.selectFrom('meter').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A point's meters, history included, principal first then by validity. */
export async function metersOfPoint(db: Db, pointId: number): Promise<MeterRow[]> {
  return db
    .selectFrom('meter')
    .selectAll()
    .where('point_id', '=', pointId)
    .orderBy('role')
    .orderBy('valid_from')
    .orderBy('id')
    .execute();
}

export async function listMeters(db: Db, q: MeterQuery): Promise<{ total: number; rows: MeterWithPoint[] }> {
  let query = db.selectFrom('meter as m').innerJoin('metering_point as p', 'p.id', 'm.point_id');
  if (q.pointCode !== undefined) query = query.where('p.code', '=', q.pointCode);
  if (q.role !== undefined) query = query.where('m.role', '=', q.role);
  if (q.serialPrefix !== undefined) query = query.where('m.serial', 'like', `${q.serialPrefix}%`);
  if (q.validAt !== undefined) {
    const at = q.validAt;
    query = query
      .where('m.valid_from', '<=', at)
      .where((eb) => eb.or([eb('m.valid_to', 'is', null), eb('m.valid_to', '>', at)]));
  }
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .selectAll('m')
    .select('p.code as point_code')
    .orderBy('p.code')
    .orderBy('m.role')
    .orderBy('m.valid_from')
    .orderBy('m.id')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return { total: Number(total.n), rows };
}

export async function updateMeterRow(db: Db, id: number, patch: Updateable<MeterTable>): Promise<MeterRow> {
  return db
    .updateTable('meter')
    .set({ ...patch, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Channels of these meters (disabled ones too), best first: priority, then age. */
export async function channelsOfMeters(db: Db, meterIds: number[]): Promise<ChannelRow[]> {
  if (meterIds.length === 0) return [];
  return db
    .selectFrom('comm_channel')
    .selectAll()
    .where('meter_id', 'in', meterIds)
    .orderBy('meter_id')
    .orderBy('priority', 'desc')
    .orderBy('id')
    .execute();
}

export async function channelById(db: Db, id: number): Promise<ChannelRow | undefined> {
  return db.selectFrom('comm_channel').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listChannels(
  db: Db,
  q: { meterIds?: number[]; concurrencyGroup?: string; includeDisabled?: boolean; limit: number; offset: number },
): Promise<{ total: number; rows: ChannelWithMeter[] }> {
  let query = db.selectFrom('comm_channel as c').innerJoin('meter as m', 'm.id', 'c.meter_id');
  if (q.meterIds !== undefined) {
    if (q.meterIds.length === 0) return { total: 0, rows: [] };
    query = query.where('c.meter_id', 'in', q.meterIds);
  }
  if (q.concurrencyGroup !== undefined) query = query.where('c.concurrency_group', '=', q.concurrencyGroup);
  if (!q.includeDisabled) query = query.where('c.enabled', '=', true);
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .selectAll('c')
    .select(['m.serial as meter_serial', 'm.valid_from as meter_valid_from'])
    .orderBy('m.serial')
    .orderBy('m.valid_from')
    .orderBy('c.priority', 'desc')
    .orderBy('c.id')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return { total: Number(total.n), rows };
}

export async function updateChannelRow(db: Db, id: number, patch: Updateable<CommChannelTable>): Promise<ChannelRow> {
  return db
    .updateTable('comm_channel')
    .set({ ...patch, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface RegistrySnapshot {
  points: PointRow[];
  meters: MeterRow[];
  channels: ChannelRow[];
}

/** The whole registry (points by code; meters and channels by id), for export and import planning. */
export async function loadRegistry(db: Db): Promise<RegistrySnapshot> {
  const points = await db.selectFrom('metering_point').selectAll().orderBy('code').execute();
  const meters = await db.selectFrom('meter').selectAll().orderBy('id').execute();
  const channels = await db.selectFrom('comm_channel').selectAll().orderBy('id').execute();
  return { points, meters, channels };
}

/** Bulk inserts for imports: one statement per batch of rows. */
const BATCH = 500;

function batches<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += BATCH) out.push(rows.slice(i, i + BATCH));
  return out;
}

export async function insertPointRows(db: Db, rows: Insertable<MeteringPointTable>[]): Promise<PointRow[]> {
  const out: PointRow[] = [];
  for (const chunk of batches(rows))
    out.push(...(await db.insertInto('metering_point').values(chunk).returningAll().execute()));
  return out;
}

export async function insertMeterRows(db: Db, rows: Insertable<MeterTable>[]): Promise<MeterRow[]> {
  const out: MeterRow[] = [];
  for (const chunk of batches(rows)) out.push(...(await db.insertInto('meter').values(chunk).returningAll().execute()));
  return out;
}

export async function insertChannelRows(db: Db, rows: Insertable<CommChannelTable>[]): Promise<ChannelRow[]> {
  const out: ChannelRow[] = [];
  for (const chunk of batches(rows))
    out.push(...(await db.insertInto('comm_channel').values(chunk).returningAll().execute()));
  return out;
}
