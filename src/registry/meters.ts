/**
 * Meters of a point: add, update, swap and retire. A meter row is one physical meter over one validity period
 * [valid_from, valid_to): a swap closes the old row and opens a new one at the same instant, so the old meter's data
 * stays attached to it and the history can be read at any date. Per point, at most one principal and one retaguarda
 * are valid at any instant; a serial is valid on at most one point at a time.
 */

import { DEFAULT_ZONE } from '../domain/time.ts';
import { audit } from '../store/audit.ts';
import {
  type ChannelRow,
  channelsOfMeters,
  type Db,
  insertChannel,
  insertMeter,
  listMeters as listMeterRows,
  type MeterQuery,
  type MeterRow,
  type MeterWithPoint,
  metersOfPoint,
  meterVersions,
  pointById,
  updateMeterRow,
} from '../store/registry.ts';
import { type AddChannelFields, channelSnapshot, checkChannelInput } from './channels.ts';
import {
  changedFields,
  checkFields,
  checkInstant,
  checkSerial,
  checkValidFrom,
  DEFAULT_VALID_FROM,
  type Given,
  METER_CHECKS,
  METER_DEFAULTS,
  type MeterRole,
  type MeterValues,
  meterValuesOf,
  overlaps,
  pick,
} from './fields.ts';
import { type MeterSelector, requirePoint, resolveMeter } from './lookup.ts';
import { conflict, inTransaction, meterColumns, notFound, nowOf, type RegistryContext } from './rows.ts';
import { invalid } from './text.ts';

export interface AddMeterInput extends Given<MeterValues> {
  serial: string;
  pointCode: string;
  role: MeterRole | string;
  /** Start of validity (default 2000-01-01: "since always"). */
  validFrom?: Date | string;
  /** The meter's first communication channel, created with it. */
  channel?: AddChannelFields;
}

export interface SwapMeterInput extends Given<Omit<MeterValues, 'pointCode' | 'role' | 'validTo'>> {
  /** Serial of the meter leaving. */
  serial: string;
  /** Serial of the meter taking its place (same point, same role). */
  newSerial: string;
  /** Instant of the swap (default now): the old meter's valid_to and the new one's valid_from. */
  at?: Date | string;
  /** Channel of the new meter; default: copies of the old meter's enabled channels (same modem or line). */
  channel?: AddChannelFields;
}

export interface MeterDetail {
  meter: MeterRow;
  pointCode: string;
  channels: ChannelRow[];
}

export function meterSnapshot(row: MeterRow, pointCode: string): Record<string, unknown> {
  return { id: row.id, serial: row.serial, validFrom: row.valid_from, ...meterValuesOf(row, pointCode) };
}

async function pointCodeOf(db: Db, pointId: number): Promise<string> {
  return (await pointById(db, pointId))!.code;
}

/**
 * Refuses a validity that overlaps another version of the same serial, or another meter of the same role on the
 * same point. `self` is the row being changed (excluded).
 */
async function checkValidity(
  db: Db,
  m: { serial: string; pointId: number; role: MeterRole; validFrom: Date; validTo: Date | null },
  self: number | null,
): Promise<void> {
  if (m.validTo !== null && m.validTo <= m.validFrom) {
    throw invalid('validTo', m.validTo.toISOString(), `must be after validFrom ${m.validFrom.toISOString()}`);
  }
  for (const other of await meterVersions(db, m.serial)) {
    if (other.id === self) continue;
    if (overlaps(m.validFrom, m.validTo, other.valid_from, other.valid_to)) {
      throw conflict(
        'serial',
        m.serial,
        `meter ${m.serial} is already registered from ${other.valid_from.toISOString()}` +
          `${other.valid_to ? ` to ${other.valid_to.toISOString()}` : ''} (on point ${await pointCodeOf(db, other.point_id)})`,
      );
    }
  }
  for (const other of await metersOfPoint(db, m.pointId)) {
    if (other.id === self || other.role !== m.role) continue;
    if (overlaps(m.validFrom, m.validTo, other.valid_from, other.valid_to)) {
      throw conflict(
        'role',
        m.role,
        `point ${await pointCodeOf(db, m.pointId)} already has a ${m.role} meter (${other.serial}) valid from ` +
          `${other.valid_from.toISOString()}${other.valid_to ? ` to ${other.valid_to.toISOString()}` : ''}; ` +
          'use a swap to replace it',
      );
    }
  }
}

