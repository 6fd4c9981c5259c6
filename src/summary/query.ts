/**
 * SQL of the energy summaries (issue 7): totals of the CURRENT final series (vee_final, superseded_at IS NULL) per
 * group of points, quantity and period, with the completeness of what went into them.
 *
 * What a total expects. A point-quantity-day is expected when a meter of the point valid on that operating day has
 * the quantity in its channel_map (and the point was not retired before the day began), or when a current final
 * row exists for it (virtual meters have no meter: their rows are their expectation). An expected day without a
 * final row counts all its slots as missing; its slot count is the day's length over the meter's interval (288 for
 * 5 min; 276/300 on old DST days), a stored row's own `slots` otherwise. (Daily and monthly totals subtract the
 * `slots` of the rows found on expected days from the expected slots; a row whose slot count differs from its
 * meter's interval would shift that difference: no VEE output does so.)
 *
 * Daily and monthly totals come from the per-row `energy` and `counts` columns (N, A, S, E, M), never unpacking
 * the arrays; hourly totals need the slots and read the arrays (base64 of array_send, decoded in summary.ts),
 * a few days per statement.
 *
 * Group rows: by segment, each point once (its segment); by tag, a point in every tag it carries (so tag totals
 * may overlap); by one tag, the points carrying it. Points of kind 'virtual' are left out unless asked for
 * (`kind <> 'virtual'` holds whether or not the store knows that kind).
 */
import { inVeeTransaction, type VeeDb, veeQuery } from '../store/vee-final.ts';

export type SummaryBy = { kind: 'segment' } | { kind: 'tag'; tag: string | null };

export interface SummaryScope {
  by: SummaryBy;
  from: string;
  to: string;
  quantityCodes: readonly number[];
  includeVirtual: boolean;
}

/** Positional parameters shared by every statement: $1 from, $2 to, $3 quantity codes, $4 include virtual, $5 tag. */
function params(s: SummaryScope, from = s.from, to = s.to): unknown[] {
  const p: unknown[] = [from, to, [...s.quantityCodes], s.includeVirtual];
  if (s.by.kind === 'tag' && s.by.tag !== null) p.push(s.by.tag);
  return p;
}

/** Condition on `metering_point p` of the points in scope. */
function pointFilter(by: SummaryBy, virtualParam = '$4', tagParam = '$5'): string {
  const notVirtual = `(${virtualParam}::boolean OR p.kind <> 'virtual')`;
  if (by.kind === 'segment') return notVirtual;
  if (by.tag === null) return `cardinality(p.tags) > 0 AND ${notVirtual}`;
  return `${tagParam}::text = ANY(p.tags) AND ${notVirtual}`;
}

/** The (point, group) pairs of the scope. */
function groupCte(by: SummaryBy, virtualParam = '$4', tagParam = '$5'): string {
  const where = pointFilter(by, virtualParam, tagParam);
  if (by.kind === 'segment') return `SELECT p.id AS point_id, p.segment AS grp FROM metering_point p WHERE ${where}`;
  if (by.tag === null) {
    return `SELECT DISTINCT p.id AS point_id, t.tag AS grp
              FROM metering_point p CROSS JOIN LATERAL unnest(p.tags) AS t(tag) WHERE ${where}`;
  }
  return `SELECT p.id AS point_id, ${tagParam}::text AS grp FROM metering_point p WHERE ${where}`;
}

/**
 * The scope's points and, per point and quantity, what the registry expects: `days`, the operating days of
 * from..to covered by a meter that reads the quantity (a datemultirange: meter validity and the point's retirement
 * turned into whole local days), and the interval of the principal meter (another's when there is none).
 * A day is covered when the meter is valid for any part of it: valid_from before the day's end, valid_to (and
 * retired_at) after its start.
 */
