/**
 * Contingency reading: ABNT reading files (from handheld collectors, other systems, or our own exports) stored as
 * readings, through the same ingest as a live session (collect/ingest.ts): a read_session row, its frames, day
 * blocks merged into interval_raw, events, snapshots, VEE dirty marks; completeness follows from the day blocks.
 *
 * An imported session is marked by its sequence 'arquivo' (read.ts FILE_SEQUENCE), purpose 'manual', address
 * 'file:<name>' in its first warning, job_id 'abnt-file:<first 16 hex of the file's SHA-256>', and an audit row
 * (entity 'abnt_file') naming the file, its hash and the actor. No column was added for it.
 *
 * All files of one call are checked before anything is written, then stored in ONE transaction: a bad block in any
 * file (read.ts), a meter that is not registered, or any store error leaves the store as it was. A file already
 * imported (same meter, reading time and sequence) is recognised by ingest and reported as a duplicate. A dry run
 * does the whole import inside a transaction and rolls it back, so it reports exactly what would be stored.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { type IngestInput, type IngestResult, ingestReadingsInTx } from '../../collect/ingest.ts';
import { FronteiraError } from '../../domain/errors.ts';
import { DEFAULT_ZONE, wallToInstant } from '../../domain/time.ts';
import type { MassMemoryPacking } from '../../protocols/abnt14522/mass-memory.ts';
import { auditMany } from '../../store/audit.ts';
import { withTransaction } from '../../store/bulk.ts';
import type { Store } from '../../store/pool.ts';
import { channelsOfMeters, type Db, type MeterRow, pointById } from '../../store/registry.ts';
import type { ChannelMapEntry } from '../../store/schema.ts';
import type { AbntFileLayout, NameRule } from './format.ts';
import { type AbntFileSummary, type RegisteredGroup, readAbntFile } from './read.ts';

export interface AbntFileInput {
  name: string;
  bytes: Uint8Array;
}

export interface AbntFileImportOptions {
  /** Who imports ('user:ana', 'cli:joao'): audit rows. */
  actor: string;
  /** Check and report without storing anything. */
  dryRun?: boolean;
  /** Default 'auto'. */
  layout?: AbntFileLayout | 'auto';
  /** Mass-memory packing; default: the meter's first communication channel's setting, else the codec's default. */
  packing?: MassMemoryPacking;
  /** The files must come from this meter (8-digit serial; leading zeros ignored). */
  meterSerial?: string;
  nameRule?: NameRule;
}

export interface AbntFileImportResult {
  name: string;
  sha256: string;
  layout: AbntFileLayout;
  blocks: number;
  meterSerial: string;
  meterId: number;
  pointCode: string;
  /** Reading time (from the file's parameters blocks) as an instant, ISO 8601. */
  readingAt: string;
  expectedName: string;
  /** The stored session (for a duplicate, the one stored before); null in a dry run. */
  sessionId: number | null;
  duplicate: boolean;
  intervals: number;
  filledSlots: number;
  conflicts: number;
  days: string[];
  events: number;
  warnings: string[];
}

export interface AbntFileImportReport {
  dryRun: boolean;
  files: AbntFileImportResult[];
}

function normSerial(s: string): string {
  return s.trim().replace(/^0+(?=\d)/, '');
}

function channelMap(meter: MeterRow): ChannelMapEntry[] {
  const m = meter.channel_map as unknown;
  if (Array.isArray(m)) return m as ChannelMapEntry[];
  if (typeof m === 'string') {
    try {
      const v = JSON.parse(m);
      return Array.isArray(v) ? v : [];
    } catch {
      return [];
    }
  }
  return [];
}

function registeredGroups(meter: MeterRow): RegisteredGroup[] {
  const byGroup = new Map<number, number[]>();
  for (const e of channelMap(meter)) {
    const codes = byGroup.get(e.group) ?? [0, 0, 0];
    const k = e.channel - 3 * e.group - 1;
    if (k >= 0 && k < 3) codes[k] = e.quantityCode;
    byGroup.set(e.group, codes);
  }
  return [...byGroup].map(([group, quantityCodes]) => ({ group, quantityCodes }));
}

/** The registered meter with this serial (leading zeros ignored) valid at `at`. */
async function meterFor(db: Db, serial: string, at: Date): Promise<MeterRow | undefined> {
  const norm = normSerial(serial);
  return db
    .selectFrom('meter')
    .selectAll()
    .where(sql<string>`regexp_replace(trim(serial), '^0+(?=[0-9])', '')`, '=', norm)
    .where('valid_from', '<=', at)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', at)]))
    .orderBy('valid_from', 'desc')
    .executeTakeFirst();
}

interface Prepared {
  input: IngestInput;
  file: AbntFileSummary;
  sha256: string;
  meter: MeterRow;
  pointCode: string;
}

function importError(file: string, what: string, details: Record<string, unknown>): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_IMPORT', `ABNT reading file '${file}', block 1 (offset 1): ${what}`, {
    file,
    block: 1,
    offset: 1,
    ...details,
  });
}