export async function addMeter(ctx: RegistryContext, input: AddMeterInput): Promise<MeterRow> {
  const serial = checkSerial('serial', input.serial);
  if (input.pointCode === undefined || input.pointCode === null) throw invalid('pointCode', '', 'is required');
  if (input.role === undefined || input.role === null) throw invalid('role', '', 'is required');
  return inTransaction(ctx.db, async (db) => {
    const point = await requirePoint(db, input.pointCode);
    const zone = { zone: point.timezone };
    const fields = checkFields(METER_CHECKS, { ...input, pointCode: point.code }, zone);
    const validFrom =
      input.validFrom === undefined ? DEFAULT_VALID_FROM : checkValidFrom('validFrom', input.validFrom, zone);
    const channel = input.channel ? checkChannelInput(input.channel) : null;
    const values = { ...METER_DEFAULTS, ...fields } as MeterValues;
    if (point.retired_at) throw conflict('pointCode', point.code, `point ${point.code} is retired`);
    await checkValidity(db, { serial, pointId: point.id, role: values.role, validFrom, validTo: values.validTo }, null);
    const row = await insertMeter(db, point.id, {
      serial,
      role: values.role,
      manufacturer: values.manufacturer,
      model: values.model,
      mmIntervalS: values.mmIntervalS,
      demandIntervalMin: values.demandIntervalMin,
      memoryDays: values.memoryDays,
      tpRatio: values.tpRatio,
      tcRatio: values.tcRatio,
      constantsIncludeRatios: values.constantsIncludeRatios,
      channelMap: values.channelMap,
      validFrom,
      validTo: values.validTo,
    });
    await audit(db, {
      actor: ctx.actor,
      action: 'create',
      entity: 'meter',
      entityId: row.id,
      after: meterSnapshot(row, point.code),
      comment: ctx.comment,
    });
    if (channel) {
      const c = await insertChannel(db, row.id, { ...channel.values, kind: channel.kind, address: channel.address });
      await audit(db, {
        actor: ctx.actor,
        action: 'create',
        entity: 'channel',
        entityId: c.id,
        after: channelSnapshot(c, serial),
        comment: ctx.comment,
      });
    }
    return row;
  });
}

/**
 * Changes fields of one meter version: attributes, role, point (a correction, not a swap), or its validity end.
 */
export async function updateMeter(
  ctx: RegistryContext,
  serial: string,
  patch: Given<MeterValues>,
  sel: MeterSelector = {},
): Promise<{ meter: MeterRow; changed: string[] }> {
  return inTransaction(ctx.db, async (db) => {
    const row = await resolveMeter(db, serial, { at: nowOf(ctx), ...sel });
    const point = await pointById(db, row.point_id);
    const target =
      patch.pointCode !== undefined && patch.pointCode !== null ? await requirePoint(db, patch.pointCode) : point!;
    const before = meterValuesOf(row, point!.code);
    const after: MeterValues = {
      ...before,
      ...checkFields(METER_CHECKS, { ...patch, pointCode: target.code }, { zone: target.timezone }),
    };
    const changed = changedFields(before, after);
    if (changed.length === 0) return { meter: row, changed };
    await checkValidity(
      db,
      { serial: row.serial, pointId: target.id, role: after.role, validFrom: row.valid_from, validTo: after.validTo },
      row.id,
    );
    const updated = await updateMeterRow(db, row.id, meterColumns(pick(after, changed), target.id));
    await audit(db, {
      actor: ctx.actor,
      action: 'update',
      entity: 'meter',
      entityId: row.id,
      before: { serial: row.serial, ...pick(before, changed) },
      after: { serial: row.serial, ...pick(after, changed) },
      comment: ctx.comment,
    });
    return { meter: updated, changed };
  });
}

