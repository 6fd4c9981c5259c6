/**
 * Importing a whole registry (from a spreadsheet or a simulator file) as an upsert: points keyed by code, meters by
 * serial + validity start, channels by address within their meter. Three steps:
 *   1. the reader (csv.ts, simulator-import.ts) turns the file into a RegistryDocument, noting every bad field;
 *   2. `planImport` (pure) compares the document with the stored registry: what to create or update, what is
 *      unchanged, and every inconsistency (two lines disagreeing, two principals at once, a serial on two points);
 *   3. only when there is no problem at all, `applyImportPlan` writes the plan in the caller's transaction, with an
 *      audit row per created or changed entity (none for unchanged ones).
 * Importing the same file twice changes nothing the second time. The import never deletes or retires what the file
 * does not mention; a column left out of the file leaves that field as it is.
 */
import { sql } from 'kysely';
import { FronteiraError } from '../domain/errors.ts';
import { type AuditEntry, auditMany } from '../store/audit.ts';
import {
  type ChannelRow,
  type Db,
  insertChannelRows,
  insertMeterRows,
  insertPointRows,
  loadRegistry,
  type MeterRow,
  type PointRow,
  type RegistrySnapshot,
  updateChannelRow,
  updateMeterRow,
  updatePointRow,
} from '../store/registry.ts';
import {
  CHANNEL_DEFAULTS,
  type ChannelValues,
  changedFields,
  channelValuesOf,
  DEFAULT_VALID_FROM,
  METER_DEFAULTS,
  type MeterValues,
  meterValuesOf,
  overlaps,
  POINT_DEFAULTS,
  type PointValues,
  pick,
  pointValuesOf,
} from './fields.ts';
import { channelColumns, inTransaction, meterColumns, pointColumns, type RegistryContext } from './rows.ts';

/** Where an entry came from, to name the line and column (or JSON path) of a problem. */
export interface Origin {
  /** 1-based line in a CSV file (the header is line 1); null for JSON. */
  line: number | null;
  /** `line 5` or `meters[3]`. */
  label: string;
  /** The column (or JSON path) holding a field. */
  column(field: string): string;
}

export interface ImportProblem {
  line: number | null;
  column: string;
  reason: string;
}

export interface PointEntry {
  code: string;
  /** Fields the file gives (undefined: not given, keep or default). */
  values: Partial<PointValues>;
  origin: Origin;
}

export interface ChannelEntry {
  address: string;
  kind: 'tcp' | 'serial';
  values: Partial<ChannelValues>;
  origin: Origin;
}

export interface MeterEntry {
  serial: string;
  pointCode: string;
  /** Validity start; undefined: the serial's latest stored version, or 2000-01-01 for a new meter. */
  validFrom?: Date;
  values: Partial<Omit<MeterValues, 'pointCode'>>;
  /** The meter's primary channel. */
  channel?: ChannelEntry;
  origin: Origin;
}

export interface RegistryDocument {
  /** File name or description, for audit comments and messages. */
  source: string;
  points: PointEntry[];
  meters: MeterEntry[];
  /** Problems found while reading; entries with a bad key are left out. */
  problems: ImportProblem[];
}

export interface EntityCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportCounts {
  points: EntityCounts;
  meters: EntityCounts;
  channels: EntityCounts & { disabled: number };
}

interface PointOp {
  op: 'create' | 'update';
  code: string;
  row?: PointRow;
  before?: PointValues;
  after: PointValues;
  changed: (keyof PointValues & string)[];
  origin: Origin;
}

interface MeterOp {
  op: 'create' | 'update';
  serial: string;
  validFrom: Date;
  row?: MeterRow;
  before?: MeterValues;
  after: MeterValues;
  changed: (keyof MeterValues & string)[];
  origin: Origin;
  /** Set when applied. */
  id?: number;
}

interface ChannelOp {
  op: 'create' | 'update' | 'disable';
  serial: string;
  /** The meter: a stored row id, or the meter op creating it. */
  meter: number | MeterOp;
  address: string;
  kind: 'tcp' | 'serial';
  row?: ChannelRow;
  before?: ChannelValues;
  after: ChannelValues;
  changed: (keyof ChannelValues & string)[];
  origin: Origin;
  /** For a disable: the address that replaces it. */
  replacedBy?: string;
}