/** Checks one file against the registry and decodes it with the meter's settings. */
async function prepare(db: Db, f: AbntFileInput, opts: AbntFileImportOptions): Promise<Prepared> {
  // First pass with defaults: every block checked, and the serial and reading time known before the registry.
  const first = readAbntFile(f.bytes, { name: f.name, layout: opts.layout, nameRule: opts.nameRule });
  const serial = first.file.meterSerial;
  if (opts.meterSerial !== undefined && normSerial(opts.meterSerial) !== normSerial(serial)) {
    throw importError(f.name, `the blocks are from meter ${serial}, not ${opts.meterSerial}`, {
      reason: 'meter',
      meterSerial: serial,
      expected: opts.meterSerial,
    });
  }
  const at = new Date(wallToInstant(first.file.readingTime, DEFAULT_ZONE));
  const meter = await meterFor(db, serial, at);
  if (!meter) {
    throw importError(f.name, `meter serial ${serial} is not registered (no meter valid at ${at.toISOString()})`, {
      reason: 'meter',
      meterSerial: serial,
    });
  }
  const point = await pointById(db, Number(meter.point_id));
  if (!point) {
    throw importError(f.name, `meter ${serial} has no metering point`, { reason: 'meter', meterSerial: serial });
  }
  const channels = await channelsOfMeters(db, [Number(meter.id)]);
  const packing = opts.packing ?? channels[0]?.packing;
  const { file, reading } = readAbntFile(f.bytes, {
    name: f.name,
    layout: opts.layout,
    nameRule: opts.nameRule,
    zone: point.timezone,
    packing,
    groups: registeredGroups(meter),
  });
  const sha256 = createHash('sha256').update(f.bytes).digest('hex');
  return {
    input: {
      meter,
      point,
      channel: null,
      purpose: 'manual',
      reading,
      jobId: `abnt-file:${sha256.slice(0, 16)}`,
    },
    file,
    sha256,
    meter,
    pointCode: point.code,
  };
}

class DryRun extends Error {
  constructor(readonly results: IngestResult[]) {
    super('dry run');
  }
}

function resultOf(p: Prepared, r: IngestResult | null, dryRun: boolean): AbntFileImportResult {
  const duplicate = r?.skippedReason === 'duplicate';
  return {
    name: p.file.name,
    sha256: p.sha256,
    layout: p.file.layout,
    blocks: p.file.blocks,
    meterSerial: p.file.meterSerial,
    meterId: Number(p.meter.id),
    pointCode: p.pointCode,
    readingAt: new Date(p.input.reading.startedAt).toISOString(),
    expectedName: p.file.expectedName,
    sessionId: dryRun && !duplicate ? null : (r?.sessionId ?? null),
    duplicate,
    intervals: r?.intervals ?? 0,
    filledSlots: r?.filledSlots ?? 0,
    conflicts: r?.conflicts ?? 0,
    days: r?.days ?? [],
    events: r?.events ?? 0,
    warnings: [...p.input.reading.warnings.slice(1), ...(r?.warnings ?? [])],
  };
}

/** Imports files as readings, all or none (see the header). Throws the first bad file's typed error. */
export async function importAbntFiles(
  store: Store,
  files: readonly AbntFileInput[],
  opts: AbntFileImportOptions,
): Promise<AbntFileImportReport> {
  const dryRun = opts.dryRun === true;
  if (files.length === 0) return { dryRun, files: [] };
  const prepared: Prepared[] = [];
  for (const f of files) prepared.push(await prepare(store.db, f, opts));

  let results: IngestResult[];
  try {
    results = await withTransaction(store, async (tx) => {
      const out = await ingestReadingsInTx(
        tx,
        prepared.map((p) => p.input),
        {
          beforeCommit: async (t, rs) => {
            if (dryRun) return;
            const entries = prepared.flatMap((p, i) =>
              rs[i].skippedReason === 'duplicate'
                ? []
                : [
                    {
                      actor: opts.actor,
                      action: 'import',
                      entity: 'abnt_file',
                      entityId: rs[i].sessionId,
                      after: {
                        file: p.file.name,
                        sha256: p.sha256,
                        layout: p.file.layout,
                        blocks: p.file.blocks,
                        meterSerial: p.file.meterSerial,
                        readingAt: new Date(p.input.reading.startedAt).toISOString(),
                        intervals: rs[i].intervals,
                        days: rs[i].days,
                      },
                      comment: 'contingency reading from an ABNT reading file',
                    },
                  ],
            );
            await auditMany(t.db, entries);
          },
        },
      );
      if (dryRun) throw new DryRun(out);
      return out;
    });
  } catch (e) {
    if (!(e instanceof DryRun)) throw e;
    results = e.results;
  }
  return { dryRun, files: prepared.map((p, i) => resultOf(p, results[i] ?? null, dryRun)) };
}
