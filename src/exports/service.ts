/**
 * The export pipeline, the same for every layout: select points → read their CURRENT final series → build one
 * document per file unit (point-day or point-range, as the layout says) → validate every document against the
 * layout's XSD → write the valid ones atomically (tmp + rename) to the delivery folder with their sha256 → record
 * them, link and lock the final versions they used. A unit whose data or XSD check fails gets a 'failed' record
 * with the message (naming point, day and libxml's text) and no file; the others go ahead, so one corrupt point
 * does not hold back a 10,000-point day.
 *
 * Work goes in batches of points. Batches overlap (`concurrency`): while one batch's documents are in xmllint's
 * worker thread, the next is read and built on the main thread. Memory is bounded by batch size × concurrency.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FronteiraError } from '../domain/errors.ts';
import { addDays } from '../domain/time.ts';
import { audit } from '../store/audit.ts';
import { withTransaction } from '../store/bulk.ts';
import {
  type ExportFileInsert,
  type ExportFileRecord,
  getExportFile,
  insertExportFiles,
  markSuperseded,
  reserveExportIds,
  type UsedFinal,
} from '../store/exports.ts';
import type { Store } from '../store/pool.ts';
import { badInput, checkRange, getCurrentFinals, veeQuery } from '../store/vee-final.ts';
import type { FinalDay } from '../vee/types.ts';
import type { Layout } from './layouts/layout.ts';
import { getLayout } from './layouts/registry.ts';
import { exportFileName, exportSubdir } from './naming.ts';
import { XsdValidator } from './xsd-validate.ts';

/** Which points: explicit codes, a registry tag, or every active point. Exactly one. */
export interface PointSelection {
  pointCodes?: readonly string[];
  tag?: string;
  all?: boolean;
}

export interface ExportRequest extends PointSelection {
  layout: string;
  from: string;
  to: string;
  /** Delivery folder (absolute or relative to the working directory). */
  deliveryDir: string;
  /** Who asked: 'user:ana', 'cli:<os user>', 'system'. */
  actor: string;
  /** Stored with each record (default: derived from the selection). */
  scope?: string;
  /** Points per batch (default 200: ~20 MB of 5-minute XML in flight per batch). */
  batchSize?: number;
  /** Batches in flight (default 2: one is read and built while the other is validated). */
  concurrency?: number;
  /** xmllint workers (default 1; each holds its batch's files once more, ~3× the batch's XML). */
  validators?: number;
  onProgress?: (p: { pointsDone: number; points: number; produced: number; failed: number }) => void;
}

export interface ProducedFile {
  id: number;
  pointCode: string;
  dayFrom: string;
  dayTo: string;
  fileName: string;
  path: string;
  sha256: string;
  bytes: number;
}

export interface FailedFile {
  id: number;
  pointCode: string;
  dayFrom: string;
  dayTo: string;
  /** The data error, or "XSD: " + libxml's messages. */
  message: string;
}

export interface ExportResult {
  layout: string;
  from: string;
  to: string;
  points: number;
  produced: ProducedFile[];
  failed: FailedFile[];
  /** Units with no final series at all (nothing to export; no record). */
  skipped: { pointCode: string; dayFrom: string; dayTo: string }[];
  bytes: number;
}

export interface SelectedPoint {
  id: number;
  code: string;
}

/** Longest range of one request: a month of point-day files is already 300,000 files for 10,000 points. */
export const MAX_RANGE_DAYS = 92;

function describeSelection(s: PointSelection): string {
  if (s.pointCodes) return `points:${s.pointCodes.join(',')}`;
  if (s.tag !== undefined) return `tag:${s.tag}`;
  return 'all';
}