export interface ImportPlan {
  source: string;
  points: PointOp[];
  meters: MeterOp[];
  channels: ChannelOp[];
  counts: ImportCounts;
  problems: ImportProblem[];
}

export interface ImportReport {
  source: string;
  dryRun: boolean;
  counts: ImportCounts;
  /** One line per change, e.g. `update meter 12345678 (rtp, rtc)`. */
  changes: string[];
}

const emptyCounts = (): ImportCounts => ({
  points: { created: 0, updated: 0, unchanged: 0 },
  meters: { created: 0, updated: 0, unchanged: 0 },
  channels: { created: 0, updated: 0, unchanged: 0, disabled: 0 },
});

function given<V extends object>(values: Partial<V>): Partial<V> {
  const out: Partial<V> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => JSON.stringify(v instanceof Date ? v.getTime() : v);
  return norm(a) === norm(b);
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '(empty)';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return `'${v}'`;
  return JSON.stringify(v);
}

const iso = (d: Date | null) => (d ? d.toISOString() : 'open');

/** Compares a document with the stored registry. Pure: no store access. */
export function planImport(snapshot: RegistrySnapshot, doc: RegistryDocument): ImportPlan {
  const problems: ImportProblem[] = [...doc.problems];
  const problem = (origin: Origin, field: string, reason: string) =>
    problems.push({ line: origin.line, column: origin.column(field), reason });
  const counts = emptyCounts();

  // Points: every entry of a code must agree on the fields it gives.
  const storedPoints = new Map(snapshot.points.map((p) => [p.code, p]));
  const pointById = new Map(snapshot.points.map((p) => [p.id, p]));
  const merged = new Map<string, { values: Partial<PointValues>; from: Map<string, Origin>; first: Origin }>();
  for (const e of doc.points) {
    const m = merged.get(e.code);
    if (!m) {
      const from = new Map<string, Origin>();
      for (const k of Object.keys(given(e.values))) from.set(k, e.origin);
      merged.set(e.code, { values: given(e.values), from, first: e.origin });
      continue;
    }
    for (const [k, v] of Object.entries(given(e.values))) {
      const key = k as keyof PointValues;
      if (!(key in m.values)) {
        (m.values as Record<string, unknown>)[key] = v;
        m.from.set(key, e.origin);
      } else if (!same(m.values[key], v)) {
        problem(
          e.origin,
          key,
          `point ${e.code} has ${show(m.values[key])} on ${m.from.get(key)!.label} but ${show(v)} here`,
        );
      }
    }
  }
  const pointOps: PointOp[] = [];
  /** Code → the point's values after the import (stored or planned). */
  const finalPoints = new Map<string, PointValues>();
  for (const p of snapshot.points) finalPoints.set(p.code, pointValuesOf(p));
  for (const [code, m] of merged) {
    const row = storedPoints.get(code);
    if (row) {
      const before = pointValuesOf(row);
      const after: PointValues = { ...before, ...m.values };
      const changed = changedFields(before, after);
      finalPoints.set(code, after);
      if (changed.length === 0) counts.points.unchanged++;
      else {
        counts.points.updated++;
        pointOps.push({ op: 'update', code, row, before, after, changed, origin: m.first });
      }
    } else {
      const missing = (['name', 'kind', 'segment'] as const).filter((f) => m.values[f] === undefined);
      for (const f of missing) problem(m.first, f, `is required for a new point (${code})`);
      if (missing.length > 0) continue;
      const after = { ...POINT_DEFAULTS, ...m.values } as PointValues;
      finalPoints.set(code, after);
      counts.points.created++;
      pointOps.push({ op: 'create', code, after, changed: [], origin: m.first });
    }
  }

  // Meters.
  const versions = new Map<string, MeterRow[]>();
  for (const m of snapshot.meters) {
    const list = versions.get(m.serial) ?? [];
    list.push(m);
    versions.set(m.serial, list);
  }
  for (const list of versions.values()) list.sort((a, b) => a.valid_from.getTime() - b.valid_from.getTime());
  /** Final state of every meter: stored ones (updated by the plan) and new ones. */
  interface FinalMeter {
    serial: string;
    validFrom: Date;
    values: MeterValues;
    entry?: MeterEntry;
    /** Position of its entry in the document. */
    order?: number;
    op?: MeterOp;
    row?: MeterRow;
  }
  const finals = new Map<string, FinalMeter>();
  const keyOf = (serial: string, from: Date) => `${serial}@${from.getTime()}`;
  for (const m of snapshot.meters) {
    const code = pointById.get(m.point_id)?.code ?? '';
    finals.set(keyOf(m.serial, m.valid_from), {
      serial: m.serial,
      validFrom: m.valid_from,
      values: meterValuesOf(m, code),
      row: m,
    });
  }
  const meterOps: MeterOp[] = [];
  const seen = new Map<string, MeterEntry>();
  const planned: { entry: MeterEntry; final: FinalMeter }[] = [];
  for (const e of doc.meters) {
    if (!finalPoints.has(e.pointCode)) {
      if (!merged.has(e.pointCode)) problem(e.origin, 'pointCode', `point ${e.pointCode} is not registered`);
      continue;
    }
    const stored = versions.get(e.serial) ?? [];
    const validFrom = e.validFrom ?? (stored.length > 0 ? stored[stored.length - 1].valid_from : DEFAULT_VALID_FROM);
    const key = keyOf(e.serial, validFrom);
    const dup = seen.get(key);
    if (dup) {
      problem(
        e.origin,
        'serial',
        `meter ${e.serial} valid from ${validFrom.toISOString()} is also on ${dup.origin.label}`,
      );
      continue;
    }
    seen.set(key, e);
    const current = finals.get(key);
    if (current?.row) {
      const before = current.values;
      const after: MeterValues = { ...before, ...given(e.values), pointCode: e.pointCode };
      const changed = changedFields(before, after);
      current.values = after;
      current.entry = e;
      current.order = planned.length;
      if (changed.length === 0) counts.meters.unchanged++;
      else {
        counts.meters.updated++;
        current.op = {
          op: 'update',
          serial: e.serial,
          validFrom,
          row: current.row,
          before,
          after,
          changed,
          origin: e.origin,
        };
        meterOps.push(current.op);
      }
      planned.push({ entry: e, final: current });
    } else {
      if (e.values.role === undefined) {
        problem(e.origin, 'role', `is required for a new meter (${e.serial})`);
        continue;
      }
      const after = { ...METER_DEFAULTS, ...given(e.values), pointCode: e.pointCode } as MeterValues;
      const op: MeterOp = { op: 'create', serial: e.serial, validFrom, after, changed: [], origin: e.origin };
      const final: FinalMeter = { serial: e.serial, validFrom, values: after, entry: e, order: planned.length, op };
      finals.set(key, final);
      counts.meters.created++;
      meterOps.push(op);
      planned.push({ entry: e, final });
    }
  }

  // Validity: a serial on one point at a time; one principal and one retaguarda per point at a time.
  const bySerial = new Map<string, FinalMeter[]>();
  const byPointRole = new Map<string, FinalMeter[]>();
  for (const f of finals.values()) {
    bySerial.set(f.serial, [...(bySerial.get(f.serial) ?? []), f]);
    const pr = `${f.values.pointCode}/${f.values.role}`;
    byPointRole.set(pr, [...(byPointRole.get(pr) ?? []), f]);
  }
  const describe = (f: FinalMeter) =>
    f.entry
      ? f.entry.origin.label
      : `registered meter ${f.serial} (from ${iso(f.validFrom)} to ${iso(f.values.validTo)})`;
  // A clash between two entries is reported on the later one (the earlier line stands, this one contradicts it).
  const later = (final: FinalMeter, other: FinalMeter) => other.order !== undefined && other.order > final.order!;
  const reported = new Set<string>();
  for (const { entry, final } of planned) {
    const { validFrom } = final;
    const { validTo } = final.values;
    if (validTo !== null && validTo <= validFrom) {
      problem(entry.origin, 'validTo', `must be after the validity start ${validFrom.toISOString()}`);
      continue;
    }
    for (const other of bySerial.get(final.serial) ?? []) {
      if (other === final || later(final, other)) continue;
      if (!overlaps(validFrom, validTo, other.validFrom, other.values.validTo)) continue;
      const pair = [keyOf(final.serial, validFrom), keyOf(other.serial, other.validFrom)].sort().join('|');
      if (reported.has(`s${pair}`)) continue;
      reported.add(`s${pair}`);
      problem(
        entry.origin,
        'validFrom',
        `meter ${final.serial} from ${iso(validFrom)} to ${iso(validTo)} overlaps its other validity on ` +
          `${describe(other)} (point ${other.values.pointCode})`,
      );
    }
    for (const other of byPointRole.get(`${final.values.pointCode}/${final.values.role}`) ?? []) {
      if (other === final || later(final, other)) continue;
      if (!overlaps(validFrom, validTo, other.validFrom, other.values.validTo)) continue;
      const pair = [keyOf(final.serial, validFrom), keyOf(other.serial, other.validFrom)].sort().join('|');
      if (reported.has(`r${pair}`)) continue;
      reported.add(`r${pair}`);
      problem(
        entry.origin,
        'role',
        `point ${final.values.pointCode} would have two ${final.values.role} meters at once: ${final.serial} here ` +
          `and ${other.serial} on ${describe(other)}; close one with a validity end (or swap)`,
      );
    }
  }

  // Channels: the entry names the meter's primary channel.
  const storedChannels = new Map<number, ChannelRow[]>();
  for (const c of snapshot.channels) storedChannels.set(c.meter_id, [...(storedChannels.get(c.meter_id) ?? []), c]);
  const channelOps: ChannelOp[] = [];
  for (const { entry, final } of planned) {
    const ch = entry.channel;
    if (!ch) continue;
    const meter: number | MeterOp = final.row ? final.row.id : final.op!;
    const existing = final.row ? (storedChannels.get(final.row.id) ?? []) : [];
    const primary = [...existing].filter((c) => c.enabled).sort((a, b) => b.priority - a.priority || a.id - b.id)[0];
    const match = existing.find((c) => c.address === ch.address);
    const base = { serial: entry.serial, meter, address: ch.address, kind: ch.kind, origin: ch.origin };
    if (match) {
      const before = channelValuesOf(match);
      const after: ChannelValues = { ...before, ...given(ch.values), enabled: true };
      const changed = changedFields(before, after);
      if (changed.length === 0) counts.channels.unchanged++;
      else {
        counts.channels.updated++;
        channelOps.push({ ...base, op: 'update', row: match, before, after, changed });
      }
    } else {
      const after = {
        ...CHANNEL_DEFAULTS,
        concurrencyGroup: ch.address,
        ...given(ch.values),
        enabled: true,
      } as ChannelValues;
      counts.channels.created++;
      channelOps.push({ ...base, op: 'create', after, changed: [] });
    }
    if (primary && primary.address !== ch.address) {
      counts.channels.disabled++;
      channelOps.push({
        serial: entry.serial,
        meter,
        address: primary.address,
        kind: primary.kind,
        op: 'disable',
        row: primary,
        before: channelValuesOf(primary),
        after: { ...channelValuesOf(primary), enabled: false },
        changed: ['enabled'],
        origin: ch.origin,
        replacedBy: ch.address,
      });
    }
  }

  // One problem per cell: the first (a bad value), not what follows from it.
  const cells = new Set<string>();
  const unique = problems.filter((p) => {
    const k = `${p.line}\u0000${p.column}`;
    if (cells.has(k)) return false;
    cells.add(k);
    return true;
  });
  unique.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { source: doc.source, points: pointOps, meters: meterOps, channels: channelOps, counts, problems: unique };
}

