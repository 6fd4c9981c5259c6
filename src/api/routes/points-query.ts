/**
 * The point list of the API: the registry filters plus status (active, retired or all), which the registry
 * service's list (active, or everything) does not offer.
 */
import { sql } from 'kysely';
import type { Db, PointRow } from '../../store/registry.ts';

export interface PointListQuery {
  segment?: PointRow['segment'];
  kind?: PointRow['kind'];
  substation?: string;
  tag?: string;
  q?: string;
  status: 'active' | 'retired' | 'all';
  limit: number;
  offset: number;
}

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function queryPoints(db: Db, q: PointListQuery): Promise<{ total: number; rows: PointRow[] }> {
  let query = db.selectFrom('metering_point');
  if (q.status === 'active') query = query.where('retired_at', 'is', null);
  if (q.status === 'retired') query = query.where('retired_at', 'is not', null);
  if (q.kind !== undefined) query = query.where('kind', '=', q.kind);
  if (q.segment !== undefined) query = query.where('segment', '=', q.segment);
  if (q.substation !== undefined) query = query.where('substation', '=', q.substation.trim());
  if (q.tag !== undefined) query = query.where(sql<boolean>`tags @> ${sql.val([q.tag.trim()])}::text[]`);
  if (q.q !== undefined && q.q.trim() !== '') {
    const pattern = likePattern(q.q.trim());
    query = query.where((eb) =>
      eb.or([
        eb('code', 'ilike', pattern),
        eb('name', 'ilike', pattern),
        eb('customer', 'ilike', pattern),
        eb('substation', 'ilike', pattern),
      ]),
    );
  }
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query.selectAll().orderBy('code').limit(q.limit).offset(q.offset).execute();
  return { total: Number(total.n), rows };
}
