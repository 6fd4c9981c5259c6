/**
 * JSON shapes of the registry (points, meters, channels) for the API: camelCase, ISO dates, and never a channel's
 * stored password.
 */
import { Type } from '@sinclair/typebox';
import { MM_INTERVALS, PACKINGS, POINT_KINDS, ROLES, SEGMENTS } from '../../registry/fields.ts';
import type { ChannelRow, MeterRow, PointRow } from '../../store/registry.ts';
import { Iso, iso, isoOf, OrNull, StringEnum } from './common.ts';

export const PointKindSchema = StringEnum(POINT_KINDS);
export const SegmentSchema = StringEnum(SEGMENTS);
export const MeterRoleSchema = StringEnum(ROLES);
export const PackingSchema = StringEnum(PACKINGS);
export const MmIntervalSchema = Type.Unsafe<number>({ type: 'integer', enum: [...MM_INTERVALS] });

/** 13-character SCDE point code (any case; stored upper case). */
export const PointCode = Type.String({ pattern: '^[A-Za-z0-9]{13}$', examples: ['RSPKSCALADM01'] });
/** Meter serial: digits. */
export const Serial = Type.String({ pattern: '^\\d{1,12}$', examples: ['12345678'] });

export const PointSchema = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  kind: PointKindSchema,
  segment: SegmentSchema,
  customer: OrNull(Type.String()),
  substation: OrNull(Type.String()),
  voltageKv: OrNull(Type.Number()),
  loadCapacityKw: OrNull(Type.Number()),
  tags: Type.Array(Type.String()),
  timezone: Type.String(),
  status: StringEnum(['active', 'retired'] as const),
  retiredAt: OrNull(Iso),
  createdAt: Iso,
  updatedAt: Iso,
});

export const ChannelMapEntrySchema = Type.Object({
  group: Type.Integer({ minimum: 0, maximum: 32 }),
  channel: Type.Integer({ minimum: 1, maximum: 99 }),
  quantityCode: Type.Integer({ minimum: 0, maximum: 99 }),
  numerator: Type.Integer({ minimum: 1, maximum: 999_999 }),
  denominator: Type.Integer({ minimum: 1, maximum: 999_999 }),
});

export const ChannelSchema = Type.Object({
  id: Type.Integer(),
  meterId: Type.Integer(),
  meterSerial: Type.Optional(Type.String()),
  kind: StringEnum(['tcp', 'serial'] as const),
  address: Type.String(),
  readerSerial: Type.String(),
  directional: Type.Boolean(),
  packing: PackingSchema,
  timers: Type.Record(Type.String(), Type.Number()),
  concurrencyGroup: Type.String(),
  priority: Type.Integer(),
  enabled: Type.Boolean(),
  hasPassword: Type.Boolean(),
  createdAt: Iso,
  updatedAt: Iso,
});

export const MeterSchema = Type.Object({
  id: Type.Integer(),
  serial: Type.String(),
  pointCode: Type.Optional(Type.String()),
  role: MeterRoleSchema,
  manufacturer: OrNull(Type.String()),
  model: OrNull(Type.String()),
  protocol: Type.String(),
  mmIntervalS: Type.Integer(),
  demandIntervalMin: OrNull(Type.Integer()),
  memoryDays: Type.Integer(),
  tpRatio: Type.Number(),
  tcRatio: Type.Number(),
  constantsIncludeRatios: Type.Boolean(),
  channelMap: Type.Array(ChannelMapEntrySchema),
  validFrom: Iso,
  validTo: OrNull(Iso),
  inService: Type.Boolean(),
  createdAt: Iso,
  updatedAt: Iso,
});

export const MeterWithChannelsSchema = Type.Composite([
  MeterSchema,
  Type.Object({ channels: Type.Array(ChannelSchema) }),
]);

export function pointView(p: PointRow) {
  return {
    id: Number(p.id),
    code: p.code,
    name: p.name,
    kind: p.kind,
    segment: p.segment,
    customer: p.customer,
    substation: p.substation,
    voltageKv: p.voltage_kv === null ? null : Number(p.voltage_kv),
    loadCapacityKw: p.load_capacity_kw === null ? null : Number(p.load_capacity_kw),
    tags: p.tags ?? [],
    timezone: p.timezone,
    status: p.retired_at ? ('retired' as const) : ('active' as const),
    retiredAt: iso(p.retired_at),
    createdAt: isoOf(p.created_at),
    updatedAt: isoOf(p.updated_at),
  };
}

export function meterView(m: MeterRow, pointCode?: string, now: Date = new Date()) {
  return {
    id: Number(m.id),
    serial: m.serial,
    pointCode,
    role: m.role,
    manufacturer: m.manufacturer,
    model: m.model,
    protocol: m.protocol,
    mmIntervalS: m.mm_interval_s,
    demandIntervalMin: m.demand_interval_min,
    memoryDays: m.memory_days,
    tpRatio: Number(m.tp_ratio),
    tcRatio: Number(m.tc_ratio),
    constantsIncludeRatios: m.constants_include_ratios,
    channelMap: m.channel_map ?? [],
    validFrom: isoOf(m.valid_from),
    validTo: iso(m.valid_to),
    inService: m.valid_from <= now && (m.valid_to === null || m.valid_to > now),
    createdAt: isoOf(m.created_at),
    updatedAt: isoOf(m.updated_at),
  };
}

export function channelView(c: ChannelRow, meterSerial?: string) {
  return {
    id: Number(c.id),
    meterId: Number(c.meter_id),
    meterSerial,
    kind: c.kind,
    address: c.address,
    readerSerial: c.reader_serial,
    directional: c.directional,
    packing: c.packing,
    timers: c.timers ?? {},
    concurrencyGroup: c.concurrency_group,
    priority: c.priority,
    enabled: c.enabled,
    hasPassword: c.password !== null,
    createdAt: isoOf(c.created_at),
    updatedAt: isoOf(c.updated_at),
  };
}