/** Resolves a selection to active (not retired) points, ordered by id. Unknown codes are an error naming them. */
export async function selectPoints(store: Store, s: PointSelection): Promise<SelectedPoint[]> {
  const given = [s.pointCodes !== undefined, s.tag !== undefined, s.all === true].filter(Boolean).length;
  if (given !== 1) throw badInput('points', 'give exactly one of: point codes, a tag, or all');
  let rows: { id: string; code: string }[];
  if (s.pointCodes) {
    if (s.pointCodes.length === 0) throw badInput('points', 'no point codes given');
    const codes = [...new Set(s.pointCodes.map((c) => c.trim().toUpperCase()))];
    rows = await veeQuery(
      store.db,
      'SELECT id, code FROM metering_point WHERE code = ANY($1::text[]) AND retired_at IS NULL ORDER BY id',
      [codes],
    );
    const found = new Set(rows.map((r) => r.code));
    const missing = codes.filter((c) => !found.has(c));
    if (missing.length > 0) {
      throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `unknown or retired point code(s): ${missing.join(', ')}`, {
        field: 'points',
        codes: missing,
      });
    }
  } else if (s.tag !== undefined) {
    if (s.tag.trim() === '') throw badInput('tag', 'is empty');
    rows = await veeQuery(
      store.db,
      'SELECT id, code FROM metering_point WHERE $1 = ANY(tags) AND retired_at IS NULL ORDER BY id',
      [s.tag],
    );
  } else {
    rows = await veeQuery(store.db, 'SELECT id, code FROM metering_point WHERE retired_at IS NULL ORDER BY id');
  }
  return rows.map((r) => ({ id: Number(r.id), code: r.code }));
}

interface Unit {
  point: SelectedPoint;
  dayFrom: string;
  dayTo: string;
  finals: FinalDay[];
}

interface Built extends Unit {
  xml?: Uint8Array;
  error?: string;
}

const utf8 = new TextEncoder();

function unitsOf(
  layout: Layout,
  points: readonly SelectedPoint[],
  finals: readonly FinalDay[],
  from: string,
  to: string,
) {
  const byPoint = new Map<number, FinalDay[]>();
  for (const f of finals) {
    let list = byPoint.get(f.pointId);
    if (!list) {
      list = [];
      byPoint.set(f.pointId, list);
    }
    list.push(f);
  }
  const units: Unit[] = [];
  const empty: Unit[] = [];
  for (const point of points) {
    const list = byPoint.get(point.id) ?? [];
    if (layout.granularity === 'point-range') {
      (list.length > 0 ? units : empty).push({ point, dayFrom: from, dayTo: to, finals: list });
      continue;
    }
    for (let day = from; day <= to; day = addDays(day, 1)) {
      const ofDay = list.filter((f) => f.day === day);
      (ofDay.length > 0 ? units : empty).push({ point, dayFrom: day, dayTo: day, finals: ofDay });
    }
  }
  return { units, empty };
}

async function meterSerials(store: Store, finals: readonly FinalDay[]): Promise<Map<number, string>> {
  const ids = [
    ...new Set(finals.map((f) => f.notes.principalMeterId).filter((id): id is number => Number.isSafeInteger(id))),
  ];
  if (ids.length === 0) return new Map();
  const rows = await veeQuery<{ id: string; serial: string }>(
    store.db,
    'SELECT id, serial FROM meter WHERE id = ANY($1::bigint[])',
    [ids],
  );
  return new Map(rows.map((r) => [Number(r.id), r.serial]));
}

function serialOf(unit: Unit, serials: Map<number, string>): string | null {
  for (const f of unit.finals) {
    const id = f.notes.principalMeterId;
    if (id !== null && serials.has(id)) return serials.get(id) as string;
  }
  return null;
}

