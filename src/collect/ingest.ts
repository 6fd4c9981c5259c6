/**
 * Ingest: stores what reading sessions returned. One transaction per batch of readings, so a crash or an error
 * leaves the store as it was before the batch (nothing half-written):
 *
 *   per-meter advisory locks → readings already stored (idempotent re-ingest) → session ids → day blocks locked
 *   FOR UPDATE and merged in TS (collect/day-block.ts) → blocks, sessions and frame blobs through the bulk path
 *   → events (deduplicated by natural key) → caller's beforeCommit → COMMIT.
 *
 * The raw layer only grows: a re-read fills missing slots, and a value that disagrees with a stored actual becomes a
 * conflict event (the slot keeps its value and gets the conflict mark). A reading from another meter than the one
 * registered (serial mismatch) keeps its session and a 'serial_mismatch' event but none of its data or logs.
 */
import { DEFAULT_ZONE } from '../domain/time.ts';
import { COMMANDS } from '../protocols/abnt14522/commands/index.ts';
import { type Tx, withTransaction } from '../store/bulk.ts';
import { type DayBlockKey, lockDayBlocks, lockMeters, writeDayBlocks } from '../store/day-blocks.ts';
import { insertEvents, type NewEvent } from '../store/events.ts';
import type { Store } from '../store/pool.ts';
import type { ChannelRow, MeterRow, PointRow } from '../store/registry.ts';
import type { ChannelMapEntry, SessionPurpose } from '../store/schema.ts';
import {
  allocateSessionIds,
  copySessionFrames,
  copySessions,
  findSessions,
  type SessionRecord,
} from '../store/sessions.ts';
import { insertSnapshots, type NewSnapshot, type RegisterSnapshotChannel } from '../store/snapshots.ts';
import { markIngestDirty } from '../store/vee-dirty.ts';
import {
  type DayBlock,
  dayBlockKey,
  mergeDayBlock,
  readingDayBlocks,
  slotEnd,
  wallIso,
  wallToInstantFast,
} from './day-block.ts';
import type { Reading } from './session/reading.ts';

export interface IngestInput {
  meter: MeterRow;
  point: PointRow;
  channel: ChannelRow | null;
  purpose: SessionPurpose;
  reading: Reading;
  jobId?: string | null;
}

export interface IngestResult {
  sessionId: number;
  status: 'ok' | 'failed';
  /** Interval values the reading brought (channels × intervals placed in a slot). */
  intervals: number;
  /** Slots that were missing and now hold a value. */
  filledSlots: number;
  /** Slots where the reading disagreed with a stored actual (kept; one conflict event each). */
  conflicts: number;
  /** Operating days the reading touched, sorted. */
  days: string[];
  /** New meter events. */
  events: number;
  /** Why the reading's data were not stored: 'serial_mismatch', or 'duplicate' (already ingested: sessionId is the stored one). */
  skippedReason?: string;
  /** What ingest left out or substituted (unaligned labels, unusable constants, interval mismatch). */
  warnings?: string[];
}

export interface IngestOptions {
  /** |drift| at or above which a clock_drift event is recorded, seconds (default 30). */
  driftThresholdS?: number;
  /** Which 0x28 log entries become 'alteration' events: 'writes' (default: commands that change the meter) or 'all' (reads too: every session the meter logs). */
  alterations?: 'writes' | 'all';
  /** Runs inside the transaction after every ingest write, before COMMIT: rows a caller adds here commit with the batch; a throw rolls it all back. */
  beforeCommit?: (tx: Tx, results: IngestResult[]) => Promise<void>;
}

export const DEFAULT_DRIFT_THRESHOLD_S = 30;

type PendingEvent = Omit<NewEvent, 'sessionId'>;

interface Prepared {
  input: IngestInput;
  sessionKey: string;
  status: 'ok' | 'failed';
  mismatch: boolean;
  blocks: DayBlock[];
  values: number;
  warnings: string[];
  events: PendingEvent[];
  snapshots: Omit<NewSnapshot, 'sessionId'>[];
  bytesIn: number;
  bytesOut: number;
  sessionId: number;
  result: IngestResult | null;
}

function normSerial(s: string): string {
  return s.trim().replace(/^0+(?=\d)/, '');
}

function sameConstant(a: { numerator: number; denominator: number }, b: { numerator: number; denominator: number }) {
  return a.numerator * b.denominator === b.numerator * a.denominator;
}

