/**
 * Metering points: create, update, list, show and retire, each change validated and audited in one transaction.
 */

import { DEFAULT_ZONE } from '../domain/time.ts';
import { audit } from '../store/audit.ts';
import {
  type ChannelRow,
  channelsOfMeters,
  type Db,
  insertPoint,
  listPoints as listPointRows,
  type MeterRow,
  metersOfPoint,
  type PointQuery,
  type PointRow,
  pointByCode,
  updateMeterRow,
  updatePointRow,
} from '../store/registry.ts';
import {
  changedFields,
  checkFields,
  checkInstant,
  checkPointCode,
  type Given,
  POINT_CHECKS,
  POINT_DEFAULTS,
  type PointKind,
  type PointValues,
  pick,
  pointValuesOf,
  type Segment,
} from './fields.ts';
import { requirePoint } from './lookup.ts';
import { conflict, inTransaction, meterColumns, nowOf, pointColumns, type RegistryContext } from './rows.ts';
import { invalid } from './text.ts';

export interface CreatePointInput extends Given<PointValues> {
  code: string;
}

export interface PointDetail {
  point: PointRow;
  /** Every meter of the point, history included, with its channels (disabled ones too). */
  meters: { meter: MeterRow; channels: ChannelRow[] }[];
}

export interface ListPointsInput {
  kind?: string;
  segment?: string;
  tag?: string;
  substation?: string;
  search?: string;
  includeRetired?: boolean;
  limit?: number;
  offset?: number;
}

export function pointSnapshot(row: PointRow): { code: string } & PointValues {
  return { code: row.code, ...pointValuesOf(row) };
}

/** Checks fields given for a point; the point's own zone (given or stored) reads dates without an offset. */
function checkPointFields(input: Given<PointValues>, storedZone: string): Partial<PointValues> {
  const zone =
    input.timezone !== undefined && input.timezone !== null
      ? POINT_CHECKS.timezone('timezone', input.timezone, { zone: DEFAULT_ZONE })
      : storedZone;
  return checkFields(POINT_CHECKS, input, { zone });
}

export async function createPoint(ctx: RegistryContext, input: CreatePointInput): Promise<PointRow> {
  const code = checkPointCode('code', input.code);
  const fields = checkPointFields(input, DEFAULT_ZONE);
  for (const f of ['name', 'kind', 'segment'] as const) {
    if (fields[f] === undefined || fields[f] === null) throw invalid(f, input[f] ?? '', 'is required');
  }
  const values: PointValues = { ...POINT_DEFAULTS, ...(fields as PointValues) };
  return inTransaction(ctx.db, async (db) => {
    if (await pointByCode(db, code)) throw conflict('code', code, `point ${code} is already registered`);
    let row = await insertPoint(db, {
      code,
      name: values.name,
      kind: values.kind,
      segment: values.segment,
      customer: values.customer,
      substation: values.substation,
      voltageKv: values.voltageKv,
      loadCapacityKw: values.loadCapacityKw,
      tags: values.tags,
      timezone: values.timezone,
    });
    if (values.retiredAt) row = await updatePointRow(db, row.id, { retired_at: values.retiredAt });
    await audit(db, {
      actor: ctx.actor,
      action: 'create',
      entity: 'point',
      entityId: code,
      after: pointSnapshot(row),
      comment: ctx.comment,
    });
    return row;
  });
}

/** Applies the given fields; returns the names that changed (none: nothing written, nothing audited). */
export async function updatePoint(
  ctx: RegistryContext,
  code: string,
  patch: Given<PointValues>,
): Promise<{ point: PointRow; changed: string[] }> {
  return inTransaction(ctx.db, async (db) => {
    const row = await requirePoint(db, code);
    const before = pointValuesOf(row);
    const after: PointValues = { ...before, ...checkPointFields(patch, row.timezone) };
    const changed = changedFields(before, after);
    if (changed.length === 0) return { point: row, changed };
    const updated = await updatePointRow(db, row.id, pointColumns(pick(after, changed)));
    await audit(db, {
      actor: ctx.actor,
      action: 'update',
      entity: 'point',
      entityId: row.code,
      before: pick(before, changed),
      after: pick(after, changed),
      comment: ctx.comment,
    });
    return { point: updated, changed };
  });
}

/**
 * Takes a point out of service at `at` (default now): its meters still valid then are closed at the same instant
 * (their history stays), and collection stops reading it.
 */
export async function retirePoint(
  ctx: RegistryContext,
  code: string,
  opts: { at?: Date | string } = {},
): Promise<PointRow> {
  return inTransaction(ctx.db, async (db) => {
    const row = await requirePoint(db, code);
    const at = opts.at === undefined ? nowOf(ctx) : checkInstant('at', opts.at, row.timezone);
    if (row.retired_at) {
      throw conflict('code', row.code, `point ${row.code} was already retired at ${row.retired_at.toISOString()}`);
    }
    for (const m of await metersOfPoint(db, row.id)) {
      if (m.valid_to !== null && m.valid_to <= at) continue;
      if (m.valid_from >= at) {
        throw conflict(
          'at',
          at.toISOString(),
          `meter ${m.serial} only becomes valid at ${m.valid_from.toISOString()}, after the retirement`,
        );
      }
      await updateMeterRow(db, m.id, meterColumns({ validTo: at }));
      await audit(db, {
        actor: ctx.actor,
        action: 'retire',
        entity: 'meter',
        entityId: m.id,
        before: { serial: m.serial, validTo: m.valid_to },
        after: { serial: m.serial, validTo: at },
        comment: ctx.comment ?? `point ${row.code} retired`,
      });
    }
    const updated = await updatePointRow(db, row.id, { retired_at: at });
    await audit(db, {
      actor: ctx.actor,
      action: 'retire',
      entity: 'point',
      entityId: row.code,
      before: { retiredAt: null },
      after: { retiredAt: at },
      comment: ctx.comment,
    });
    return updated;
  });
}

export async function getPoint(db: Db, code: string): Promise<PointDetail> {
  const point = await requirePoint(db, code);
  const meters = await metersOfPoint(db, point.id);
  const channels = await channelsOfMeters(
    db,
    meters.map((m) => m.id),
  );
  return {
    point,
    meters: meters.map((meter) => ({ meter, channels: channels.filter((c) => c.meter_id === meter.id) })),
  };
}

export async function listPoints(db: Db, q: ListPointsInput = {}): Promise<{ total: number; points: PointRow[] }> {
  const query: PointQuery = {
    limit: q.limit ?? 100,
    offset: q.offset ?? 0,
    includeRetired: q.includeRetired ?? false,
  };
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 10_000) {
    throw invalid('limit', q.limit, 'must be 1–10000');
  }
  if (!Number.isInteger(query.offset) || query.offset < 0) throw invalid('offset', q.offset, 'must be 0 or more');
  if (q.kind !== undefined) query.kind = POINT_CHECKS.kind('kind', q.kind, { zone: DEFAULT_ZONE }) as PointKind;
  if (q.segment !== undefined) {
    query.segment = POINT_CHECKS.segment('segment', q.segment, { zone: DEFAULT_ZONE }) as Segment;
  }
  if (q.tag !== undefined) query.tag = q.tag.trim();
  if (q.substation !== undefined) query.substation = q.substation.trim();
  if (q.search !== undefined) query.search = q.search;
  const { total, rows } = await listPointRows(db, query);
  return { total, points: rows };
}
