/**
 * 0x25 "Leitura dos períodos de falta de energia" (spec §7.4, item 3.1.2.1.5). Request offset 4: 01 = current
 * period, 00 = previous [S]. Response: 20 records × 12 bytes at offsets 5–244, each start then return
 * (hh mm ss DD MM YY) [C]; oldest first [S]; all-zero records are empty [I]. The tail (245–255, totals) has an
 * unknown bit layout and is kept raw.
 *
 * Decoding is lenient: one corrupt record becomes a warning (its bad side null, or the record dropped when both
 * sides are bad) so the other nineteen still reach the reader.
 */
import { FronteiraError } from '../../../domain/errors.ts';
import type { FieldReader, FieldWriter, WallTime } from '../fields.ts';
import type { CommandSpec } from './types.ts';
import { paramError, requireBytes, requireInt, requireWallTime } from './writes.ts';

export interface OutagesRequest {
  period: 'current' | 'previous';
}

export interface OutageRecord {
  /** 0-based position in the meter's 20-record table (19 = last slot). */
  slot: number;
  /** Power lost; null when the meter left it zero (or it was corrupt: see warnings). */
  start: WallTime | null;
  /** Power returned; null while the outage is open (or when corrupt). */
  end: WallTime | null;
}

export interface Outages {
  records: OutageRecord[];
  /** Offsets 245–255 (counters and totals, layout [U]). */
  tail: Uint8Array;
}

export const OUTAGE_SLOTS = 20;
const RECORD_BASE = 5;
const RECORD_LENGTH = 12;
const TAIL_OFFSET = 245;
const TAIL_LENGTH = 11;

export function decodeOutages(r: FieldReader): Outages {
  const b = r.bytes;
  const records: OutageRecord[] = [];
  for (let slot = 0; slot < OUTAGE_SLOTS; slot++) {
    const off = RECORD_BASE + RECORD_LENGTH * slot;
    let empty = true;
    for (let i = off; i < off + RECORD_LENGTH; i++) if (b[i] !== 0) empty = false;
    if (empty) continue;
    const start = r.dateTimeOrNull(off, `outage ${slot} start`);
    const end = r.dateTimeOrNull(off + 6, `outage ${slot} end`);
    if (start === null && end === null) {
      r.warnings.push(`${r.context}: outage record ${slot} at offset ${off} has no valid time; record skipped`);
      continue;
    }
    records.push({ slot, start, end });
  }
  return { records, tail: r.raw(TAIL_OFFSET, TAIL_LENGTH) };
}

export function encodeOutages(w: FieldWriter, v: Outages): void {
  if (!Array.isArray(v.records)) throw paramError(w.context, 'records', 'not a list');
  const used = new Set<number>();
  for (const rec of v.records) {
    const slot = requireInt(w.context, 'outage slot', rec.slot, 0, OUTAGE_SLOTS - 1);
    if (used.has(slot)) throw paramError(w.context, 'outage slot', `slot ${slot} used twice`);
    used.add(slot);
    const off = RECORD_BASE + RECORD_LENGTH * slot;
    const field = `outage ${slot}`;
    w.dateTime(
      off,
      rec.start === null ? null : requireWallTime(w.context, `${field} start`, rec.start),
      `${field} start`,
    );
    w.dateTime(off + 6, rec.end === null ? null : requireWallTime(w.context, `${field} end`, rec.end), `${field} end`);
  }
  w.raw(TAIL_OFFSET, requireBytes(w.context, 'tail', v.tail, TAIL_LENGTH));
}

export const cmd25: CommandSpec<OutagesRequest, Outages> = {
  code: 0x25,
  name: 'Leitura dos períodos de falta de energia',
  kind: 'read',
  composite: false,
  encodeRequest(w, req) {
    if (req.period !== 'current' && req.period !== 'previous') {
      throw paramError(w.context, 'period', `'${String(req.period)}' is not 'current' or 'previous'`);
    }
    w.u8(4, req.period === 'current' ? 1 : 0, 'period');
  },
  decodeRequest(r) {
    const p = r.u8(4);
    if (p > 1) {
      throw new FronteiraError(
        'FRONTEIRA_E_ABNT_PARAMETER',
        `${r.context}: period at offset 4 is 0x${p.toString(16)}`,
        {
          context: r.context,
          field: 'period',
          offset: 4,
        },
      );
    }
    return { period: p === 1 ? 'current' : 'previous' };
  },
  encodeResponse: encodeOutages,
  decodeResponse: decodeOutages,
};
