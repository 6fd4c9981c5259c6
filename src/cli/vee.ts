/**
 * `fronteira vee …`: validation, estimation and editing of the interval data (spec/vee.md) from the command line.
 * `run` computes final series over days (or works the dirty queue), `show`/`history` explain a point-day's series,
 * `edit`/`reverse`/`edits` are the analyst's audited manual edits, `compare` is the principal × retaguarda report
 * (CSV/XLSX), `lock` pins versions (month closed); parameters and the holiday calendar are in vee-settings.ts.
 * Points are named by SCDE code, quantities by name (C, G, QC, QG) or code. Every change is made as `cli:<os user>`.
 */
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { FronteiraError } from '../domain/errors.ts';
import type { Store } from '../store/pool.ts';
import { metersOfPoint, type PointRow, pointById } from '../store/registry.ts';
import { countDirty } from '../store/vee-dirty.ts';
import { getEdit, listEdits, type ManualEdit } from '../store/vee-edits.ts';
import { finalSummary, getCurrentFinals, getFinalHistory, veeQuery } from '../store/vee-final.ts';
import { getCalendarSpec } from '../store/vee-params.ts';
import { getValidation } from '../store/vee-validated.ts';
import { HolidayCalendar } from '../vee/calendar.ts';
import { compareRange, slotLabels } from '../vee/compare.ts';
import { type ComparisonLevel, writeComparisonCsv, writeComparisonXlsx } from '../vee/compare-report.ts';
import type { EditKind } from '../vee/edits.ts';
import {
  comparePointRange,
  lockFinalSeries,
  reverseManualEdit,
  runDirty,
  runVeeRange,
  submitEdit,
  type VeeRunReport,
} from '../vee/service.ts';
import type { FinalDay } from '../vee/types.ts';
import { parseIntOption } from './read.ts';
import type { StoreFlags } from './store.ts';
import {
  cliActor,
  cliError,
  collect,
  flagTable,
  parseDay,
  parseEditKind,
  parseEndTime,
  parseId,
  parseNumber,
  parseNumberList,
  parseQuantity,
  parseRange,
  parseSlotRange,
  quantityLabel,
  quantityShort,
  required,
  slotsOfEndTimes,
  withFlagNames,
} from './vee-args.ts';
import {
  type CompareView,
  type EditRowView,
  formatCompare,
  formatEdits,
  formatHistory,
  formatRun,
  formatShow,
  formatSlotChanges,
  type HistoryView,
  type RunView,
  type ShowView,
  type SlotChange,
  seriesView,
  slotRows,
  slotState,
  summarizeOutcomes,
} from './vee-format.ts';
import { defaultIo, leaf, pointOf, printJson, type VeeCliIo } from './vee-io.ts';
import { registerVeeSettings } from './vee-settings.ts';

type Flags = StoreFlags & { json?: boolean };

// ---------------------------------------------------------------------------------------------------------------
// vee run

async function pointCodes(store: Store, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await veeQuery<{ id: number; code: string }>(
    store.db,
    'SELECT id, code FROM metering_point WHERE id = ANY($1::bigint[])',
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [Number(r.id), r.code]));
}

/** --point and --tag: the points named plus the points in service carrying a tag; null = every point. */
async function selectPoints(
  store: Store,
  codes: readonly string[],
  tags: readonly string[],
): Promise<{ ids: number[]; codes: string[] } | null> {
  if (codes.length === 0 && tags.length === 0) return null;
  const byId = new Map<number, string>();
  for (const code of codes) {
    const p = await pointOf(store, code);
    byId.set(Number(p.id), p.code);
  }
  for (const tag of tags) {
    const rows = await veeQuery<{ id: number; code: string }>(
      store.db,
      'SELECT id, code FROM metering_point WHERE $1 = ANY(tags) AND retired_at IS NULL ORDER BY id',
      [tag],
    );
    if (rows.length === 0) {
      throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `--tag: no point in service has the tag '${tag}'`, { tag });
    }
    for (const r of rows) byId.set(Number(r.id), r.code);
  }
  const ids = [...byId.keys()].sort((a, b) => a - b);
  return { ids, codes: ids.map((id) => byId.get(id)!) };
}