function channelMap(meter: MeterRow): ChannelMapEntry[] {
  const m = meter.channel_map as unknown;
  if (Array.isArray(m)) return m as ChannelMapEntry[];
  if (typeof m === 'string') {
    try {
      const parsed = JSON.parse(m);
      return Array.isArray(parsed) ? parsed : [];
    } catch {
      return [];
    }
  }
  return [];
}

function bytesOf(r: Reading): { bytesIn: number; bytesOut: number } {
  let bytesIn = 0;
  let bytesOut = 0;
  const withStats = new Set<number>();
  for (const s of r.steps) {
    if (s.stats) {
      bytesIn += s.stats.bytesIn;
      bytesOut += s.stats.bytesOut;
      withStats.add(s.index);
    }
  }
  // A step that failed before its exchange finished has no stats: count its frames instead.
  for (const f of r.frames) {
    if (withStats.has(f.step)) continue;
    if (f.direction === 'rx') bytesIn += f.bytes.length;
    else bytesOut += f.bytes.length;
  }
  return { bytesIn, bytesOut };
}

function readingEvents(p: Prepared, opts: Required<Pick<IngestOptions, 'driftThresholdS' | 'alterations'>>): void {
  const { reading: r, meter, point } = p.input;
  const zone = point.timezone;
  const at = (wall: number) => wallToInstantFast(wall, zone);
  const ev = (e: Omit<PendingEvent, 'meterId'>) => p.events.push({ meterId: meter.id, ...e });

  for (const o of r.outages?.value.records ?? []) {
    const anchor = o.start ?? o.end;
    if (anchor === null) continue;
    ev({
      kind: 'outage',
      at: at(anchor),
      endedAt: o.start !== null && o.end !== null ? at(o.end) : null,
      detail: {
        start: o.start === null ? null : wallIso(at(o.start), zone),
        end: o.end === null ? null : wallIso(at(o.end), zone),
        period: r.outages?.period,
        slot: o.slot,
      },
      dedupe: o.start !== null ? `start:${wallIso(at(o.start), zone)}` : `end:${wallIso(at(o.end!), zone)}`,
    });
  }

  for (const a of r.alterations?.entries ?? []) {
    if (a.time === null) continue;
    const kind = COMMANDS.get(a.code)?.kind;
    if (opts.alterations === 'writes' && kind === 'read') continue;
    const t = at(a.time);
    ev({
      kind: 'alteration',
      at: t,
      endedAt: null,
      detail: {
        code: a.code,
        codeName: a.codeName,
        readerSerial: a.readerSerial,
        slot: a.slot,
        extended: a.extended,
        time: wallIso(t, zone),
      },
      dedupe: `${a.code}@${wallIso(t, zone)}`,
    });
  }

  for (const s of r.steps) {
    if (s.status !== 'failed' || s.error?.code !== 'FRONTEIRA_E_ABNT_OCCURRENCE') continue;
    const block = r.frames.find((f) => f.step === s.index && f.direction === 'rx' && f.bytes[0] === 0x40);
    const occurrence = block && block.bytes.length > 6 ? block.bytes[5] : null;
    const subCode = block && block.bytes.length > 6 ? block.bytes[6] : null;
    ev({
      kind: 'occurrence',
      at: s.startedAt,
      endedAt: null,
      detail: { step: s.label, command: s.code, occurrence, subCode, message: s.error.message },
      dedupe: `${s.startedAt}:${s.index}`,
    });
  }

  if (r.clock && Math.abs(r.clock.driftSeconds) >= opts.driftThresholdS) {
    ev({
      kind: 'clock_drift',
      at: at(r.clock.readerTime),
      endedAt: null,
      detail: {
        driftSeconds: r.clock.driftSeconds,
        meterTime: wallIso(at(r.clock.meterTime), zone),
        readerTime: wallIso(at(r.clock.readerTime), zone),
        thresholdSeconds: opts.driftThresholdS,
      },
      dedupe: `${r.startedAt}`,
    });
  }

  if (r.clockSet) {
    ev({
      kind: 'clock_sync',
      at: at(r.clockSet.before.readerTime),
      endedAt: null,
      detail: {
        driftBefore: r.clockSet.before.driftSeconds,
        driftAfter: r.clockSet.after?.driftSeconds ?? null,
        setTo: new Date(r.clockSet.setTo).toISOString().slice(0, 19),
      },
      dedupe: `${r.startedAt}`,
    });
  }

  const resets = new Map<number, number | null>();
  for (const g of r.groups) {
    const q = g.parameters;
    if (q.lastReset !== null && !resets.has(q.lastReset)) resets.set(q.lastReset, q.resetCount);
    if (q.penultimateReset !== null && !resets.has(q.penultimateReset)) resets.set(q.penultimateReset, null);
  }
  for (const [wall, count] of resets) {
    const t = at(wall);
    ev({
      kind: 'demand_reset',
      at: t,
      endedAt: null,
      detail: { time: wallIso(t, zone), resetCount: count },
      dedupe: wallIso(t, zone),
    });
  }

  const map = channelMap(meter);
  for (const g of r.groups) {
    if (!map.some((e) => e.group === g.group)) continue;
    for (const ch of g.channels) {
      const reg = map.find((e) => e.channel === ch.index) ?? null;
      const read = {
        quantityCode: ch.quantity.code,
        numerator: ch.constant.numerator,
        denominator: ch.constant.denominator,
      };
      if (reg && reg.quantityCode === read.quantityCode && sameConstant(reg, read)) continue;
      ev({
        kind: 'constants_mismatch',
        at: r.startedAt,
        endedAt: null,
        detail: {
          channel: ch.index,
          registered: reg && { quantityCode: reg.quantityCode, numerator: reg.numerator, denominator: reg.denominator },
          read,
        },
        dedupe: `ch${ch.index}:${read.quantityCode}:${read.numerator}/${read.denominator}`,
      });
    }
  }
}