/**
 * Replaces a meter at `at`: the old meter is valid until `at`, the new one (same point and role) from `at`. Fields not
 * given are inherited from the old meter (ratios, interval, channel map… belong to the installation); the new
 * meter's channel is the one given, or copies of the old meter's enabled channels.
 */
export async function swapMeter(
  ctx: RegistryContext,
  input: SwapMeterInput,
): Promise<{ old: MeterRow; meter: MeterRow; channels: ChannelRow[] }> {
  const newSerial = checkSerial('newSerial', input.newSerial);
  return inTransaction(ctx.db, async (db) => {
    const now = nowOf(ctx);
    const oldSerial = checkSerial('serial', input.serial);
    const versions = await meterVersions(db, oldSerial);
    if (versions.length === 0) throw notFound('meter', oldSerial, `meter ${oldSerial} is not registered`);
    const point = (await pointById(db, versions[0].point_id))!;
    const at = input.at === undefined ? now : checkInstant('at', input.at, point.timezone);
    const old = versions.find((m) => m.valid_from <= at && (m.valid_to === null || m.valid_to > at));
    if (!old) throw conflict('at', at.toISOString(), `meter ${oldSerial} is not in service at ${at.toISOString()}`);
    if (old.valid_from.getTime() === at.getTime()) {
      throw invalid(
        'at',
        at.toISOString(),
        `must be after the old meter's validity start ${old.valid_from.toISOString()}`,
      );
    }
    if (newSerial === oldSerial) throw invalid('newSerial', newSerial, 'is the serial of the meter being replaced');
    const oldPoint = (await pointById(db, old.point_id))!;
    if (oldPoint.retired_at) throw conflict('serial', oldSerial, `point ${oldPoint.code} is retired`);
    const zone = { zone: oldPoint.timezone };
    const given = checkFields(
      METER_CHECKS,
      { ...input, pointCode: undefined, role: undefined, validTo: undefined },
      zone,
    );
    const channel = input.channel ? checkChannelInput(input.channel) : null;
    const inherited = meterValuesOf(old, oldPoint.code);
    const values: MeterValues = { ...inherited, ...given, validTo: null };
    await updateMeterRow(db, old.id, meterColumns({ validTo: at }));
    await checkValidity(
      db,
      { serial: newSerial, pointId: oldPoint.id, role: old.role, validFrom: at, validTo: null },
      null,
    );
    const meter = await insertMeter(db, oldPoint.id, {
      serial: newSerial,
      role: old.role,
      manufacturer: values.manufacturer,
      model: values.model,
      mmIntervalS: values.mmIntervalS,
      demandIntervalMin: values.demandIntervalMin,
      memoryDays: values.memoryDays,
      tpRatio: values.tpRatio,
      tcRatio: values.tcRatio,
      constantsIncludeRatios: values.constantsIncludeRatios,
      channelMap: values.channelMap,
      validFrom: at,
      validTo: null,
    });
    const oldAfter = { ...old, valid_to: at };
    await audit(db, {
      actor: ctx.actor,
      action: 'swap',
      entity: 'meter',
      entityId: old.id,
      before: { serial: old.serial, validTo: old.valid_to },
      after: { serial: old.serial, validTo: at, replacedBy: newSerial, replacedById: meter.id },
      comment: ctx.comment,
    });
    await audit(db, {
      actor: ctx.actor,
      action: 'create',
      entity: 'meter',
      entityId: meter.id,
      after: { ...meterSnapshot(meter, oldPoint.code), replaces: oldSerial, replacesId: oldAfter.id },
      comment: ctx.comment ?? `swap of ${oldSerial}`,
    });
    const templates = channel
      ? [{ ...channel.values, kind: channel.kind, address: channel.address }]
      : (await channelsOfMeters(db, [old.id]))
          .filter((c) => c.enabled)
          .map((c) => ({
            kind: c.kind,
            address: c.address,
            readerSerial: c.reader_serial,
            directional: c.directional,
            packing: c.packing,
            timers: c.timers,
            concurrencyGroup: c.concurrency_group,
            priority: c.priority,
          }));
    const channels: ChannelRow[] = [];
    for (const t of templates) {
      const c = await insertChannel(db, meter.id, t);
      channels.push(c);
      await audit(db, {
        actor: ctx.actor,
        action: 'create',
        entity: 'channel',
        entityId: c.id,
        after: channelSnapshot(c, newSerial),
        comment: ctx.comment ?? `swap of ${oldSerial}`,
      });
    }
    return { old: oldAfter, meter, channels };
  });
}