/** Field names as the file spells them, for the change list. */
function columns(origin: Origin, fields: readonly string[]): string {
  return fields.map((f) => origin.column(f).replace(/^.*\./, '')).join(', ');
}

export function describeChanges(plan: ImportPlan): string[] {
  const out: string[] = [];
  for (const p of plan.points) {
    out.push(p.op === 'create' ? `create point ${p.code}` : `update point ${p.code} (${columns(p.origin, p.changed)})`);
  }
  for (const m of plan.meters) {
    out.push(
      m.op === 'create'
        ? `create meter ${m.serial} (${m.after.role}) on point ${m.after.pointCode}`
        : `update meter ${m.serial} (${columns(m.origin, m.changed)})`,
    );
  }
  for (const c of plan.channels) {
    if (c.op === 'create') out.push(`create channel ${c.address} for meter ${c.serial}`);
    else if (c.op === 'update')
      out.push(`update channel ${c.address} of meter ${c.serial} (${columns(c.origin, c.changed)})`);
    else out.push(`disable channel ${c.address} of meter ${c.serial} (replaced by ${c.replacedBy})`);
  }
  return out;
}

export function importError(source: string, problems: ImportProblem[]): FronteiraError {
  const lines = problems.map((p) =>
    p.line !== null ? `line ${p.line}, column ${p.column}: ${p.reason}` : `${p.column}: ${p.reason}`,
  );
  return new FronteiraError(
    'FRONTEIRA_E_IMPORT',
    `registry import of ${source} rejected, nothing was changed: ${problems.length} error${problems.length === 1 ? '' : 's'}\n` +
      lines.map((l) => `  ${l}`).join('\n'),
    { source, errors: problems.map((p, i) => ({ ...p, message: lines[i] })) },
  );
}