/** Register totals (0x23/0x24) and instantaneous values (0x14) of the reading, for validation (V10, V12). */
function readingSnapshots(p: Prepared): void {
  const { reading: r, meter, point } = p.input;
  const at = (wall: number) => new Date(wallToInstantFast(wall, point.timezone));
  const factor = meter.constants_include_ratios ? 1 : meter.tp_ratio * meter.tc_ratio;
  for (const g of r.groups) {
    if (!g.registers) continue;
    const current = g.registers.code === 0x23;
    const when = current ? g.parameters.meterTime : g.parameters.lastReset;
    if (when === null) continue;
    const channels: RegisterSnapshotChannel[] = g.registers.value.channels.map((c, i) => {
      const ch = g.channels[i];
      const k = ch?.constant;
      const energy =
        c.totalRaw === null || !k || k.denominator === 0 ? null : ((c.totalRaw * k.numerator) / k.denominator) * factor;
      return {
        channel: ch?.index ?? 3 * g.group + i + 1,
        quantityCode: ch?.quantity.code ?? 0,
        totalRaw: c.totalRaw,
        energy,
      };
    });
    p.snapshots.push({
      meterId: meter.id,
      kind: current ? 'registers_current' : 'registers_previous',
      group: g.group,
      at: at(when),
      data: { channels },
    });
  }
  const i = r.instant;
  if (i?.time != null) {
    p.snapshots.push({
      meterId: meter.id,
      kind: 'instant',
      group: 0,
      at: at(i.time),
      data: {
        voltagePhaseV: i.voltagePhaseV,
        currentA: i.currentA,
        activePowerKw: i.activePowerKw,
        reactivePowerKvar: i.reactivePowerKvar,
        cosPhi: i.cosPhi,
        frequencyHz: i.frequencyHz,
        temperatureC: i.temperatureC,
      },
    });
  }
}