function expectationCtes(by: SummaryBy): string {
  return `
  WITH grp AS MATERIALIZED (${groupCte(by)}),
  pts AS (
    SELECT p.id, p.timezone, p.retired_at FROM metering_point p WHERE p.id IN (SELECT point_id FROM grp)
  ),
  dst AS MATERIALIZED (
    -- Days of the range whose length is not 24 h, per zone (none in Brazil since 2019).
    SELECT d.timezone, d.day, d.seconds
      FROM (
        SELECT tz.timezone, g.day::date AS day,
               extract(epoch FROM ((g.day + interval '1 day') AT TIME ZONE tz.timezone)
                                  - (g.day AT TIME ZONE tz.timezone))::int AS seconds
          FROM (SELECT DISTINCT timezone FROM pts) AS tz
         CROSS JOIN generate_series($1::date::timestamp, $2::date::timestamp, interval '1 day') AS g(day)
      ) AS d
     WHERE d.seconds <> 86400
  ),
  exp AS MATERIALIZED (
    SELECT m.point_id, (e.x->>'quantityCode')::int AS q, min(pts.timezone) AS timezone,
           (array_agg(m.mm_interval_s ORDER BY m.role <> 'principal', m.id))[1] AS interval_s,
           range_agg(daterange(b.lo, b.hi)) * datemultirange(daterange($1::date, $2::date, '[]')) AS days
      FROM meter m
      JOIN pts ON pts.id = m.point_id
     CROSS JOIN LATERAL jsonb_array_elements(m.channel_map) AS e(x)
     CROSS JOIN LATERAL (
       SELECT (m.valid_from AT TIME ZONE pts.timezone)::date AS lo,
              ((LEAST(m.valid_to, pts.retired_at) - interval '1 microsecond') AT TIME ZONE pts.timezone)::date + 1 AS hi
     ) AS b
     WHERE (e.x->>'quantityCode')::int = ANY($3::int[]) AND (b.hi IS NULL OR b.hi > b.lo)
     GROUP BY m.point_id, 2
  )`;
}

/** Slots of the expected days of `exp e` inside the date range `r`: whole days, corrected for DST days. */
const EXPECTED_SLOTS = (r: string) => `(
      (SELECT COALESCE(sum(upper(x) - lower(x)), 0) FROM unnest(e.days * datemultirange(${r})) AS x) * (86400 / e.interval_s)
      + (SELECT COALESCE(sum((d.seconds - 86400) / e.interval_s), 0) FROM dst d
          WHERE d.timezone = e.timezone AND d.day <@ e.days AND d.day <@ ${r}))`;

/** ed: one row per expected point, quantity and day, with its slot count. */
const EXPECTED_DAYS = `
  ed AS (
    SELECT e.point_id, e.q, g.day::date AS day, e.interval_s, COALESCE(d.seconds, 86400) / e.interval_s AS slots
      FROM exp e
     CROSS JOIN generate_series($1::date::timestamp, $2::date::timestamp, interval '1 day') AS g(day)
      LEFT JOIN dst d ON d.timezone = e.timezone AND d.day = g.day::date
     WHERE g.day::date <@ e.days
  )`;

/**
 * Current final rows of the scope in from..to (`join`: more tables joined to f). The scope is a join with
 * metering_point rather than `IN (SELECT … FROM pts)`: the planner has statistics for the table and none for the
 * CTE, and with its default guess (200 points) it probed the index once per point, reading the heap in random
 * order (10,000 points: 5 of the 10 s).
 */
const finals = (by: SummaryBy, join = '') => `vee_final f JOIN metering_point p ON p.id = f.point_id ${join}
     WHERE f.superseded_at IS NULL AND f.day BETWEEN $1::date AND $2::date AND f.quantity_code = ANY($3::int[])
       AND ${pointFilter(by)}`;

/**
 * Runs `fn` in a transaction with settings for reporting statements: JIT off (they aggregate many rows with simple
 * expressions: on a month of 1,000 points the server spent 5.2 s compiling them against 0.7 s executing) and
 * work_mem enough to hash ~100,000 point-quantity-periods (with the default 4 MB the month of 10,000 points was
 * sorted through temporary files instead).
 */
