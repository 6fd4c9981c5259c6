/**
 * Completeness of the raw layer per point and operating day, from collect's per meter/channel figures: a meter's
 * figure sums its channels; the point's figure is its principal meter(s) (a swap day has two), or the retaguarda
 * when no principal is registered. Plus the gap list with its meter and point.
 */
import { dayCompleteness } from '../../collect/completeness.ts';
import type { Db, PointRow } from '../../store/registry.ts';
import type { GapState } from '../../store/schema.ts';

export interface MeterDay {
  serial: string;
  role: string;
  slots: number;
  filled: number;
}

export interface PointDay {
  day: string;
  slots: number;
  filled: number;
  percent: number;
  meters: MeterDay[];
}

export interface PointCompleteness {
  code: string;
  name: string;
  segment: string;
  slots: number;
  filled: number;
  percent: number;
  days: PointDay[];
}

const pct = (filled: number, slots: number) => (slots === 0 ? 100 : Math.round((filled / slots) * 10_000) / 100);

export async function pointsCompleteness(
  db: Db,
  points: readonly PointRow[],
  from: string,
  to: string,
): Promise<PointCompleteness[]> {
  if (points.length === 0) return [];
  const meters = await db
    .selectFrom('meter')
    .select(['id'])
    .where(
      'point_id',
      'in',
      points.map((p) => p.id),
    )
    .execute();
  const rows =
    meters.length === 0
      ? []
      : await dayCompleteness(db, { fromDay: from, toDay: to, meterIds: meters.map((m) => Number(m.id)) });
  const byPoint = new Map<string, Map<string, Map<number, MeterDay>>>();
  for (const r of rows) {
    let days = byPoint.get(r.pointCode);
    if (!days) {
      days = new Map();
      byPoint.set(r.pointCode, days);
    }
    let ms = days.get(r.day);
    if (!ms) {
      ms = new Map();
      days.set(r.day, ms);
    }
    const m = ms.get(r.meterId) ?? { serial: r.serial, role: r.role, slots: 0, filled: 0 };
    m.slots += r.slots;
    m.filled += r.filled;
    ms.set(r.meterId, m);
  }
  return points.map((p) => {
    const days: PointDay[] = [];
    for (const [day, ms] of [...(byPoint.get(p.code) ?? new Map<string, Map<number, MeterDay>>())].sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      const meters = [...ms.values()];
      const principal = meters.filter((m) => m.role === 'principal');
      const counted = principal.length > 0 ? principal : meters;
      const slots = counted.reduce((a, m) => a + m.slots, 0);
      const filled = counted.reduce((a, m) => a + m.filled, 0);
      days.push({ day, slots, filled, percent: pct(filled, slots), meters });
    }
    const slots = days.reduce((a, d) => a + d.slots, 0);
    const filled = days.reduce((a, d) => a + d.filled, 0);
    return { code: p.code, name: p.name, segment: p.segment, slots, filled, percent: pct(filled, slots), days };
  });
}

export interface GapListQuery {
  states?: GapState[];
  pointCode?: string;
  meterSerial?: string;
  limit: number;
  offset: number;
}

export async function queryGaps(db: Db, q: GapListQuery) {
  let query = db
    .selectFrom('gap as g')
    .innerJoin('meter as m', 'm.id', 'g.meter_id')
    .innerJoin('metering_point as p', 'p.id', 'm.point_id');
  if (q.states && q.states.length > 0) query = query.where('g.state', 'in', q.states);
  if (q.pointCode !== undefined) query = query.where('p.code', '=', q.pointCode);
  if (q.meterSerial !== undefined) query = query.where('m.serial', '=', q.meterSerial);
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .selectAll('g')
    .select(['m.serial as meter_serial', 'm.role as meter_role', 'p.code as point_code'])
    .orderBy('g.first_end', 'desc')
    .orderBy('g.id')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  return { total: Number(total.n), rows };
}

export async function gapById(db: Db, id: number) {
  return db
    .selectFrom('gap as g')
    .innerJoin('meter as m', 'm.id', 'g.meter_id')
    .innerJoin('metering_point as p', 'p.id', 'm.point_id')
    .selectAll('g')
    .select(['m.serial as meter_serial', 'm.role as meter_role', 'p.code as point_code'])
    .where('g.id', '=', id)
    .executeTakeFirst();
}
