/**
 * Fixtures for export tests: deterministic final series (no PRNG state to drift: values are a closed formula of
 * the slot) covering every quality, source and a missing stretch, and a store seeding helper.
 */
import { withTransaction } from '../store/bulk.ts';
import type { Store } from '../store/pool.ts';
import { insertMeter, insertPoint } from '../store/registry.ts';
import { saveFinals } from '../store/vee-final.ts';
import { emptyFinalDay, type FinalDay, Method, Quality, Reason, Source } from '../vee/types.ts';

export const GOLDEN_DAY = '2026-11-26';
export const GOLDEN_POINT = 'SPGOLDEN00001';
export const GOLDEN_SERIAL = '40123456';

/**
 * One final series: value = base + a daily curve in whole 0.01 steps. Slots 100-103 estimated (LI), 150
 * substituted from the retaguarda, 200 manual, 250-255 missing (N, re-read pending), the rest actual.
 */
export function fixtureFinal(
  pointId: number,
  pointCode: string,
  quantityCode: number,
  day: string,
  meterId: number | null,
): FinalDay {
  const f = emptyFinalDay({ pointId, pointCode, quantityCode, day, slots: 288, intervalS: 300 });
  const base = quantityCode === 1 ? 50 : quantityCode === 14 ? 5 : 12;
  for (let k = 0; k < f.slots; k++) {
    if (k >= 250 && k <= 255) {
      f.method[k] = Method.RR;
      continue;
    }
    f.value[k] = Math.round((base + base * 0.4 * Math.sin((2 * Math.PI * k) / 288) + (k % 7) * 0.13) * 100) / 100;
    f.reason[k] = Reason.none;
    if (k >= 100 && k <= 103) {
      f.quality[k] = Quality.E;
      f.method[k] = Method.LI;
      f.source[k] = Source.estimate;
      f.reason[k] = Reason.missing;
    } else if (k === 150) {
      f.quality[k] = Quality.S;
      f.method[k] = Method.RT;
      f.source[k] = Source.retaguarda;
      f.reason[k] = Reason.missing;
    } else if (k === 200) {
      f.quality[k] = Quality.M;
      f.method[k] = Method.ME;
      f.source[k] = Source.manual;
      f.reason[k] = Reason.manual;
    } else {
      f.quality[k] = Quality.A;
      f.source[k] = Source.principal;
    }
  }
  f.notes = { principalMeterId: meterId, retaguardaMeterId: null };
  return f;
}

export interface SeededPoint {
  pointId: number;
  meterId: number;
  code: string;
}

/** A point with a principal meter and final series for the four export channels on each given day. */
export async function seedExportPoint(
  store: Store,
  code: string,
  days: readonly string[],
  opts: { serial?: string; tags?: string[]; quantityCodes?: readonly number[] } = {},
): Promise<SeededPoint> {
  const point = await insertPoint(store.db, {
    code,
    name: `P ${code}`,
    kind: 'fronteira',
    segment: 'livre',
    tags: opts.tags,
  });
  const meter = await insertMeter(store.db, Number(point.id), {
    serial: opts.serial ?? GOLDEN_SERIAL,
    role: 'principal',
  });
  const finals: FinalDay[] = [];
  for (const day of days) {
    for (const q of opts.quantityCodes ?? [1, 14, 10, 15]) {
      finals.push(fixtureFinal(Number(point.id), code, q, day, Number(meter.id)));
    }
  }
  await withTransaction(store, (tx) => saveFinals(tx, finals, { cause: 'vee' }));
  return { pointId: Number(point.id), meterId: Number(meter.id), code };
}

/** Saves a new version of one series (what a later VEE run or an edit does), changing one slot's value. */
export async function supersedeFinal(store: Store, f: FinalDay, slot: number, value: number): Promise<void> {
  const next = { ...f, value: f.value.slice(), quality: f.quality.slice(), source: f.source.slice() };
  next.value[slot] = value;
  next.quality[slot] = Quality.M;
  next.source[slot] = Source.manual;
  await withTransaction(store, (tx) => saveFinals(tx, [next], { cause: 'edit:1' }));
}
