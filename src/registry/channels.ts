/**
 * Communication channels of a meter: how to reach it (TCP or serial address, reader serial, link settings) and its
 * concurrency group — the physical line or modem, one session at a time — which defaults to the address.
 */
import { DEFAULT_ZONE } from '../domain/time.ts';
import { audit } from '../store/audit.ts';
import {
  type ChannelRow,
  type ChannelWithMeter,
  channelById,
  channelsOfMeters,
  type Db,
  insertChannel,
  listChannels as listChannelRows,
  meterById,
  meterVersions,
  updateChannelRow,
} from '../store/registry.ts';
import {
  CHANNEL_CHECKS,
  type ChannelValues,
  changedFields,
  channelValuesOf,
  checkAddress,
  checkFields,
  checkSerial,
  type Given,
  pick,
} from './fields.ts';
import { type MeterSelector, resolveMeter } from './lookup.ts';
import { conflict, inTransaction, notFound, nowOf, type RegistryContext } from './rows.ts';
import { invalid } from './text.ts';

export interface AddChannelFields extends Given<ChannelValues> {
  /** tcp://HOST:PORT or serial:///dev/ttyX?baud=9600 */
  address: string;
}

export interface AddChannelInput extends AddChannelFields, MeterSelector {
  meterSerial: string;
}

export interface UpdateChannelInput extends Given<ChannelValues> {
  address?: string;
}

export function channelSnapshot(row: ChannelRow, meterSerial: string): Record<string, unknown> {
  return { id: row.id, meterSerial, kind: row.kind, address: row.address, ...channelValuesOf(row) };
}

/** Validates a new channel's fields; the concurrency group defaults to the address (one modem = one line). */
export function checkChannelInput(input: AddChannelFields): {
  address: string;
  kind: 'tcp' | 'serial';
  values: Partial<ChannelValues> & { concurrencyGroup: string };
} {
  const { address, kind } = checkAddress('address', input.address);
  const values = checkFields(CHANNEL_CHECKS, input, { zone: DEFAULT_ZONE });
  return { address, kind, values: { ...values, concurrencyGroup: values.concurrencyGroup ?? address } };
}

function parseId(id: number | string): number {
  const n = typeof id === 'number' ? id : Number(String(id).trim());
  if (!Number.isSafeInteger(n) || n < 1) throw invalid('id', id, 'is not a channel id');
  return n;
}

async function requireChannel(db: Db, id: number | string): Promise<ChannelRow> {
  const n = parseId(id);
  const row = await channelById(db, n);
  if (!row) throw notFound('channel', String(n), `channel ${n} does not exist`);
  return row;
}

export async function addChannel(ctx: RegistryContext, input: AddChannelInput): Promise<ChannelRow> {
  const checked = checkChannelInput(input);
  return inTransaction(ctx.db, async (db) => {
    const meter = await resolveMeter(db, input.meterSerial, { at: input.at ?? nowOf(ctx), validFrom: input.validFrom });
    const existing = await channelsOfMeters(db, [meter.id]);
    if (existing.some((c) => c.address === checked.address)) {
      throw conflict('address', checked.address, `meter ${meter.serial} already has a channel at ${checked.address}`);
    }
    const row = await insertChannel(db, meter.id, { ...checked.values, kind: checked.kind, address: checked.address });
    await audit(db, {
      actor: ctx.actor,
      action: 'create',
      entity: 'channel',
      entityId: row.id,
      after: channelSnapshot(row, meter.serial),
      comment: ctx.comment,
    });
    return row;
  });
}

export async function updateChannel(
  ctx: RegistryContext,
  id: number | string,
  patch: UpdateChannelInput,
): Promise<{ channel: ChannelRow; changed: string[] }> {
  return inTransaction(ctx.db, async (db) => {
    const row = await requireChannel(db, id);
    const meter = (await meterById(db, row.meter_id))!;
    const before = { address: row.address, kind: row.kind, ...channelValuesOf(row) };
    const after = { ...before, ...checkFields(CHANNEL_CHECKS, patch, { zone: DEFAULT_ZONE }) };
    if (patch.address !== undefined) {
      const a = checkAddress('address', patch.address);
      after.address = a.address;
      after.kind = a.kind;
      // A group that was just the old address follows the address, unless a group was given.
      if (patch.concurrencyGroup === undefined && before.concurrencyGroup === before.address) {
        after.concurrencyGroup = a.address;
      }
      if (a.address !== row.address) {
        const siblings = await channelsOfMeters(db, [meter.id]);
        if (siblings.some((c) => c.id !== row.id && c.address === a.address)) {
          throw conflict('address', a.address, `meter ${meter.serial} already has a channel at ${a.address}`);
        }
      }
    }
    const changed = changedFields(before, after);
    if (changed.length === 0) return { channel: row, changed };
    const updated = await updateChannelRow(db, row.id, {
      address: after.address,
      kind: after.kind,
      reader_serial: after.readerSerial,
      directional: after.directional,
      packing: after.packing,
      concurrency_group: after.concurrencyGroup,
      priority: after.priority,
      enabled: after.enabled,
      timers: JSON.stringify(after.timers),
    });
    await audit(db, {
      actor: ctx.actor,
      action: 'update',
      entity: 'channel',
      entityId: row.id,
      before: { meterSerial: meter.serial, ...pick(before, changed) },
      after: { meterSerial: meter.serial, ...pick(after, changed) },
      comment: ctx.comment,
    });
    return { channel: updated, changed };
  });
}

/** Stops using a channel (kept for history; `updateChannel(…, {enabled: true})` brings it back). */
export async function disableChannel(ctx: RegistryContext, id: number | string): Promise<ChannelRow> {
  return inTransaction(ctx.db, async (db) => {
    const row = await requireChannel(db, id);
    if (!row.enabled) throw conflict('id', row.id, `channel ${row.id} is already disabled`);
    const meter = (await meterById(db, row.meter_id))!;
    const updated = await updateChannelRow(db, row.id, { enabled: false });
    await audit(db, {
      actor: ctx.actor,
      action: 'disable',
      entity: 'channel',
      entityId: row.id,
      before: { meterSerial: meter.serial, enabled: true },
      after: { meterSerial: meter.serial, enabled: false },
      comment: ctx.comment,
    });
    return updated;
  });
}

export interface ListChannelsInput {
  /** Channels of every version of this serial. */
  meterSerial?: string;
  concurrencyGroup?: string;
  includeDisabled?: boolean;
  limit?: number;
  offset?: number;
}

export async function listChannels(
  db: Db,
  q: ListChannelsInput = {},
): Promise<{ total: number; channels: ChannelWithMeter[] }> {
  const limit = q.limit ?? 100;
  const offset = q.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw invalid('limit', q.limit, 'must be 1–10000');
  if (!Number.isInteger(offset) || offset < 0) throw invalid('offset', q.offset, 'must be 0 or more');
  let meterIds: number[] | undefined;
  if (q.meterSerial !== undefined) {
    const serial = checkSerial('meterSerial', q.meterSerial);
    meterIds = (await meterVersions(db, serial)).map((m) => m.id);
    if (meterIds.length === 0) throw notFound('meter', serial, `meter ${serial} is not registered`);
  }
  const { total, rows } = await listChannelRows(db, {
    meterIds,
    concurrencyGroup: q.concurrencyGroup,
    includeDisabled: q.includeDisabled ?? false,
    limit,
    offset,
  });
  return { total, channels: rows };
}
