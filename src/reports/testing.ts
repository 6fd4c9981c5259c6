/**
 * Synthetic report data for tests and the memory note: comparisons, completeness and final series made up without a
 * store, deterministic (seeded), so the writers can be checked and measured on any number of points.
 */

import { Random } from '../domain/random.ts';
import { addDays } from '../domain/time.ts';
import { comparePoint, type PointDayComparison } from '../vee/compare.ts';
import { DEFAULT_PARAMS } from '../vee/params.ts';
import { emptyFinalDay, type FinalDay, meterDay, Quality, RAW_ACTUAL, Reason, Source } from '../vee/types.ts';
import type { PointComparisons } from './compare.ts';
import type { CompletenessDay, PointCompletenessReport } from './completeness.ts';
import { energyOfPoint, type PointEnergyReport } from './energy.ts';
import type { ReportPoint } from './points.ts';

export function fakePoint(i: number): ReportPoint {
  return {
    id: i + 1,
    code: `SPTESTE${String(i).padStart(6, '0')}`,
    name: `Ponto de teste nº ${i} — ação`,
    timezone: 'America/Sao_Paulo',
  };
}

function profile(seed: number, k: number): number {
  return 10 + 5 * Math.sin((k / 288) * 2 * Math.PI - 1.5) + (seed % 7) * 0.3;
}

/** A point-day comparison with a few missing slots and some intervals beyond tolerance. */
export function fakeComparisonDay(i: number, day: string): PointDayComparison {
  const rnd = new Random(i * 1000 + Number(day.slice(8, 10)));
  const p: (number | null)[] = [];
  const r: (number | null)[] = [];
  for (let k = 0; k < 288; k++) {
    const v = profile(i, k);
    p.push(k >= 100 && k < 104 ? null : v);
    r.push(k % 97 === 5 ? v * 1.3 : v * (1 + (rnd.next() - 0.5) * 0.004));
  }
  const mk = (role: 'principal' | 'retaguarda', values: (number | null)[]) =>
    meterDay({
      meterId: role === 'principal' ? 1 : 2,
      role,
      channel: 1,
      quantityCode: 1,
      day,
      slots: 288,
      intervalS: 300,
      value: values,
      flags: Uint8Array.from(values, (v) => (v === null ? 0 : RAW_ACTUAL)),
    });
  const final = emptyFinalDay({
    pointId: i + 1,
    pointCode: fakePoint(i).code,
    quantityCode: 1,
    day,
    slots: 288,
    intervalS: 300,
  });
  for (let k = 0; k < 288; k++) {
    final.value[k] = p[k] ?? (r[k] as number);
    final.source[k] = p[k] === null ? Source.retaguarda : Source.principal;
    final.quality[k] = p[k] === null ? Quality.S : Quality.A;
    final.reason[k] = p[k] === null ? Reason.missing : Reason.none;
  }
  return comparePoint({
    day,
    principal: [mk('principal', p)],
    retaguarda: [mk('retaguarda', r)],
    finals: [final],
    params: DEFAULT_PARAMS,
  });
}

export async function* fakeComparisons(points: number, from: string, days: number): AsyncGenerator<PointComparisons> {
  for (let i = 0; i < points; i++) {
    const out: PointDayComparison[] = [];
    for (let d = 0; d < days; d++) out.push(fakeComparisonDay(i, addDays(from, d)));
    yield { point: fakePoint(i), days: out };
  }
}

export function fakeCompleteness(i: number, from: string, days: number): PointCompletenessReport {
  const out: CompletenessDay[] = [];
  let slots = 0;
  let filled = 0;
  for (let d = 0; d < days; d++) {
    const day = addDays(from, d);
    const s = i % 11 === 3 && d === 0 ? 0 : 576;
    const missing = s === 0 ? 0 : [0, 0, 0, 2, 30, 200, 576][(i + d) % 7];
    slots += s;
    filled += s - missing;
    out.push({ day, slots: s, filled: s - missing, missing, percent: s === 0 ? null : (100 * (s - missing)) / s });
  }
  return {
    point: fakePoint(i),
    days: out,
    slots,
    filled,
    missing: slots - filled,
    percent: slots === 0 ? null : (100 * filled) / slots,
  };
}

export async function* fakeCompletenessSource(points: number, from: string, days: number) {
  for (let i = 0; i < points; i++) yield fakeCompleteness(i, from, days);
}

/** Final series of a point: C and G, quality A with a few estimated and missing slots. */
export function fakeFinals(i: number, from: string, days: number): FinalDay[] {
  const out: FinalDay[] = [];
  for (const code of [1, 14]) {
    for (let d = 0; d < days; d++) {
      const day = addDays(from, d);
      const f = emptyFinalDay({
        pointId: i + 1,
        pointCode: fakePoint(i).code,
        quantityCode: code,
        day,
        slots: 288,
        intervalS: 300,
      });
      for (let k = 0; k < 288; k++) {
        if (k === 7) continue;
        f.value[k] = code === 1 ? profile(i, k) : Math.max(0, 3 * Math.sin(((k - 72) / 144) * Math.PI));
        f.quality[k] = k >= 20 && k < 24 ? Quality.E : Quality.A;
        f.source[k] = k >= 20 && k < 24 ? Source.estimate : Source.principal;
        f.reason[k] = Reason.none;
      }
      f.version = d === 0 ? 2 : 1;
      out.push(f);
    }
  }
  return out;
}

export async function* fakeEnergy(points: number, from: string, days: number): AsyncGenerator<PointEnergyReport> {
  for (let i = 0; i < points; i++) yield energyOfPoint(fakePoint(i), fakeFinals(i, from, days));
}
