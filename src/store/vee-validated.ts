/**
 * SQL of the validated layer (spec/vee.md §1): vee_validated, per meter channel-day, the rules each slot raised
 * (uint32 LE mask per slot), its highest severity and reason; vee_validation, per point-day, the findings, the rule
 * outcomes and the parameter versions in force. Both hold the latest computation only.
 *
 * A save upserts the point-days' vee_validation rows first (in key order): their row locks then serialise two
 * workers validating the same point-day, so replacing that point-day's vee_validated rows (DELETE + binary COPY)
 * cannot race.
 *
 * Storage detail: `rules` and `reason` of a channel-day where no slot raised anything are stored EMPTY (0 bytes);
 * `severity` is always one byte per slot and gives the slot count. Most channel-days are clean (93% of them in the
 * VEE benchmark's month), and the write cost is per byte (PGlite: a 288-slot row of 1.7 kB costs ~5× a row with
 * empty arrays), so this keeps the layer cheap. getValidations expands them; read the table through it.
 */
import { endianness } from 'node:os';
import type { ResolvedParams } from '../vee/params.ts';
import type { Finding, RuleOutcome, ValidationResult } from '../vee/types.ts';
import { CopyBinary, copyInto, type Tx } from './bulk.ts';
import {
  badInput,
  checkDayArg,
  checkIds,
  checkRange,
  copyText,
  decodeBase64Bytes,
  isTx,
  type VeeDb,
  veeQuery,
} from './vee-final.ts';

export type AppliedParams = ResolvedParams['applied'];

const LITTLE_ENDIAN = endianness() === 'LE';
const EMPTY = new Uint8Array(0);

function allZero(a: Uint8Array | Uint32Array): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== 0) return false;
  return true;
}

/** A per-slot uint32 mask as the 4-bytes-LE-per-slot bytea (a view when the platform is little-endian). */
export function rulesToBytes(rules: Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(rules.buffer, rules.byteOffset, rules.byteLength);
  const out = Buffer.alloc(rules.length * 4);
  for (let k = 0; k < rules.length; k++) out.writeUInt32LE(rules[k], 4 * k);
  return out;
}

/** The bytea back to a Uint32Array (a view when aligned on a little-endian platform, else a copy). */
export function rulesFromBytes(bytes: Uint8Array): Uint32Array {
  if (bytes.length % 4 !== 0) throw badInput('rules', `${bytes.length} bytes is not 4 bytes per slot`);
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  }
  const out = new Uint32Array(bytes.length / 4);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let k = 0; k < out.length; k++) out[k] = b.readUInt32LE(4 * k);
  return out;
}

export interface SaveValidationOptions {
  /** computed_at of the rows (default the transaction's now()). */
  now?: Date;
}

const VALIDATED_COLUMNS = [
  'meter_id',
  'channel',
  'day',
  'point_id',
  'quantity_code',
  'refused',
  'rules',
  'severity',
  'reason',
] as const;

/**
 * Stores validation results (the latest per point-day replaces what was there, channels of meters no longer in the
 * result included). `paramsApplied`: the versions in force, the same for every result or per result.
 */
export async function saveValidation(
  tx: Tx,
  results: readonly ValidationResult[],
  paramsApplied: AppliedParams | ((r: ValidationResult, index: number) => AppliedParams),
  opts: SaveValidationOptions = {},
): Promise<{ pointDays: number; channels: number }> {
  if (!isTx(tx)) throw badInput('tx', 'saveValidation needs a bulk.ts transaction (withTransaction)');
  const indexed = results.map((r, i) => ({ r, i }));
  const seen = new Set<string>();
  const seenChannels = new Set<string>();
  for (const { r, i } of indexed) {
    checkIds([r?.pointId], `results[${i}].pointId`);
    checkDayArg(r.day, `results[${i}].day`);
    const k = `${r.pointId}|${r.day}`;
    if (seen.has(k)) throw badInput(`results[${i}]`, `point ${r.pointId} ${r.day} is listed twice`);
    seen.add(k);
    r.channels.forEach((c, j) => {
      const at = `results[${i}].channels[${j}]`;
      checkIds([c.meterId], `${at}.meterId`);
      const n = c.meterDay?.slots;
      if (
        !(c.rules instanceof Uint32Array) ||
        !(c.severity instanceof Uint8Array) ||
        !(c.reason instanceof Uint8Array) ||
        c.rules.length !== n ||
        c.severity.length !== n ||
        c.reason.length !== n
      ) {
        throw badInput(
          at,
          `meter ${c.meterId} channel ${c.channel} ${r.day}: rules/severity/reason must hold ${n} slots`,
        );
      }
      const ck = `${c.meterId}|${c.channel}|${r.day}`;
      if (seenChannels.has(ck)) throw badInput(at, `meter ${c.meterId} channel ${c.channel} ${r.day} is listed twice`);
      seenChannels.add(ck);
    });
  }
  if (results.length === 0) return { pointDays: 0, channels: 0 };
  indexed.sort((a, b) => a.r.pointId - b.r.pointId || (a.r.day < b.r.day ? -1 : a.r.day > b.r.day ? 1 : 0));
  const applied = (r: ValidationResult, i: number) =>
    typeof paramsApplied === 'function' ? paramsApplied(r, i) : paramsApplied;
  const pointIds = indexed.map(({ r }) => r.pointId);
  const days = indexed.map(({ r }) => r.day);
  // One JSON document for the batch: a jsonb[] parameter would be escaped element by element as an array literal
  // (findings and outcomes are a few kB per point-day), which cost more than the rest of the save.
  const batch = indexed
    .map(
      ({ r, i }) =>
        `{"p":${r.pointId},"d":"${r.day}","f":${JSON.stringify(r.findings ?? [])},"o":${JSON.stringify(r.outcomes ?? [])},` +
        `"a":${JSON.stringify(applied(r, i) ?? [])}}`,
    )
    .join(',');
  await veeQuery(
    tx,
    `INSERT INTO vee_validation (point_id, day, findings, outcomes, params_applied, computed_at)
     SELECT x.p, x.d, x.f, x.o, x.a, COALESCE($2::timestamptz, now())
       FROM jsonb_to_recordset($1::jsonb) AS x(p bigint, d date, f jsonb, o jsonb, a jsonb)
      ORDER BY x.p, x.d
     ON CONFLICT (point_id, day) DO UPDATE
        SET findings = EXCLUDED.findings, outcomes = EXCLUDED.outcomes, params_applied = EXCLUDED.params_applied,
            computed_at = EXCLUDED.computed_at`,
    [`[${batch}]`, opts.now ?? null],
  );
  await veeQuery(
    tx,
    `DELETE FROM vee_validated v USING unnest($1::bigint[], $2::date[]) AS k(p, d)
      WHERE v.point_id = k.p AND v.day = k.d`,
    [pointIds, days],
  );
  const out = new CopyBinary();
  const fields = VALIDATED_COLUMNS.length + (opts.now ? 1 : 0);
  let channels = 0;
  for (const { r } of indexed) {
    for (const c of r.channels) {
      out.row(fields);
      out.int8(c.meterId);
      out.int2(c.channel);
      out.date(r.day);
      out.int8(r.pointId);
      out.int2(c.quantityCode);
      if (c.refused === null || c.refused === undefined) out.null();
      else copyText(out, c.refused);
      out.bytea(allZero(c.rules) ? EMPTY : rulesToBytes(c.rules));
      out.bytea(c.severity);
      out.bytea(allZero(c.reason) ? EMPTY : c.reason);
      if (opts.now) out.timestamptz(opts.now.getTime());
      channels++;
    }
  }
  if (channels > 0) {
    const columns = opts.now ? [...VALIDATED_COLUMNS, 'computed_at'] : [...VALIDATED_COLUMNS];
    await copyInto(tx, 'vee_validated', columns, out);
  }
  return { pointDays: results.length, channels };
}

