/**
 * Time conventions (DESIGN.md): instants are epoch ms (UTC); meters and the operating day live in Brasília legal
 * time. A "wall time" is the local clock reading encoded as epoch ms read as if UTC (see protocols fields.ts), which
 * makes interval arithmetic exact; the zone's rules (historic DST included) apply only when converting.
 */
export const DEFAULT_ZONE = 'America/Sao_Paulo';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * Offsets per zone and quarter hour. Time-zone transitions happen on quarter hours (every zone in the tz database
 * since 1970), so an offset holds for its whole 15-minute bucket; formatToParts costs microseconds, and collection
 * converts hundreds of thousands of interval labels per round. Bounded so a long-running process does not grow.
 */
const QUARTER = 900_000;
const offsetCache = new Map<string, Map<number, number>>();

function computeOffset(instant: number, zone: string): number {
  const parts = formatter(zone).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The zone's UTC offset at an instant, in ms (Brasília today: −3 h = −10 800 000). */
export function zoneOffsetMs(instant: number, zone = DEFAULT_ZONE): number {
  const bucket = Math.floor(instant / QUARTER);
  let cache = offsetCache.get(zone);
  if (!cache) {
    cache = new Map();
    offsetCache.set(zone, cache);
  }
  let offset = cache.get(bucket);
  if (offset === undefined) {
    offset = computeOffset(bucket * QUARTER, zone);
    if (cache.size >= 100_000) cache.clear();
    cache.set(bucket, offset);
  }
  return offset;
}

export function instantToWall(instant: number, zone = DEFAULT_ZONE): number {
  return instant + zoneOffsetMs(instant, zone);
}

/**
 * Wall time → instant. In a DST fall-back hour the earlier instant is returned; in a spring-forward gap the wall
 * time does not exist and the instant just after the gap is returned.
 */
export function wallToInstant(wall: number, zone = DEFAULT_ZONE): number {
  const near = zoneOffsetMs(wall, zone);
  const candidates = [
    wall - zoneOffsetMs(wall - near - 6 * 3_600_000, zone),
    wall - zoneOffsetMs(wall - near + 6 * 3_600_000, zone),
  ];
  const valid = candidates.filter((i) => instantToWall(i, zone) === wall);
  return valid.length > 0 ? Math.min(...valid) : Math.max(...candidates);
}

const DAY = 86_400_000;

/** Operating day ('YYYY-MM-DD', Brasília) that an interval ending at `endInstant` belongs to (00:05 … 24:00). */
export function operatingDayOfIntervalEnd(endInstant: number, zone = DEFAULT_ZONE): string {
  const wall = instantToWall(endInstant - 1, zone);
  return new Date(wall).toISOString().slice(0, 10);
}

/** Operating day of an interval labelled by its end in local wall time (see protocols fields.ts WallTime). */
export function operatingDayOfWallEnd(wallEnd: number): string {
  return new Date(wallEnd - 1).toISOString().slice(0, 10);
}

/** Midnight (start) of an operating day as an instant. */
export function operatingDayStart(day: string, zone = DEFAULT_ZONE): number {
  const [y, m, d] = day.split('-').map(Number);
  return wallToInstant(Date.UTC(y, m - 1, d), zone);
}

/** Number of intervals of `intervalMs` in an operating day (288 for 5 min; 276/300 on old DST days). */
export function intervalsInDay(day: string, intervalMs: number, zone = DEFAULT_ZONE): number {
  const start = operatingDayStart(day, zone);
  const next = operatingDayStart(addDays(day, 1), zone);
  return Math.round((next - start) / intervalMs);
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d) + n * DAY).toISOString().slice(0, 10);
}
