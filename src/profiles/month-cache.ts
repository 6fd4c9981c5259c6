/**
 * Month profiles: the 5-min JSON answer for one point, layer (raw or final) and calendar month — what the Ponto page
 * and integrations ask for most — kept encoded and gzip-compressed in profile_month (migration 010).
 *
 * Why: formatting a month (~26,000 values, plus four per-slot columns for final data) costs 7–12 ms of CPU per
 * request, so one process serves ~100 months a second; a stored body costs one row lookup and a socket write.
 * Correctness does not depend on anyone remembering to invalidate: every read recomputes the month's fingerprint
 * in the database (row versions of the point, its meters and day blocks, or the ids of the current final
 * versions) in the statement that fetches the body, and serves the body only when it matches. Otherwise the answer
 * is built from the data, sent, and stored for the next read. `refreshProfiles` (run by the platform's warmer,
 * src/profiles/warmer.ts, and `fronteira profiles warm`) rebuilds the stale months ahead of the readers.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { FronteiraError } from '../domain/errors.ts';
import type { Logger } from '../logging.ts';
import type { Store } from '../store/pool.ts';
import {
  cachedProfile,
  type ProfileLayer,
  pruneProfiles,
  staleProfiles,
  storeProfile,
} from '../store/profile-cache.ts';
import { type Db, type PointRow, pointById } from '../store/registry.ts';
import { intervalsJson } from './json.ts';
import type { ProfileMemo } from './memo.ts';
import { loadSeries, type Series } from './series.ts';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/**
 * Version of the JSON text written by json.ts: part of every fingerprint, so a release that changes the text makes
 * every stored body stale instead of serving the old shape. Bump it with any change to json.ts or series.ts that
 * changes the bytes.
 */
export const PROFILE_FORMAT = 'p1';

/**
 * zlib's default level: a body is compressed once and sent many times, and each byte sent costs more than the few
 * milliseconds level 6 takes over level 1 (a month of raw 5-min JSON, ~300 KB: 35 KB at level 6, 49 KB at level 1;
 * final data 6 KB against 11 KB).
 */
const GZIP_LEVEL = 6;

export const PROFILE_LAYERS: readonly ProfileLayer[] = ['raw', 'final'];

/** 'YYYY-MM-01' when from..to is exactly one calendar month, else null. */
export function calendarMonthOf(from: string, to: string): string | null {
  if (!/^\d{4}-\d{2}-01$/.test(from)) return null;
  return lastDayOfMonth(from) === to ? from : null;
}

export function lastDayOfMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/** The first day of the month `offset` months from the month holding `day` (both 'YYYY-MM-DD'). */
export function monthStart(day: string, offset = 0): string {
  const [y, m] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1 + offset, 1)).toISOString().slice(0, 10);
}