async function runView(
  store: Store,
  r: VeeRunReport,
  base: Pick<RunView, 'mode' | 'from' | 'to' | 'points'>,
): Promise<RunView> {
  const codes = await pointCodes(
    store,
    r.staleLocked.map((s) => s.pointId),
  );
  return {
    ...base,
    pointDays: r.pointDays,
    series: r.series,
    changed: r.changed,
    unchanged: r.unchanged,
    historyLoads: r.historyLoads,
    ms: Math.round(r.ms),
    qualities: r.qualities,
    staleLocked: r.staleLocked.map((s) => ({
      pointCode: codes.get(s.pointId) ?? String(s.pointId),
      quantityCode: s.quantityCode,
      day: s.day,
      lockedVersion: s.previousVersion,
      version: s.version,
    })),
  };
}

interface RunFlags extends Flags {
  from?: string;
  to?: string;
  point?: string[];
  tag?: string[];
  dirty?: boolean;
  limit?: number;
}

function registerRun(vee: Command, io: VeeCliIo): void {
  leaf(vee, 'run', 'Validate and estimate: compute the final series of the points over a range of days')
    .option('--from <day>', 'first operating day (YYYY-MM-DD or dd/mm/aaaa)')
    .option('--to <day>', 'last operating day')
    .option('--point <code>', 'only this point (repeatable, or CODE,CODE)', collect)
    .option('--tag <tag>', 'only the points in service with this tag (repeatable)', collect)
    .option('--dirty', 'instead of a range: recompute the point-days marked dirty (ingest, edits, parameter changes)')
    .option('--limit <n>', 'with --dirty: point-days per transaction (default 500)', parseIntOption('--limit', 1, 1e6))
    .option('--json', 'machine-readable output')
    .action(async (flags: RunFlags) => {
      if (flags.dirty) {
        for (const [given, flag] of [
          [flags.from, '--from'],
          [flags.to, '--to'],
          [flags.point, '--point'],
          [flags.tag, '--tag'],
        ] as const) {
          if (given !== undefined) throw cliError(`${flag} does not go with --dirty (it works the whole dirty queue)`);
        }
        await io.withStore(flags, async (store) => {
          const r = await runDirty(store, { limit: flags.limit });
          const view = await runView(store, r, { mode: 'dirty', from: null, to: null, points: null });
          view.dirtyRemaining = await countDirty(store.db);
          if (flags.json) printJson(io, view);
          else io.out(formatRun(view));
        });
        return;
      }
      if (flags.limit !== undefined) throw cliError('--limit goes with --dirty only');
      if (flags.from === undefined && flags.to === undefined) {
        throw cliError('--from and --to are required (or --dirty to work the dirty queue)', { flag: '--from' });
      }
      const { from, to } = parseRange(flags.from, flags.to);
      await io.withStore(flags, async (store) => {
        const points = await selectPoints(store, flags.point ?? [], flags.tag ?? []);
        const progress = io.progress && !flags.json;
        const r = await runVeeRange(store, {
          from,
          to,
          pointIds: points?.ids,
          onProgress: progress
            ? (day, done, total) => io.err(`\rVEE ${day} (${done}/${total} days)${done === total ? '\n' : ''}`)
            : undefined,
        });
        const view = await runView(store, r, { mode: 'range', from, to, points: points?.codes ?? null });
        if (flags.json) printJson(io, view);
        else io.out(formatRun(view));
      });
    });
}

// ---------------------------------------------------------------------------------------------------------------
// vee show / history

async function serialsOf(store: Store, pointId: number): Promise<Map<number, string>> {
  return new Map((await metersOfPoint(store.db, pointId)).map((m) => [Number(m.id), m.serial]));
}

function noFinals(point: PointRow, from: string, q?: number, to = from): FronteiraError {
  return new FronteiraError(
    'FRONTEIRA_E_NOT_FOUND',
    `point ${point.code} has no final series${q !== undefined ? ` of quantity ${quantityLabel(q)}` : ''} on ` +
      `${from === to ? from : `${from} … ${to}`} (VEE has not run for ${from === to ? 'that day' : 'those days'}, or no ` +
      `meter measures it: fronteira vee run --from ${from} --to ${to} --point ${point.code})`,
    { point: point.code, from, to, quantityCode: q ?? null },
  );
}

function endsOf(point: PointRow, f: Pick<FinalDay, 'day' | 'slots' | 'intervalS'>): string[] {
  return slotLabels(f.day, f.slots, f.intervalS, point.timezone).end;
}