function prepare(input: IngestInput, opts: Required<Pick<IngestOptions, 'driftThresholdS' | 'alterations'>>): Prepared {
  const r = input.reading;
  const { meter, point } = input;
  const p: Prepared = {
    input,
    sessionKey: `${meter.id}|${r.startedAt}|${r.sequence}`,
    status: r.ok ? 'ok' : 'failed',
    mismatch: false,
    blocks: [],
    values: 0,
    warnings: [],
    events: [],
    snapshots: [],
    ...bytesOf(r),
    sessionId: 0,
    result: null,
  };
  if (r.meterSerial !== null && normSerial(r.meterSerial) !== normSerial(meter.serial)) {
    p.mismatch = true;
    p.events.push({
      meterId: meter.id,
      kind: 'serial_mismatch',
      at: r.startedAt,
      endedAt: null,
      detail: { registered: meter.serial, read: r.meterSerial, address: r.address },
      dedupe: `${r.startedAt}`,
    });
    p.warnings.push(`meter answered with serial ${r.meterSerial}, registered ${meter.serial}: data not stored`);
    return p;
  }
  const map = channelMap(meter);
  const fallbackConstants = new Map(
    map.map((e) => [e.channel, { numerator: e.numerator, denominator: e.denominator }] as const),
  );
  const placed = readingDayBlocks(r, {
    meterId: meter.id,
    intervalS: meter.mm_interval_s,
    zone: point.timezone,
    factor: meter.constants_include_ratios ? 1 : meter.tp_ratio * meter.tc_ratio,
    fallbackConstants,
    sessionId: null,
  });
  p.blocks = placed.blocks;
  p.values = placed.values;
  p.warnings.push(...placed.warnings);
  for (const m of placed.intervalMismatches) {
    p.events.push({
      meterId: meter.id,
      kind: 'constants_mismatch',
      at: r.startedAt,
      endedAt: null,
      detail: { group: m.group, field: 'mm_interval_s', registered: meter.mm_interval_s, read: m.readSeconds },
      dedupe: `mm_interval:${m.readSeconds}`,
    });
  }
  readingEvents(p, opts);
  readingSnapshots(p);
  return p;
}

function sessionRecord(p: Prepared): SessionRecord {
  const { reading: r, meter, channel, purpose, jobId } = p.input;
  return {
    id: p.sessionId,
    meterId: meter.id,
    channelId: channel?.id ?? null,
    purpose,
    sequence: r.sequence,
    status: p.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    steps: r.steps,
    bytesIn: p.bytesIn,
    bytesOut: p.bytesOut,
    failureStep: r.failure?.step ?? null,
    errorCode: r.failure?.code ?? null,
    errorMessage: r.failure?.message ?? null,
    meterSerial: r.meterSerial,
    driftS: r.clock ? r.clock.driftSeconds : null,
    intervals: p.values,
    jobId: jobId ?? null,
    warnings: [...r.warnings, ...p.warnings],
  };
}

/**
 * Ingests a batch inside an open transaction (the caller commits). Use ingestReadings unless the batch must share
 * a transaction with the caller's own writes.
 */