/** Ends a meter's validity at `at` (default now); its data and history stay. */
export async function retireMeter(
  ctx: RegistryContext,
  serial: string,
  opts: { at?: Date | string; validFrom?: Date | string } = {},
): Promise<MeterRow> {
  return inTransaction(ctx.db, async (db) => {
    const now = nowOf(ctx);
    const row = await resolveMeter(db, serial, { at: now, validFrom: opts.validFrom });
    const point = (await pointById(db, row.point_id))!;
    const at = opts.at === undefined ? now : checkInstant('at', opts.at, point.timezone);
    if (row.valid_to !== null && row.valid_to <= at) {
      throw conflict('serial', row.serial, `meter ${row.serial} was already retired at ${row.valid_to.toISOString()}`);
    }
    if (at <= row.valid_from) {
      throw invalid('at', at.toISOString(), `must be after the meter's validity start ${row.valid_from.toISOString()}`);
    }
    const updated = await updateMeterRow(db, row.id, meterColumns({ validTo: at }));
    await audit(db, {
      actor: ctx.actor,
      action: 'retire',
      entity: 'meter',
      entityId: row.id,
      before: { serial: row.serial, validTo: row.valid_to },
      after: { serial: row.serial, validTo: at },
      comment: ctx.comment,
    });
    return updated;
  });
}

/** Every version of a serial with its point and channels, oldest first. */
export async function getMeter(db: Db, serial: string): Promise<MeterDetail[]> {
  const s = checkSerial('serial', serial);
  const versions = await meterVersions(db, s);
  if (versions.length === 0) throw notFound('meter', s, `meter ${s} is not registered`);
  const channels = await channelsOfMeters(
    db,
    versions.map((m) => m.id),
  );
  const out: MeterDetail[] = [];
  for (const meter of versions) {
    out.push({
      meter,
      pointCode: await pointCodeOf(db, meter.point_id),
      channels: channels.filter((c) => c.meter_id === meter.id),
    });
  }
  return out;
}

export interface ListMetersInput {
  pointCode?: string;
  role?: string;
  serialPrefix?: string;
  /** Only versions valid at this instant; default: in service now. `null`: every version, history included. */
  validAt?: Date | null;
  limit?: number;
  offset?: number;
}

export async function listMeters(
  db: Db,
  q: ListMetersInput = {},
): Promise<{ total: number; meters: MeterWithPoint[] }> {
  const query: MeterQuery = { limit: q.limit ?? 100, offset: q.offset ?? 0 };
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 10_000) {
    throw invalid('limit', q.limit, 'must be 1–10000');
  }
  if (!Number.isInteger(query.offset) || query.offset < 0) throw invalid('offset', q.offset, 'must be 0 or more');
  const ctx = { zone: DEFAULT_ZONE };
  if (q.pointCode !== undefined) query.pointCode = METER_CHECKS.pointCode('pointCode', q.pointCode, ctx);
  if (q.role !== undefined) query.role = METER_CHECKS.role('role', q.role, ctx);
  if (q.serialPrefix !== undefined) {
    if (!/^\d{0,12}$/.test(q.serialPrefix)) throw invalid('serialPrefix', q.serialPrefix, 'must be digits');
    query.serialPrefix = q.serialPrefix;
  }
  if (q.validAt !== null) query.validAt = q.validAt ?? new Date();
  const { total, rows } = await listMeterRows(db, query);
  return { total, meters: rows };
}