interface ShowFlags extends Flags {
  day?: string;
  quantity?: string;
  slots?: boolean;
}

function registerShow(vee: Command, io: VeeCliIo): void {
  leaf(vee, 'show', "A point-day's final series: qualities, methods, energy, notes, validation findings")
    .argument('<code>', 'point SCDE code')
    .option('--day <day>', 'operating day (YYYY-MM-DD or dd/mm/aaaa)')
    .option('--quantity <q>', 'only this quantity: C, G, QC, QG or a quantity code')
    .option('--slots', 'also list every interval: end time, value, quality, method, reason, source')
    .option('--json', 'machine-readable output')
    .action(async (code: string, flags: ShowFlags) => {
      const day = parseDay('--day', required('--day', flags.day));
      const q = flags.quantity === undefined ? undefined : parseQuantity('--quantity', flags.quantity);
      await io.withStore(flags, async (store) => {
        const point = await pointOf(store, code);
        const pid = Number(point.id);
        const finals = await getCurrentFinals(store.db, [pid], day, day, q === undefined ? undefined : [q]);
        if (finals.length === 0) throw noFinals(point, day, q);
        const validation = await getValidation(store.db, pid, day);
        const serials = await serialsOf(store, pid);
        const calendar = new HolidayCalendar(await getCalendarSpec(store.db));
        const ends = new Map(finals.map((f) => [f.quantityCode, endsOf(point, f)]));
        const serialOf = (id: number | null) => (id === null ? null : (serials.get(id) ?? null));
        const view: ShowView = {
          point: { id: pid, code: point.code, timezone: point.timezone },
          day,
          dayClass: calendar.dayClass(day),
          holiday: calendar.holiday(day)?.name ?? null,
          series: finals.map((f) => {
            const s = seriesView(f, serialOf);
            if (flags.slots) s.slotRows = slotRows(f, ends.get(f.quantityCode)!);
            return s;
          }),
          validation: validation && {
            computedAt: validation.computedAt.toISOString(),
            paramsApplied: validation.paramsApplied,
            findings: validation.findings.filter(
              (f) => q === undefined || f.quantityCode === undefined || f.quantityCode === q,
            ),
            outcomes: validation.outcomes,
            outcomeSummary: summarizeOutcomes(validation.outcomes),
          },
        };
        if (flags.json) printJson(io, view);
        else io.out(formatShow(view, ends, (id) => serials.get(id) ?? `#${id}`));
      });
    });
}