export interface StoredChannelValidation {
  meterId: number;
  channel: number;
  quantityCode: number;
  refused: string | null;
  rules: Uint32Array;
  severity: Uint8Array;
  reason: Uint8Array;
  computedAt: Date;
}

export interface StoredValidation {
  pointId: number;
  day: string;
  findings: Finding[];
  outcomes: RuleOutcome[];
  paramsApplied: AppliedParams;
  computedAt: Date;
  /** Ordered by meter and channel. */
  channels: StoredChannelValidation[];
}

/** Stored validations of the points over from..to, ordered by point and day. */
export async function getValidations(
  db: VeeDb,
  pointIds: readonly number[],
  from: string,
  to: string,
): Promise<StoredValidation[]> {
  checkIds(pointIds, 'pointIds');
  checkRange(from, to);
  if (pointIds.length === 0) return [];
  const heads = await veeQuery<{
    point_id: number;
    day: string;
    findings: Finding[];
    outcomes: RuleOutcome[];
    params_applied: AppliedParams;
    computed_at: Date;
  }>(
    db,
    `SELECT point_id, to_char(day, 'YYYY-MM-DD') AS day, findings, outcomes, params_applied, computed_at
       FROM vee_validation
      WHERE point_id = ANY($1::bigint[]) AND day BETWEEN $2::date AND $3::date
      ORDER BY point_id, day`,
    [pointIds, from, to],
  );
  const rows = await veeQuery<{
    point_id: number;
    day: string;
    meter_id: number;
    channel: number;
    quantity_code: number;
    refused: string | null;
    rules: string;
    severity: string;
    reason: string;
    computed_at: Date;
  }>(
    db,
    `SELECT point_id, to_char(day, 'YYYY-MM-DD') AS day, meter_id, channel, quantity_code, refused,
            encode(rules, 'base64') AS rules, encode(severity, 'base64') AS severity,
            encode(reason, 'base64') AS reason, computed_at
       FROM vee_validated
      WHERE point_id = ANY($1::bigint[]) AND day BETWEEN $2::date AND $3::date
      ORDER BY point_id, day, meter_id, channel`,
    [pointIds, from, to],
  );
  const out = new Map<string, StoredValidation>();
  for (const h of heads) {
    out.set(`${h.point_id}|${h.day}`, {
      pointId: Number(h.point_id),
      day: h.day,
      findings: h.findings,
      outcomes: h.outcomes,
      paramsApplied: h.params_applied,
      computedAt: h.computed_at,
      channels: [],
    });
  }
  for (const r of rows) {
    const v = out.get(`${r.point_id}|${r.day}`);
    if (!v) continue;
    const rules = decodeBase64Bytes(r.rules);
    const severity = decodeBase64Bytes(r.severity);
    const reason = decodeBase64Bytes(r.reason);
    v.channels.push({
      meterId: Number(r.meter_id),
      channel: r.channel,
      quantityCode: r.quantity_code,
      refused: r.refused,
      rules: rules.length === 0 ? new Uint32Array(severity.length) : rulesFromBytes(rules),
      severity,
      reason: reason.length === 0 ? new Uint8Array(severity.length) : reason,
      computedAt: r.computed_at,
    });
  }
  return [...out.values()];
}

/** The stored validation of one point-day, or null. */
export async function getValidation(db: VeeDb, pointId: number, day: string): Promise<StoredValidation | null> {
  checkDayArg(day, 'day');
  const [v] = await getValidations(db, [pointId], day, day);
  return v ?? null;
}