async function withReportSettings<T>(db: VeeDb, fn: (tx: VeeDb) => Promise<T>): Promise<T> {
  return inVeeTransaction(db, async (tx) => {
    await veeQuery(tx, 'SET LOCAL jit = off');
    await veeQuery(tx, "SET LOCAL work_mem = '64MB'");
    return fn(tx);
  });
}

export interface AggregateRow {
  grp: string;
  q: number;
  period: string;
  energy: number;
  slots: number;
  n: number;
  a: number;
  s: number;
  e: number;
  m: number;
  points: number;
  with_data: number;
}

/** The statement aggregateTotals runs (exported for EXPLAIN in benchmarks). */
export function aggregateStatement(
  scope: SummaryScope,
  resolution: 'day' | 'month',
): { text: string; params: unknown[] } {
  const daily = resolution === 'day';
  // Periods stay dates (days) or 'YYYY-MM' text (months) through the joins; days are formatted at the end.
  const bucket = (day: string) => (daily ? `${day}::date` : `to_char(${day}, 'YYYY-MM')`);
  // Finals are summed per point, quantity and period first. Monthly, the expectation per point, quantity and
  // month comes from the lengths of its day ranges, so nothing is expanded to one row per point-day; daily, it is
  // one row per expected day, and a row found on an expected day covers it (no range lookup per row).
  const expected = daily
    ? `${EXPECTED_DAYS},
  eb AS (SELECT point_id, q, day AS period, slots FROM ed)`
    : `bk AS (
    SELECT ${bucket('g.day')} AS period, daterange(min(g.day)::date, max(g.day)::date + 1) AS r
      FROM generate_series($1::date::timestamp, $2::date::timestamp, interval '1 day') AS g(day)
     GROUP BY 1
  ),
  eb AS (
    SELECT e.point_id, e.q, bk.period, ${EXPECTED_SLOTS('bk.r')} AS slots
      FROM exp e CROSS JOIN bk
  )`;
  const onExpected = daily ? 'sum(f.slots)' : 'COALESCE(sum(f.slots) FILTER (WHERE f.day <@ x.days), 0)';
  const text = `${expectationCtes(scope.by)},
  ${expected},
  fb AS (
    SELECT f.point_id, f.quantity_code::int AS q, ${bucket('f.day')} AS period, sum(f.energy) AS energy,
           sum(f.slots) AS slots, sum(f.counts[1]) AS n, sum(f.counts[2]) AS a, sum(f.counts[3]) AS s,
           sum(f.counts[4]) AS e, sum(f.counts[5]) AS m, bool_or(f.counts[1] < f.slots) AS has_data,
           ${onExpected} AS on_expected
      FROM ${finals(scope.by, daily ? '' : 'LEFT JOIN exp x ON x.point_id = f.point_id AND x.q = f.quantity_code')}
     GROUP BY f.point_id, f.quantity_code, 3
  ),
  pp AS (
    -- Expected slots without a row are missing.
    SELECT COALESCE(f.point_id, e.point_id) AS point_id, COALESCE(f.q, e.q) AS q, COALESCE(f.period, e.period) AS period,
           COALESCE(f.energy, 0) AS energy, COALESCE(f.slots, 0) AS slots, COALESCE(f.n, 0) AS n,
           COALESCE(f.a, 0) AS a, COALESCE(f.s, 0) AS s, COALESCE(f.e, 0) AS e, COALESCE(f.m, 0) AS m,
           GREATEST(COALESCE(e.slots, 0) - COALESCE(f.on_expected, 0), 0) AS absent,
           COALESCE(f.has_data, false) AS has_data
      FROM fb f FULL JOIN (SELECT * FROM eb WHERE slots > 0) AS e
        ON e.point_id = f.point_id AND e.q = f.q AND e.period = f.period
  )
  SELECT g.grp, pp.q, ${daily ? "to_char(pp.period, 'YYYY-MM-DD')" : 'pp.period'} AS period,
         sum(pp.energy)::float8 AS energy, sum(pp.slots + pp.absent)::float8 AS slots,
         sum(pp.n + pp.absent)::float8 AS n, sum(pp.a)::float8 AS a, sum(pp.s)::float8 AS s, sum(pp.e)::float8 AS e,
         sum(pp.m)::float8 AS m, count(*)::int AS points, (count(*) FILTER (WHERE pp.has_data))::int AS with_data
    FROM pp JOIN grp g ON g.point_id = pp.point_id
   GROUP BY g.grp, pp.q, pp.period
   ORDER BY g.grp, pp.q, pp.period`;
  return { text, params: params(scope) };
}