function registerHistory(vee: Command, io: VeeCliIo): void {
  leaf(vee, 'history', 'Every version of a final series: when, why, what replaced it, who locked it')
    .argument('<code>', 'point SCDE code')
    .option('--day <day>', 'operating day')
    .option('--quantity <q>', 'C, G, QC, QG or a quantity code')
    .option('--json', 'machine-readable output')
    .action(async (code: string, flags: ShowFlags) => {
      const day = parseDay('--day', required('--day', flags.day));
      const q = parseQuantity('--quantity', required('--quantity', flags.quantity, 'C, G, QC, QG or a code'));
      await io.withStore(flags, async (store) => {
        const point = await pointOf(store, code);
        const versions = await getFinalHistory(store.db, Number(point.id), q, day);
        if (versions.length === 0) throw noFinals(point, day, q);
        const iso = (d: Date | null) => (d ? d.toISOString() : null);
        const view: HistoryView = {
          point: point.code,
          quantityCode: q,
          day,
          zone: point.timezone,
          versions: versions.map((v) => {
            const s = seriesView(v.final, () => null);
            return {
              id: v.id,
              version: v.version,
              current: v.current,
              cause: v.cause,
              createdAt: v.createdAt.toISOString(),
              supersededAt: iso(v.supersededAt),
              lockedAt: iso(v.lockedAt),
              lockedBy: v.lockedBy,
              counts: s.counts,
              energy: s.energy,
            };
          }),
        };
        if (flags.json) printJson(io, view);
        else io.out(formatHistory(view));
      });
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Manual edits

function changes(before: FinalDay | null, after: FinalDay, first: number, last: number, ends: string[]): SlotChange[] {
  const out: SlotChange[] = [];
  for (let k = first; k <= Math.min(last, after.slots - 1); k++) {
    out.push({ slot: k, end: ends[k] ?? '', before: slotState(before, k), after: slotState(after, k) });
  }
  return out;
}

function editRowView(e: ManualEdit, pointCode: string): EditRowView {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: e.id,
    pointCode,
    quantityCode: e.quantityCode,
    day: e.day,
    firstSlot: e.firstSlot,
    lastSlot: e.lastSlot,
    kind: e.kind,
    values: e.values,
    comment: e.comment,
    createdBy: e.createdBy,
    createdAt: new Date(e.createdAt).toISOString(),
    reversedAt: iso(e.reversedAt),
    reversedBy: e.reversedBy,
    reverseComment: e.reverseComment,
  };
}

function rangeText(first: number, last: number, ends: string[]): string {
  const slots = first === last ? `slot ${first}` : `slots ${first}–${last}`;
  const start = first === 0 ? '00:00' : ends[first - 1];
  return ends[last] ? `${slots} (${start}–${ends[last]})` : slots;
}

interface EditFlags extends Flags {
  day?: string;
  quantity?: string;
  slots?: string;
  fromTime?: string;
  toTime?: string;
  kind?: string;
  value?: string;
  values?: string;
  comment?: string;
}

interface EditArgs {
  day: string;
  q: number;
  kind: EditKind;
  slots: { firstSlot: number; lastSlot: number } | null;
  times: { from: string; to: string } | null;
  values: number[] | number | undefined;
  comment: string;
}

function parseEditFlags(flags: EditFlags): EditArgs {
  const day = parseDay('--day', required('--day', flags.day));
  const q = parseQuantity('--quantity', required('--quantity', flags.quantity, 'C, G, QC, QG or a code'));
  const kind = parseEditKind(required('--kind', flags.kind, 'replace, interpolate, copy-retaguarda or accept'));
  const timed = flags.fromTime !== undefined || flags.toTime !== undefined;
  if (flags.slots !== undefined && timed) throw cliError('give --slots or --from-time/--to-time, not both');
  let slots: EditArgs['slots'] = null;
  let times: EditArgs['times'] = null;
  if (timed) {
    times = {
      from: parseEndTime('--from-time', required('--from-time', flags.fromTime, 'end time of the first interval')),
      to: parseEndTime('--to-time', required('--to-time', flags.toTime, 'end time of the last interval')),
    };
  } else {
    slots = parseSlotRange(
      '--slots',
      required('--slots', flags.slots, 'e.g. --slots 10-12, or --from-time 00:55 --to-time 01:05'),
    );
  }
  if (flags.value !== undefined && flags.values !== undefined) throw cliError('give --value or --values, not both');
  let values: EditArgs['values'];
  if (kind === 'replace') {
    if (flags.value === undefined && flags.values === undefined) {
      throw cliError('--value or --values is required with --kind replace', { flag: '--value' });
    }
    values =
      flags.value !== undefined ? parseNumber('--value', flags.value) : parseNumberList('--values', flags.values!);
  } else if (flags.value !== undefined || flags.values !== undefined) {
    throw cliError(`--${flags.value !== undefined ? 'value' : 'values'}: only --kind replace takes values`);
  }
  const comment = required('--comment', flags.comment, 'say why the series is edited; it is kept in the audit log');
  return { day, q, kind, slots, times, values, comment };
}

function registerEdit(vee: Command, io: VeeCliIo): void {
  leaf(vee, 'edit', "An analyst's manual edit of a final series (audited; re-applied by every VEE run until reversed)")
    .argument('<code>', 'point SCDE code')
    .option('--day <day>', 'operating day')
    .option('--quantity <q>', 'C, G, QC, QG or a quantity code')
    .option('--slots <range>', 'slots first-last, 0-based as in `vee show --slots` (e.g. 10-12)')
    .option('--from-time <HH:MM>', 'instead of --slots: end time of the first interval (00:05 is slot 0)')
    .option('--to-time <HH:MM>', 'end time of the last interval (24:00 is the last)')
    .option('--kind <kind>', 'replace, interpolate, copy-retaguarda or accept')
    .option('--value <n>', 'replace: one value for every slot (decimal point or comma)')
    .option('--values <list>', 'replace: one value per slot: 1.5,2,3 or "1,5;2;3"')
    .option('--comment <text>', 'why (mandatory; kept in the audit log)')
    .option('--json', 'machine-readable output')
    .action(async (code: string, flags: EditFlags) => {
      const a = parseEditFlags(flags);
      const slotsFlag = a.times ? '--from-time/--to-time' : '--slots';
      await io.withStore(flags, async (store) => {
        const point = await pointOf(store, code);
        const pid = Number(point.id);
        let [before] = await getCurrentFinals(store.db, [pid], a.day, a.day, [a.q]);
        if (!before) {
          // submitEdit would compute the day first too; doing it here gives the slot times and the "before".
          await runVeeRange(store, { from: a.day, to: a.day, pointIds: [pid] });
          [before] = await getCurrentFinals(store.db, [pid], a.day, a.day, [a.q]);
          if (!before) throw noFinals(point, a.day, a.q);
        }
        const ends = endsOf(point, before);
        const range = a.slots ?? slotsOfEndTimes(ends, a.times!.from, a.times!.to);
        const outcome = await withFlagNames(
          flagTable({
            day: '--day',
            quantityCode: '--quantity',
            firstSlot: slotsFlag,
            lastSlot: slotsFlag,
            values: flags.value !== undefined ? '--value' : '--values',
            kind: '--kind',
            comment: '--comment',
          }),
          () =>
            submitEdit(
              store,
              pid,
              {
                quantityCode: a.q,
                day: a.day,
                firstSlot: range.firstSlot,
                lastSlot: range.lastSlot,
                kind: a.kind,
                ...(a.values !== undefined ? { values: a.values } : {}),
                comment: a.comment,
              },
              cliActor(),
            ),
        );
        const e = outcome.edit;
        const slotChanges = changes(before, outcome.final, e.firstSlot, e.lastSlot, ends);
        if (flags.json) {
          printJson(io, { edit: editRowView(e, point.code), version: outcome.final.version, slots: slotChanges });
          return;
        }
        io.out(
          `Manual edit ${e.id} (${e.kind}) on ${point.code} ${quantityShort(e.quantityCode)} ${e.day}, ` +
            `${rangeText(e.firstSlot, e.lastSlot, ends)}, by ${e.createdBy}: series now at version ${outcome.final.version}.\n` +
            `${formatSlotChanges(slotChanges)}\n`,
        );
        for (const m of outcome.final.notes.messages ?? []) io.out(`Note: ${m}\n`);
      });
    });

  leaf(vee, 'reverse', 'Reverse a manual edit: the series is recomputed without it (audited)')
    .argument('<edit-id>', 'manual edit id (see `vee edits`)')
    .option('--comment <text>', 'why (mandatory; kept in the audit log)')
    .option('--json', 'machine-readable output')
    .action(async (idText: string, flags: EditFlags) => {
      const id = parseId('<edit-id>', idText);
      const comment = required('--comment', flags.comment, 'say why the edit is reversed; it is kept in the audit log');
      await io.withStore(flags, async (store) => {
        const old = await getEdit(store.db, id);
        if (!old) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `manual edit ${id} does not exist`, { id });
        const [before] = await getCurrentFinals(store.db, [old.pointId], old.day, old.day, [old.quantityCode]);
        const outcome = await withFlagNames(flagTable({ comment: '--comment', id: '<edit-id>' }), () =>
          reverseManualEdit(store, id, cliActor(), comment),
        );
        const after = outcome.final;
        const zone = (await pointById(store.db, old.pointId))?.timezone;
        const ends = slotLabels(after.day, after.slots, after.intervalS, zone).end;
        const slotChanges = changes(before ?? null, after, old.firstSlot, old.lastSlot, ends);
        if (flags.json) {
          printJson(io, {
            edit: editRowView(outcome.edit, after.pointCode),
            version: after.version,
            slots: slotChanges,
          });
          return;
        }
        io.out(
          `Manual edit ${id} (${old.kind}) on ${after.pointCode} ${quantityShort(old.quantityCode)} ${old.day} reversed ` +
            `by ${outcome.edit.reversedBy}: series now at version ${after.version}.\n${formatSlotChanges(slotChanges)}\n`,
        );
      });
    });

  leaf(vee, 'edits', "A point's manual edits (active ones; --all includes the reversed)")
    .argument('<code>', 'point SCDE code')
    .option('--from <day>', 'first operating day')
    .option('--to <day>', 'last operating day')
    .option('--quantity <q>', 'only this quantity')
    .option('--all', 'include reversed edits')
    .option('--json', 'machine-readable output')
    .action(async (code: string, flags: EditFlags & { from?: string; to?: string; all?: boolean }) => {
      const range = flags.from === undefined && flags.to === undefined ? null : parseRange(flags.from, flags.to);
      const q = flags.quantity === undefined ? undefined : parseQuantity('--quantity', flags.quantity);
      await io.withStore(flags, async (store) => {
        const point = await pointOf(store, code);
        const edits = (
          await listEdits(store.db, { pointIds: [Number(point.id)] }, range?.from, range?.to, {
            includeReversed: flags.all === true,
          })
        ).filter((e) => q === undefined || e.quantityCode === q);
        const rows = edits.map((e) => editRowView(e, point.code));
        if (flags.json) printJson(io, rows);
        else io.out(formatEdits(rows, point.timezone));
      });
    });
}

// ---------------------------------------------------------------------------------------------------------------
// vee compare / lock

const LEVELS: readonly ComparisonLevel[] = ['interval', 'hour', 'day'];

async function writeReport(flag: string, file: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    if (file !== '-') await unlink(file).catch(() => {});
    if (e instanceof FronteiraError) throw e;
    throw new FronteiraError(
      'FRONTEIRA_E_CLI_ARGUMENT',
      `${flag}: cannot write ${file}: ${(e as Error).message}`,
      { flag, file },
      { cause: e },
    );
  }
}