/** Writes a problem-free plan with the caller's `db` (a transaction), auditing every change. */
export async function applyImportPlan(ctx: RegistryContext, db: Db, plan: ImportPlan): Promise<void> {
  const comment = ctx.comment ?? `registry import ${plan.source}`;
  const entries: AuditEntry[] = [];
  const base = { actor: ctx.actor, comment };

  const creates = plan.points.filter((p) => p.op === 'create');
  const pointIds = new Map<string, number>();
  for (const row of await insertPointRows(
    db,
    creates.map((p) => ({
      code: p.code,
      name: p.after.name,
      kind: p.after.kind,
      segment: p.after.segment,
      customer: p.after.customer,
      substation: p.after.substation,
      voltage_kv: p.after.voltageKv,
      load_capacity_kw: p.after.loadCapacityKw,
      tags: p.after.tags,
      timezone: p.after.timezone,
      retired_at: p.after.retiredAt,
    })),
  )) {
    pointIds.set(row.code, row.id);
    entries.push({
      ...base,
      action: 'create',
      entity: 'point',
      entityId: row.code,
      after: { code: row.code, ...pointValuesOf(row) },
    });
  }
  for (const p of plan.points.filter((x) => x.op === 'update')) {
    await updatePointRow(db, p.row!.id, pointColumns(pick(p.after, p.changed)));
    entries.push({
      ...base,
      action: 'update',
      entity: 'point',
      entityId: p.code,
      before: pick(p.before!, p.changed),
      after: pick(p.after, p.changed),
    });
  }
  const pointId = async (code: string): Promise<number> => {
    const known = pointIds.get(code);
    if (known !== undefined) return known;
    const row = await db.selectFrom('metering_point').select('id').where('code', '=', code).executeTakeFirstOrThrow();
    pointIds.set(code, row.id);
    return row.id;
  };

  const meterCreates = plan.meters.filter((m) => m.op === 'create');
  const meterRows = [];
  for (const m of meterCreates) {
    meterRows.push({
      point_id: await pointId(m.after.pointCode),
      serial: m.serial,
      role: m.after.role,
      manufacturer: m.after.manufacturer,
      model: m.after.model,
      mm_interval_s: m.after.mmIntervalS,
      demand_interval_min: m.after.demandIntervalMin,
      memory_days: m.after.memoryDays,
      tp_ratio: m.after.tpRatio,
      tc_ratio: m.after.tcRatio,
      constants_include_ratios: m.after.constantsIncludeRatios,
      channel_map: JSON.stringify(m.after.channelMap),
      valid_from: m.validFrom,
      valid_to: m.after.validTo,
    });
  }
  const insertedMeters = await insertMeterRows(db, meterRows);
  const meterByKey = new Map(insertedMeters.map((r) => [`${r.serial}@${r.valid_from.getTime()}`, r]));
  for (const m of meterCreates) {
    const row = meterByKey.get(`${m.serial}@${m.validFrom.getTime()}`)!;
    m.id = row.id;
    entries.push({
      ...base,
      action: 'create',
      entity: 'meter',
      entityId: row.id,
      after: { id: row.id, serial: row.serial, validFrom: row.valid_from, ...m.after },
    });
  }
  for (const m of plan.meters.filter((x) => x.op === 'update')) {
    const { pointCode, ...rest } = pick(m.after, m.changed);
    await updateMeterRow(
      db,
      m.row!.id,
      meterColumns(rest, pointCode === undefined ? undefined : await pointId(pointCode)),
    );
    m.id = m.row!.id;
    entries.push({
      ...base,
      action: 'update',
      entity: 'meter',
      entityId: m.row!.id,
      before: { serial: m.serial, ...pick(m.before!, m.changed) },
      after: { serial: m.serial, ...pick(m.after, m.changed) },
    });
  }

  const meterId = (c: ChannelOp) => (typeof c.meter === 'number' ? c.meter : c.meter.id!);
  for (const c of plan.channels.filter((x) => x.op === 'disable')) {
    await updateChannelRow(db, c.row!.id, { enabled: false });
    entries.push({
      ...base,
      action: 'disable',
      entity: 'channel',
      entityId: c.row!.id,
      before: { meterSerial: c.serial, address: c.address, enabled: true },
      after: { meterSerial: c.serial, address: c.address, enabled: false, replacedBy: c.replacedBy },
    });
  }
  for (const c of plan.channels.filter((x) => x.op === 'update')) {
    await updateChannelRow(db, c.row!.id, { ...channelColumns(pick(c.after, c.changed)), kind: c.kind });
    entries.push({
      ...base,
      action: 'update',
      entity: 'channel',
      entityId: c.row!.id,
      before: { meterSerial: c.serial, address: c.address, ...pick(c.before!, c.changed) },
      after: { meterSerial: c.serial, address: c.address, ...pick(c.after, c.changed) },
    });
  }
  const channelCreates = plan.channels.filter((x) => x.op === 'create');
  const insertedChannels = await insertChannelRows(
    db,
    channelCreates.map((c) => ({
      meter_id: meterId(c),
      kind: c.kind,
      address: c.address,
      reader_serial: c.after.readerSerial,
      directional: c.after.directional,
      packing: c.after.packing,
      password: null,
      timers: JSON.stringify(c.after.timers),
      concurrency_group: c.after.concurrencyGroup,
      priority: c.after.priority,
      enabled: c.after.enabled,
    })),
  );
  const channelByKey = new Map(insertedChannels.map((r) => [`${r.meter_id}/${r.address}`, r]));
  for (const c of channelCreates) {
    const row = channelByKey.get(`${meterId(c)}/${c.address}`)!;
    entries.push({
      ...base,
      action: 'create',
      entity: 'channel',
      entityId: row.id,
      after: { id: row.id, meterSerial: c.serial, kind: row.kind, address: row.address, ...c.after },
    });
  }
  await auditMany(db, entries);
}

/** Arbitrary constant: the advisory-lock key that serializes registry imports across processes. */
const IMPORT_LOCK = 7_412_523;

/**
 * Validates `doc` against the stored registry and, when everything is right and this is not a dry run, applies it in
 * one transaction. Any problem: FRONTEIRA_E_IMPORT listing every bad line and column, and nothing written.
 */
export async function importDocument(
  ctx: RegistryContext,
  doc: RegistryDocument,
  opts: { dryRun?: boolean } = {},
): Promise<ImportReport> {
  return inTransaction(ctx.db, async (db) => {
    await sql`SELECT pg_advisory_xact_lock(${IMPORT_LOCK})`.execute(db);
    const plan = planImport(await loadRegistry(db), doc);
    if (plan.problems.length > 0) throw importError(doc.source, plan.problems);
    if (!opts.dryRun) await applyImportPlan(ctx, db, plan);
    return { source: doc.source, dryRun: opts.dryRun ?? false, counts: plan.counts, changes: describeChanges(plan) };
  });
}