/**
 * Daily or monthly totals per group, quantity and period (a month = the operating days of the range in that
 * month), ordered by group, quantity and period. A point counts as "with data" in a period when one of its slots
 * there is not missing.
 */
export async function aggregateTotals(
  db: VeeDb,
  scope: SummaryScope,
  resolution: 'day' | 'month',
): Promise<AggregateRow[]> {
  const { text, params: p } = aggregateStatement(scope, resolution);
  const rows = await withReportSettings(db, (tx) => veeQuery<AggregateRow>(tx, text, p));
  return rows.map((r) => ({ ...r, q: Number(r.q) }));
}

export interface GroupMember {
  point_id: number;
  grp: string;
}

/** The (point, group) pairs of the scope. */
export async function groupMembers(db: VeeDb, scope: SummaryScope): Promise<GroupMember[]> {
  const rows = await veeQuery<GroupMember>(
    db,
    `WITH grp AS (${groupCte(scope.by, '$1', '$2')}) SELECT point_id, grp FROM grp ORDER BY grp, point_id`,
    params(scope).slice(3),
  );
  return rows.map((r) => ({ point_id: Number(r.point_id), grp: r.grp }));
}

export interface PointDayRow {
  point_id: number;
  q: number;
  day: string;
  timezone: string;
  slots: number;
  interval_s: number;
  /** Slots without data: the row's N count, or all of them when there is no row. */
  n: number;
  /** base64 array_send of the values; null: no final row. */
  value: string | null;
  /** base64 quality codes; null: no final row. */
  quality: string | null;
}

/** Every expected or present point-quantity-day of from..to, with the arrays of the rows that exist. */
export async function pointDays(db: VeeDb, scope: SummaryScope, from: string, to: string): Promise<PointDayRow[]> {
  const rows = await withReportSettings(db, (tx) =>
    veeQuery<PointDayRow>(
      tx,
      `${expectationCtes(scope.by)},
${EXPECTED_DAYS},
  fd AS (
    SELECT f.id, f.point_id, f.quantity_code::int AS q, f.day, f.slots, f.interval_s, f.counts[1] AS n
      FROM ${finals(scope.by)}
  ),
  pd AS (
    SELECT COALESCE(f.point_id, e.point_id) AS point_id, COALESCE(f.q, e.q) AS q, COALESCE(f.day, e.day) AS day,
           f.id AS final_id, COALESCE(f.slots, e.slots) AS slots, COALESCE(f.interval_s, e.interval_s) AS interval_s,
           COALESCE(f.n, e.slots) AS n
      FROM fd f FULL JOIN ed e ON e.point_id = f.point_id AND e.q = f.q AND e.day = f.day
  )
  SELECT pd.point_id, pd.q, to_char(pd.day, 'YYYY-MM-DD') AS day, p.timezone, pd.slots, pd.interval_s, pd.n,
         CASE WHEN pd.final_id IS NULL OR pd.n = pd.slots THEN NULL ELSE encode(array_send(f.value), 'base64') END
           AS value,
         CASE WHEN pd.final_id IS NULL OR pd.n = pd.slots THEN NULL ELSE encode(f.quality, 'base64') END AS quality
    FROM pd JOIN metering_point p ON p.id = pd.point_id
    LEFT JOIN vee_final f ON f.id = pd.final_id
   ORDER BY pd.day, pd.point_id, pd.q`,
      params(scope, from, to),
    ),
  );
  return rows.map((r) => ({ ...r, point_id: Number(r.point_id), q: Number(r.q) }));
}