function unitLabel(layout: Layout, u: Unit): string {
  const days = u.dayFrom === u.dayTo ? u.dayFrom : `${u.dayFrom}..${u.dayTo}`;
  return `${layout.id} ${u.point.code} ${days}`;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface RunContext {
  layout: Layout;
  req: ExportRequest;
  scope: string;
  dir: string;
  replaces: number | null;
  result: ExportResult;
  validator: XsdValidator;
}

async function runBatch(store: Store, ctx: RunContext, points: SelectedPoint[]): Promise<void> {
  const { layout, req, result } = ctx;
  const finals = await getCurrentFinals(
    store.db,
    points.map((p) => p.id),
    req.from,
    req.to,
    layout.quantityCodes,
  );
  const { units, empty } = unitsOf(layout, points, finals, req.from, req.to);
  for (const u of empty) result.skipped.push({ pointCode: u.point.code, dayFrom: u.dayFrom, dayTo: u.dayTo });
  if (units.length === 0) return;
  const serials = await meterSerials(store, finals);
  const built: Built[] = units.map((u) => {
    try {
      const xml = layout.build({
        pointCode: u.point.code,
        meterSerial: serialOf(u, serials),
        from: u.dayFrom,
        to: u.dayTo,
        finals: u.finals,
      });
      return { ...u, xml: utf8.encode(xml) };
    } catch (e) {
      if (e instanceof FronteiraError) return { ...u, error: `${unitLabel(layout, u)}: ${e.message}` };
      throw e;
    }
  });
  const ids = await reserveExportIds(store.db, built.length);
  const rows: ExportFileInsert[] = [];
  const writes: { tmp: string; path: string; index: number }[] = [];
  const produced: ProducedFile[] = [];
  const failed: FailedFile[] = [];
  // What every export_file row of unit i records, produced or failed.
  const rowBase = (i: number) => ({
    id: ids[i],
    layout: layout.id,
    pointId: built[i].point.id,
    dayFrom: built[i].dayFrom,
    dayTo: built[i].dayTo,
    scope: ctx.scope,
    createdBy: req.actor,
    replaces: ctx.replaces,
  });
  try {
    // Written (under a tmp name) and hashed before validation: validation takes the bytes away (transferred to
    // the worker), and a file that fails is simply removed before it ever gets its real name.
    const folders = new Set<string>();
    for (let i = 0; i < built.length; i++) {
      const b = built[i];
      if (b.xml === undefined) continue;
      const fileName = exportFileName({
        fileTag: layout.fileTag,
        pointCode: b.point.code,
        dayFrom: b.dayFrom,
        dayTo: b.dayTo,
        id: ids[i],
      });
      const folder = join(ctx.dir, exportSubdir(layout.id, b.dayFrom));
      if (!folders.has(folder)) {
        await mkdir(folder, { recursive: true });
        folders.add(folder);
      }
      const path = join(folder, fileName);
      const tmp = `${path}.tmp-${process.pid}`;
      writes.push({ tmp, path, index: i });
      await writeFile(tmp, b.xml);
      const used: UsedFinal[] = b.finals.map((f) => ({
        pointId: f.pointId,
        quantityCode: f.quantityCode,
        day: f.day,
        version: f.version,
      }));
      produced.push({
        id: ids[i],
        pointCode: b.point.code,
        dayFrom: b.dayFrom,
        dayTo: b.dayTo,
        fileName,
        path,
        sha256: sha256(b.xml),
        bytes: b.xml.byteLength,
      });
      rows.push({
        ...rowBase(i),
        status: 'produced',
        fileName,
        path,
        sha256: produced[produced.length - 1].sha256,
        bytes: b.xml.byteLength,
        error: null,
        finals: used,
      });
    }
    const checked = writes.map((w) => built[w.index]);
    const checks = await ctx.validator.validate(
      layout.xsdPath,
      checked.map((b) => ({ label: unitLabel(layout, b), xml: b.xml as Uint8Array })),
    );
    const invalid = new Set<number>();
    checks.forEach((c, j) => {
      if (c.valid) return;
      invalid.add(j);
      checked[j].error = `${c.label}: XSD ${layout.id}: ${c.errors.slice(0, 5).join(' | ')}`;
    });
    for (const b of built) b.xml = undefined;
    if (invalid.size > 0) {
      await Promise.all([...invalid].map((j) => unlink(writes[j].tmp).catch(() => {})));
      const keep = (_: unknown, j: number) => !invalid.has(j);
      writes.splice(0, writes.length, ...writes.filter(keep));
      rows.splice(0, rows.length, ...rows.filter(keep));
      produced.splice(0, produced.length, ...produced.filter(keep));
    }
    for (let i = 0; i < built.length; i++) {
      const b = built[i];
      if (b.error === undefined) continue;
      rows.push({
        ...rowBase(i),
        status: 'failed',
        fileName: null,
        path: null,
        sha256: null,
        bytes: null,
        error: b.error,
        finals: [],
      });
      failed.push({ id: ids[i], pointCode: b.point.code, dayFrom: b.dayFrom, dayTo: b.dayTo, message: b.error });
    }
    await withTransaction(store, async (tx) => {
      await insertExportFiles(tx, rows);
      if (ctx.replaces !== null && produced.length > 0) {
        if (!(await markSuperseded(tx, ctx.replaces, produced[0].id))) {
          throw new FronteiraError('FRONTEIRA_E_CONFLICT', `export ${ctx.replaces} was already regenerated`, {
            id: ctx.replaces,
          });
        }
      }
    });
  } catch (e) {
    await Promise.all(writes.map((w) => unlink(w.tmp).catch(() => {})));
    throw e;
  }
  // Recorded: now the files appear under their final names (a crash before this leaves only *.tmp-* files).
  for (const w of writes) await rename(w.tmp, w.path);
  result.produced.push(...produced);
  result.failed.push(...failed);
  for (const p of produced) result.bytes += p.bytes;
}

async function run(store: Store, req: ExportRequest, replaces: number | null): Promise<ExportResult> {
  const layout = getLayout(req.layout);
  checkRange(req.from, req.to);
  if (addDays(req.from, MAX_RANGE_DAYS - 1) < req.to) {
    throw badInput('to', `${req.from}..${req.to} is longer than ${MAX_RANGE_DAYS} days`);
  }
  if (typeof req.actor !== 'string' || req.actor.trim() === '') throw badInput('actor', 'who asks must be named');
  if (typeof req.deliveryDir !== 'string' || req.deliveryDir.trim() === '') throw badInput('deliveryDir', 'is empty');
  const batchSize = req.batchSize ?? 200;
  const concurrency = req.concurrency ?? 2;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw badInput('batchSize', `${batchSize}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 8)
    throw badInput('concurrency', `${concurrency}`);
  const points = await selectPoints(store, req);
  const dir = resolve(req.deliveryDir);
  await mkdir(dir, { recursive: true });
  const result: ExportResult = {
    layout: layout.id,
    from: req.from,
    to: req.to,
    points: points.length,
    produced: [],
    failed: [],
    skipped: [],
    bytes: 0,
  };
  const validator = new XsdValidator(req.validators ?? 1);
  const ctx: RunContext = { layout, req, scope: req.scope ?? describeSelection(req), dir, replaces, result, validator };
  const batches: SelectedPoint[][] = [];
  for (let i = 0; i < points.length; i += batchSize) batches.push(points.slice(i, i + batchSize));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++];
      await runBatch(store, ctx, batch);
      done += batch.length;
      req.onProgress?.({
        pointsDone: done,
        points: points.length,
        produced: result.produced.length,
        failed: result.failed.length,
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  } finally {
    await validator.close();
  }
  // Batches finish out of order; callers and tests want files in id order.
  result.produced.sort((a, b) => a.id - b.id);
  result.failed.sort((a, b) => a.id - b.id);
  await audit(store.db, {
    actor: req.actor,
    action: replaces === null ? 'generate' : 'regenerate',
    entity: 'export',
    entityId: replaces ?? result.produced[0]?.id ?? null,
    after: {
      layout: layout.id,
      from: req.from,
      to: req.to,
      scope: ctx.scope,
      produced: result.produced.length,
      failed: result.failed.length,
      skipped: result.skipped.length,
      firstId: result.produced[0]?.id ?? null,
      lastId: result.produced.at(-1)?.id ?? null,
    },
  });
  return result;
}

/** Generates files for a selection of points over a range of operating days. */
export function generateExports(store: Store, req: ExportRequest): Promise<ExportResult> {
  return run(store, req, null);
}

export interface RegenerateOptions {
  deliveryDir: string;
  actor: string;
  /** Regenerate even when nothing it used has changed. */
  force?: boolean;
}

/**
 * Builds a corrected file for a stale one from the current finals: a new record (replaces = id), the old record's
 * superseded_by pointing to it. The old file stays on disk and in the history.
 */
export async function regenerateExport(store: Store, id: number, o: RegenerateOptions): Promise<ExportResult> {
  const old = await getExportFile(store.db, id);
  if (!old) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `export ${id} does not exist`, { id });
  if (old.status !== 'produced') {
    throw new FronteiraError('FRONTEIRA_E_CONFLICT', `export ${id} was not produced (${old.status}); generate anew`, {
      id,
    });
  }
  if (old.supersededBy !== null) {
    throw new FronteiraError('FRONTEIRA_E_CONFLICT', `export ${id} was already regenerated as ${old.supersededBy}`, {
      id,
      supersededBy: old.supersededBy,
    });
  }
  if (!old.stale && !o.force) {
    throw new FronteiraError('FRONTEIRA_E_CONFLICT', `export ${id} is not stale: its final versions are all current`, {
      id,
    });
  }
  return run(
    store,
    {
      layout: old.layout,
      from: old.dayFrom,
      to: old.dayTo,
      pointCodes: [old.pointCode],
      deliveryDir: o.deliveryDir,
      actor: o.actor,
      scope: `regenerate:${id}`,
    },
    id,
  );
}

/** The delivery folder when none is configured: $FRONTEIRA_EXPORT_DIR, else ./data/exports. */
export function defaultDeliveryDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.FRONTEIRA_EXPORT_DIR?.trim() || 'data/exports');
}

export type { ExportFileRecord };