function registerCompare(vee: Command, io: VeeCliIo): void {
  leaf(vee, 'compare', 'Principal × retaguarda: daily totals and differences, intervals beyond tolerance, sources used')
    .argument('<code>', 'point SCDE code')
    .option('--from <day>', 'first operating day')
    .option('--to <day>', 'last operating day')
    .option('--csv <file>', "write the report as CSV (';', decimal comma, for Excel pt-BR); '-' = standard output")
    .option('--level <level>', 'CSV detail: interval (default), hour or day')
    .option('--xlsx <file>', 'write the report as an XLSX workbook (Resumo, Horário, Intervalos, Fora da tolerância)')
    .option('--json', 'machine-readable output')
    .action(
      async (
        code: string,
        flags: Flags & { from?: string; to?: string; csv?: string; xlsx?: string; level?: string },
      ) => {
        const { from, to } = parseRange(flags.from, flags.to);
        const level = (flags.level ?? 'interval') as ComparisonLevel;
        if (!LEVELS.includes(level)) throw cliError(`--level: '${flags.level}' is not interval, hour or day`);
        if (flags.level !== undefined && flags.csv === undefined) throw cliError('--level goes with --csv');
        if (flags.xlsx === '-') throw cliError('--xlsx: give a file name (an XLSX workbook is not for the terminal)');
        const csvToStdout = flags.csv === '-';
        if (csvToStdout && flags.json) throw cliError('--csv - and --json both write to standard output: pick one');
        await io.withStore(flags, async (store) => {
          const point = await pointOf(store, code);
          const days = await comparePointRange(store, Number(point.id), from, to);
          const rows = days.map((cmp) => ({ pointCode: point.code, cmp }));
          if (flags.csv !== undefined) {
            const file = flags.csv;
            await writeReport('--csv', file, () =>
              csvToStdout
                ? writeCsvToIo(io, rows, level)
                : writeComparisonCsv(rows, createWriteStream(file), { level }),
            );
          }
          if (flags.xlsx !== undefined) {
            const file = flags.xlsx;
            await writeReport('--xlsx', file, () => writeComparisonXlsx(rows, file));
          }
          if (csvToStdout) return;
          const view: CompareView = {
            point: point.code,
            from,
            to,
            days: days.map((d) => ({
              day: d.day,
              quantities: d.quantities.map((q) => ({
                quantityCode: q.quantityCode,
                unit: q.unit,
                principal: q.day.principal,
                retaguarda: q.day.retaguarda,
                diff: q.day.diff,
                pct: q.day.pct,
                beyond: q.day.beyond,
                compared: q.day.compared,
                missingPrincipal: q.day.missingPrincipal,
                missingRetaguarda: q.day.missingRetaguarda,
                hoursBeyond: q.hours.filter((h) => h.beyond).length,
                longestBeyondHours: q.longestBeyondHours,
                intervalsBeyond: q.beyond.length,
                used: q.usedCounts,
                tolerances: q.tolerances,
              })),
              messages: d.messages,
            })),
            period: compareRange(days).quantities,
            files: {
              ...(flags.csv !== undefined ? { csv: flags.csv } : {}),
              ...(flags.xlsx !== undefined ? { xlsx: flags.xlsx } : {}),
            },
          };
          if (flags.json) printJson(io, view);
          else io.out(formatCompare(view));
        });
      },
    );
}