export function checkMonth(field: string, month: string): string {
  const m = /^(\d{4})-(\d{2})(?:-01)?$/.exec(month);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: '${month}' is not a month (YYYY-MM)`, {
      field,
      reason: 'is not a month (YYYY-MM)',
    });
  }
  return `${m[1]}-${m[2]}-01`;
}

export interface MonthProfile {
  point: PointRow;
  /** The current fingerprint: an ETag for the answer. */
  fingerprint: string;
  /** Where the body came from: this process's memo, the stored copy, or built from the data now. */
  source: 'memory' | 'stored' | 'built';
  /** The stored gzip body (a cache hit). */
  gzip?: Buffer;
  /** The JSON text built from the data (a miss). */
  json?: string;
  /** After a miss: keeps the body once compressed (and stored) in the memo monthProfile was given. */
  remember?: (gzip: Buffer) => void;
}

function monthJson(point: PointRow, layer: ProfileLayer, month: string, series: Series[]) {
  return intervalsJson(
    { point: point.code, timezone: point.timezone, layer, resolution: '5min', from: month, to: lastDayOfMonth(month) },
    series,
  );
}

/**
 * A point's month at 5 minutes as GET /points/:code/intervals answers it: the stored body, or built now. The point
 * is named by id or SCDE code; undefined when there is no such point. With a memo, a body this process already holds
 * is not fetched again while the database says it is still current.
 */
export async function monthProfile(
  store: Store,
  which: { id: number } | { code: string },
  layer: ProfileLayer,
  month: string,
  memo?: ProfileMemo,
): Promise<MonthProfile | undefined> {
  const to = lastDayOfMonth(month);
  const key = `${'id' in which ? `#${which.id}` : which.code}|${layer}|${month}`;
  const held = memo?.get(key);
  const c = await cachedProfile(store.pool, which, layer, month, to, PROFILE_FORMAT, held?.fingerprint);
  if (!c.point) return undefined;
  if (held && c.known) return { point: c.point, fingerprint: c.fingerprint, source: 'memory', gzip: held.gzip };
  if (held) memo?.delete(key);
  if (c.body) {
    memo?.set(key, { fingerprint: c.fingerprint, gzip: c.body });
    return { point: c.point, fingerprint: c.fingerprint, source: 'stored', gzip: c.body };
  }
  const series = await loadSeries(store.db, c.point, { layer, from: month, to });
  return {
    point: c.point,
    fingerprint: c.fingerprint,
    source: 'built',
    json: monthJson(c.point, layer, month, series),
    remember: memo ? (gzip) => memo.set(key, { fingerprint: c.fingerprint, gzip }) : undefined,
  };
}

/** Compresses and stores a month built by `monthProfile` (under the fingerprint read before its data). */
export async function saveMonthProfile(
  db: Db,
  point: PointRow,
  layer: ProfileLayer,
  month: string,
  fingerprint: string,
  json: string,
): Promise<Buffer> {
  const text = Buffer.from(json);
  const body = await gzip(text, { level: GZIP_LEVEL });
  await storeProfile(db, { pointId: Number(point.id), layer, month, fingerprint, body, jsonBytes: text.length });
  return body;
}

export function gunzipProfile(body: Buffer): Promise<Buffer> {
  return gunzip(body);
}

export interface RefreshOptions {
  months: readonly string[];
  layers?: readonly ProfileLayer[];
  /** Months built at once: overlaps one month's queries with another's formatting (default 2). */
  concurrency?: number;
  logger?: Logger;
  /** Checked between months; a sweep stops early (what it built stays) when it returns true. */
  stopped?: () => boolean;
}

export interface RefreshReport {
  month: string;
  layer: ProfileLayer;
  /** Point-months found stale or missing. */
  stale: number;
  built: number;
  /** Sum of stored (gzip) and JSON sizes, bytes. */
  bytes: number;
  jsonBytes: number;
  ms: number;
}

/** Rebuilds every stale or missing stored month of the given months and layers. */
export async function refreshProfiles(db: Db, o: RefreshOptions): Promise<RefreshReport[]> {
  const layers = o.layers ?? PROFILE_LAYERS;
  const concurrency = Math.max(1, o.concurrency ?? 2);
  const out: RefreshReport[] = [];
  for (const m of o.months) {
    const month = checkMonth('month', m);
    const to = lastDayOfMonth(month);
    for (const layer of layers) {
      const t0 = performance.now();
      const stale = await staleProfiles(db, layer, month, to, PROFILE_FORMAT);
      const report: RefreshReport = { month, layer, stale: stale.length, built: 0, bytes: 0, jsonBytes: 0, ms: 0 };
      let next = 0;
      const worker = async () => {
        while (next < stale.length && !o.stopped?.()) {
          const s = stale[next++];
          const point = await pointById(db, s.pointId);
          if (!point) continue;
          const series = await loadSeries(db, point, { layer, from: month, to });
          const json = monthJson(point, layer, month, series);
          // Not `report.bytes += await …`: that reads the sum before the await and loses the other worker's adds.
          const body = await saveMonthProfile(db, point, layer, month, s.fingerprint, json);
          report.bytes += body.length;
          report.jsonBytes += Buffer.byteLength(json);
          report.built++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      report.ms = performance.now() - t0;
      if (report.stale > 0) {
        o.logger?.info(
          { ...report },
          `profiles ${layer} ${month.slice(0, 7)}: ${report.built} of ${report.stale} stale months rebuilt in ${Math.round(report.ms)} ms`,
        );
      }
      out.push(report);
    }
  }
  return out;
}

/** Drops stored months before `keepFrom` (first day of a month). */
export function pruneMonthProfiles(db: Db, keepFrom: string): Promise<number> {
  return pruneProfiles(db, checkMonth('keepFrom', keepFrom));
}
