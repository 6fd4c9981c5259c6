/**
 * A small store for report tests (test support; nothing in production imports it): two points tagged 'relatorio',
 * the first with a principal and a retaguarda meter (3 principal slots missing on the first day, the retaguarda 1 %
 * above), the second with a principal only; two closed operating days of 5-minute kWh data, then VEE over them.
 */
import { addDays, operatingDayOfIntervalEnd, operatingDayStart } from '../domain/time.ts';
import { addMeter, createPoint } from '../registry/service.ts';
import { withTransaction } from '../store/bulk.ts';
import { type DayBlock, writeDayBlocks } from '../store/day-blocks.ts';
import type { Store } from '../store/pool.ts';
import { runVeeRange } from '../vee/service.ts';

export const CODE_A = 'SPRELATORIO01';
export const CODE_B = 'SPRELATORIO02';
export const MISSING = [10, 11, 12];

export interface ReportFixture {
  day1: string;
  day2: string;
  pointA: number;
  pointB: number;
}

function block(meterId: number, day: string, scale: number, missing: readonly number[]): DayBlock {
  const n = 288;
  const value = new Float64Array(n);
  const pulses = new Int32Array(n);
  const flags = new Uint8Array(n);
  let filled = 0;
  for (let k = 0; k < n; k++) {
    if (missing.includes(k)) {
      value[k] = Number.NaN;
      pulses[k] = -1;
      continue;
    }
    value[k] = scale * (1 + (k % 12) / 10);
    pulses[k] = Math.round(value[k] * 100);
    flags[k] = 1;
    filled++;
  }
  return {
    meterId,
    channel: 1,
    day,
    intervalS: 300,
    slots: n,
    value,
    pulses,
    flags,
    filled,
    firstSession: null,
    lastSession: null,
  };
}

export async function seedReportStore(store: Store): Promise<ReportFixture> {
  const day1 = addDays(operatingDayOfIntervalEnd(Date.now()), -3);
  const day2 = addDays(day1, 1);
  const ctx = { db: store.db, actor: 'test' };
  const a = await createPoint(ctx, {
    code: CODE_A,
    name: 'Subestação Ação',
    kind: 'fronteira',
    segment: 'livre',
    tags: ['relatorio'],
  });
  const b = await createPoint(ctx, {
    code: CODE_B,
    name: 'Usina Conceição',
    kind: 'fronteira',
    segment: 'livre',
    tags: ['relatorio'],
  });
  const channelMap = [{ group: 0, channel: 1, quantityCode: 1, numerator: 1, denominator: 100 }];
  const validFrom = new Date(operatingDayStart(addDays(day1, -10)));
  const pa = await addMeter(ctx, { serial: '40000001', pointCode: CODE_A, role: 'principal', channelMap, validFrom });
  const ra = await addMeter(ctx, { serial: '40000002', pointCode: CODE_A, role: 'retaguarda', channelMap, validFrom });
  const pb = await addMeter(ctx, { serial: '40000003', pointCode: CODE_B, role: 'principal', channelMap, validFrom });
  await withTransaction(store, (tx) =>
    writeDayBlocks(tx, [
      block(Number(pa.id), day1, 1, MISSING),
      block(Number(ra.id), day1, 1.01, []),
      block(Number(pa.id), day2, 1, []),
      block(Number(ra.id), day2, 1.01, []),
      block(Number(pb.id), day1, 2, []),
      block(Number(pb.id), day2, 2, []),
    ]),
  );
  const pointA = Number(a.id);
  const pointB = Number(b.id);
  await runVeeRange(store, { from: day1, to: day2, pointIds: [pointA, pointB] });
  return { day1, day2, pointA, pointB };
}