/** CSV into the command's output (standard output, or what a test collects). */
async function writeCsvToIo(
  io: VeeCliIo,
  rows: Parameters<typeof writeComparisonCsv>[0],
  level: ComparisonLevel,
): Promise<void> {
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      io.out(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      done();
    },
  });
  await writeComparisonCsv(rows, sink, { level });
}

interface LockFlags extends Flags {
  day?: string;
  from?: string;
  to?: string;
  quantity?: string;
  by?: string;
}

function registerLock(vee: Command, io: VeeCliIo): void {
  leaf(
    vee,
    'lock',
    'Lock the current versions of a point-day (e.g. month closed): later runs write new versions beside them',
  )
    .argument('<code>', 'point SCDE code')
    .option('--day <day>', 'operating day')
    .option('--from <day>', 'instead of --day: first day of a range')
    .option('--to <day>', 'last day of the range')
    .option('--quantity <q>', 'only this quantity (default: every quantity of the day)')
    .option('--by <text>', 'who or what locks, e.g. "fechamento 05/2025" (mandatory)')
    .option('--json', 'machine-readable output')
    .action(async (code: string, flags: LockFlags) => {
      if (flags.day !== undefined && (flags.from !== undefined || flags.to !== undefined)) {
        throw cliError('give --day or --from/--to, not both');
      }
      const range =
        flags.day !== undefined || (flags.from === undefined && flags.to === undefined)
          ? (() => {
              const d = parseDay('--day', required('--day', flags.day, 'or --from/--to'));
              return { from: d, to: d };
            })()
          : parseRange(flags.from, flags.to);
      const q = flags.quantity === undefined ? undefined : parseQuantity('--quantity', flags.quantity);
      const by = required('--by', flags.by, 'who or what locks the versions').trim();
      await io.withStore(flags, async (store) => {
        const point = await pointOf(store, code);
        const pid = Number(point.id);
        const summary = await finalSummary(store.db, { from: range.from, to: range.to, pointIds: [pid] });
        const refs = summary.flatMap((d) =>
          d.series
            .filter((s) => q === undefined || s.quantityCode === q)
            .map((s) => ({ pointId: pid, quantityCode: s.quantityCode, day: d.day, version: s.version })),
        );
        if (refs.length === 0) throw noFinals(point, range.from, q, range.to);
        const locked = await lockFinalSeries(store, refs, by, cliActor());
        const view = locked.map((l) => ({
          point: point.code,
          quantityCode: l.quantityCode,
          day: l.day,
          version: l.version,
          lockedBy: l.lockedBy,
          lockedAt: l.lockedAt.toISOString(),
          alreadyLocked: l.alreadyLocked,
        }));
        if (flags.json) return printJson(io, view);
        const fresh = view.filter((v) => !v.alreadyLocked).length;
        io.out(
          `${fresh} version(s) locked by '${by}'; ${view.length - fresh} already locked (their first lock is kept).\n`,
        );
        for (const v of view) {
          io.out(
            `  ${v.day} ${quantityShort(v.quantityCode)} v${v.version}: ${v.alreadyLocked ? `already locked by '${v.lockedBy}'` : 'locked'}\n`,
          );
        }
      });
    });
}

/** Adds `fronteira vee …`. `io` replaces the output and the store opening (tests). */
export function registerVee(program: Command, io: Partial<VeeCliIo> = {}): void {
  const full: VeeCliIo = { ...defaultIo(), ...io };
  const vee = program
    .command('vee')
    .description('Validation, estimation and editing (VEE): final series, manual edits, principal × retaguarda');
  registerRun(vee, full);
  registerShow(vee, full);
  registerHistory(vee, full);
  registerEdit(vee, full);
  registerCompare(vee, full);
  registerLock(vee, full);
  registerVeeSettings(vee, full);
}