export async function ingestReadingsInTx(
  tx: Tx,
  inputs: readonly IngestInput[],
  opts: IngestOptions = {},
): Promise<IngestResult[]> {
  const o = {
    driftThresholdS: opts.driftThresholdS ?? DEFAULT_DRIFT_THRESHOLD_S,
    alterations: opts.alterations ?? 'writes',
  };
  const prepared = inputs.map((i) => prepare(i, o));
  if (prepared.length === 0) return [];

  await lockMeters(
    tx,
    prepared.map((p) => p.input.meter.id),
  );

  // Readings already stored (a retried batch), or twice in this batch: recognised, nothing written again.
  const stored = await findSessions(
    tx,
    prepared.map((p) => ({
      meterId: p.input.meter.id,
      startedAt: p.input.reading.startedAt,
      sequence: p.input.reading.sequence,
    })),
  );
  const byKey = new Map(stored.map((s) => [`${s.meterId}|${s.startedAt}|${s.sequence}`, s]));
  const firstInBatch = new Map<string, Prepared>();
  const fresh: Prepared[] = [];
  for (const p of prepared) {
    const s = byKey.get(p.sessionKey);
    if (s) {
      p.sessionId = s.id;
      p.result = duplicateResult(s.id, s.status === 'ok' ? 'ok' : 'failed', s.intervals);
      continue;
    }
    if (firstInBatch.has(p.sessionKey)) continue;
    firstInBatch.set(p.sessionKey, p);
    fresh.push(p);
  }

  const ids = await allocateSessionIds(tx, fresh.length);
  fresh.forEach((p, i) => {
    p.sessionId = ids[i];
  });

  // Merge every incoming block into the stored one (or the one an earlier reading of this batch produced).
  const keys = new Map<string, DayBlockKey>();
  for (const p of fresh) for (const b of p.blocks) keys.set(dayBlockKey(b), b);
  const working = new Map<string, { block: DayBlock; existed: boolean; changed: boolean }>();
  for (const b of await lockDayBlocks(tx, [...keys.values()])) {
    working.set(dayBlockKey(b), { block: b, existed: true, changed: false });
  }
  const conflictEvents: NewEvent[] = [];
  const results = new Map<Prepared, IngestResult>();
  for (const p of fresh) {
    const res: IngestResult = {
      sessionId: p.sessionId,
      status: p.status,
      intervals: p.values,
      filledSlots: 0,
      conflicts: 0,
      days: [],
      events: 0,
      warnings: p.warnings,
    };
    if (p.mismatch) res.skippedReason = 'serial_mismatch';
    const days = new Set<string>();
    for (const b of p.blocks) {
      b.firstSession = p.sessionId;
      b.lastSession = p.sessionId;
      const key = dayBlockKey(b);
      const w = working.get(key);
      const m = mergeDayBlock(w?.block ?? null, b);
      if (m.changed) working.set(key, { block: m.block, existed: w?.existed ?? false, changed: true });
      res.filledSlots += m.filled;
      res.conflicts += m.conflicts.length;
      days.add(b.day);
      if (m.conflicts.length > 0) {
        for (const c of m.conflicts) {
          conflictEvents.push({
            meterId: b.meterId,
            kind: 'conflict',
            at: slotEnd(b.day, c.slot, b.intervalS, p.input.point.timezone),
            endedAt: null,
            detail: {
              channel: b.channel,
              day: b.day,
              slot: c.slot,
              stored: c.stored,
              read: c.read,
              storedPulses: c.storedPulses,
              readPulses: c.readPulses,
              session: p.sessionId,
            },
            sessionId: p.sessionId,
            dedupe: `${b.channel}/${b.day}/${c.slot}/${c.read}`,
          });
        }
      }
    }
    res.days = [...days].sort();
    results.set(p, res);
  }

  const changed = [...working.values()].filter((w) => w.changed);
  await writeDayBlocks(
    tx,
    changed.map((w) => w.block),
    changed.filter((w) => w.existed).map((w) => w.block),
  );
  await copySessions(tx, fresh.map(sessionRecord));
  await copySessionFrames(
    tx,
    fresh.map((p) => ({ sessionId: p.sessionId, frames: p.input.reading.frames })),
  );

  await insertSnapshots(
    tx.db,
    fresh.flatMap((p) => p.snapshots.map((x) => ({ ...x, sessionId: p.sessionId }))),
  );

  const events: NewEvent[] = [];
  for (const p of fresh) for (const e of p.events) events.push({ ...e, sessionId: p.sessionId });
  events.push(...conflictEvents);
  // VEE re-runs the point-days this batch changed: marked here, before insertEvents, which events are new.
  const zones = new Map(fresh.map((p) => [p.input.meter.id, p.input.point.timezone]));
  await markIngestDirty(
    tx,
    changed.map((w) => ({ meterId: w.block.meterId, day: w.block.day })),
    events.map((e) => ({ ...e, zone: zones.get(e.meterId) ?? DEFAULT_ZONE })),
  );
  const bySession = new Map(fresh.map((p) => [p.sessionId, results.get(p)!]));
  for (const e of await insertEvents(tx, events)) {
    const res = e.sessionId === null ? undefined : bySession.get(e.sessionId);
    if (res) res.events++;
  }

  const out = prepared.map((p) => {
    if (p.result) return p.result;
    const res = results.get(p);
    if (res) return res;
    // A second copy of a reading earlier in this batch.
    const first = firstInBatch.get(p.sessionKey)!;
    return duplicateResult(first.sessionId, first.status, first.values);
  });
  if (opts.beforeCommit) await opts.beforeCommit(tx, out);
  return out;
}

function duplicateResult(sessionId: number, status: 'ok' | 'failed', intervals: number): IngestResult {
  return {
    sessionId,
    status,
    intervals,
    filledSlots: 0,
    conflicts: 0,
    days: [],
    events: 0,
    skippedReason: 'duplicate',
    warnings: [],
  };
}

/** Ingests a batch of readings in ONE transaction: all of it is stored, or (on any error) none of it. */
export async function ingestReadings(
  store: Store,
  inputs: IngestInput[],
  opts: IngestOptions = {},
): Promise<IngestResult[]> {
  if (inputs.length === 0) return [];
  return withTransaction(store, (tx) => ingestReadingsInTx(tx, inputs, opts));
}

export async function ingestReading(store: Store, input: IngestInput, opts: IngestOptions = {}): Promise<IngestResult> {
  const [r] = await ingestReadings(store, [input], opts);
  return r;
}
