/**
 * `fronteira vee params …` and `fronteira vee holidays …`: the VEE settings, both versioned and audited. A new
 * parameter version or a calendar edit marks dirty every point-day it governs; `fronteira vee run --dirty` (or the
 * platform's worker) recomputes them.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FronteiraError } from '../domain/errors.ts';
import { instantToWall } from '../domain/time.ts';
import { formatDateTime } from '../registry/text.ts';
import { getCalendar, listParamVersions, type StoredParamVersion } from '../store/vee-params.ts';
import { HolidayCalendar } from '../vee/calendar.ts';
import { DEFAULT_PARAMS, resolveParams } from '../vee/params.ts';
import { addVeeParamVersion, saveVeeCalendar } from '../vee/service.ts';
import { addStoreOptions, type StoreFlags } from './store.ts';
import {
  cliActor,
  cliError,
  flagTable,
  parseDay,
  parseScopeArg,
  parseYear,
  required,
  withFlagNames,
} from './vee-args.ts';
import { table } from './vee-format.ts';
import { leaf, pointOf, printJson, type VeeCliIo } from './vee-io.ts';

type Flags = StoreFlags & { json?: boolean; comment?: string };

// ---------------------------------------------------------------------------------------------------------------
// Parameters

function versionView(v: StoredParamVersion) {
  return {
    id: v.id,
    scope: v.scope,
    effectiveFrom: v.effectiveFrom,
    params: v.params,
    createdBy: v.createdBy,
    createdAt: v.createdAt.toISOString(),
    comment: v.comment,
  };
}

/** Leaf settings as 'path = value' (arrays as JSON), for the differences from the defaults. */
export function flattenSettings(o: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o)) flattenSettings(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(o));
  }
  return out;
}

type Settings = Record<string, unknown>;

const isSection = (v: unknown): v is Settings => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * One row per section of the settings ('rules.V04', 'estimation.LD', …) with its values as key=value, a '*' on
 * each value that differs from `defaults`: the whole parameter set in about twenty lines.
 */
export function settingsRows(params: unknown, defaults: unknown): string[][] {
  const rows: string[][] = [];
  const walk = (o: Settings, d: Settings | undefined, path: string) => {
    const values: string[] = [];
    const sections: [string, Settings, Settings | undefined][] = [];
    for (const [k, v] of Object.entries(o)) {
      const dv = d?.[k];
      if (isSection(v)) sections.push([k, v, isSection(dv) ? dv : undefined]);
      else {
        const shown = Array.isArray(v) ? v.join(',') : String(v);
        values.push(`${k}=${shown}${JSON.stringify(v) === JSON.stringify(dv) ? '' : '*'}`);
      }
    }
    if (values.length > 0) rows.push([path, values.join(' ')]);
    for (const [k, v, dv] of sections) walk(v, dv, path ? `${path}.${k}` : k);
  };
  if (isSection(params)) walk(params, isSection(defaults) ? defaults : undefined, '');
  return rows;
}

async function paramsInput(flags: { json?: string; file?: string }): Promise<{ value: unknown; flag: string }> {
  if (flags.json !== undefined && flags.file !== undefined) throw cliError('give --json or --file, not both');
  if (flags.json === undefined && flags.file === undefined) {
    throw cliError(
      `--json or --file is required: the settings to override, e.g. --json '{"estimation":{"order":["RT","LI","LD","ZO"]}}'`,
      { flag: '--json' },
    );
  }
  const flag = flags.json !== undefined ? '--json' : '--file';
  let text: string;
  if (flags.json !== undefined) text = flags.json;
  else {
    try {
      text = await readFile(flags.file!, 'utf8');
    } catch (e) {
      throw cliError(`--file: cannot read ${flags.file}: ${(e as Error).message}`, { flag });
    }
  }
  try {
    return { value: JSON.parse(text), flag };
  } catch (e) {
    throw cliError(`${flag}: not valid JSON (${(e as Error).message})`, { flag });
  }
}

function registerParams(vee: Command, io: VeeCliIo): void {
  const params = vee
    .command('params')
    .description('VEE parameter versions: rules, estimation chain, tolerances (global, per group or per point)');

  leaf(params, 'list', 'Every parameter version, by effective day')
    .option('--scope <scope>', 'only global, group:TAG or point:CODE')
    .option('--json', 'machine-readable output')
    .action(async (flags: Flags & { scope?: string }) => {
      const scope = flags.scope === undefined ? undefined : parseScopeArg(flags.scope);
      await io.withStore(flags, async (store) => {
        const versions = (await listParamVersions(store.db, { scope })).map(versionView);
        if (flags.json) return printJson(io, versions);
        if (versions.length === 0) {
          io.out('No parameter versions: the defaults apply everywhere (`fronteira vee params show CODE --day D`).\n');
          return;
        }
        io.out(
          `${table(
            ['ID', 'SCOPE', 'FROM', 'CREATED', 'BY', 'COMMENT', 'SETTINGS'],
            versions.map((v) => [
              String(v.id),
              v.scope,
              v.effectiveFrom,
              formatDateTime(new Date(Math.floor(Date.parse(v.createdAt) / 60_000) * 60_000)),
              v.createdBy,
              v.comment ?? '',
              JSON.stringify(v.params),
            ]),
            ['r'],
          )}\n`,
        );
      });
    });

  leaf(params, 'add', 'Add a parameter version (it overrides the defaults from a day on; audited)')
    .option('--scope <scope>', 'global, group:TAG or point:CODE')
    .option('--from <day>', 'first operating day it applies to')
    .option('--json <settings>', 'the settings to override, as JSON: {"rules":…, "estimation":…, "compare":…}')
    .option('--file <file>', 'the same, from a JSON file')
    .option('--comment <text>', 'why (kept in the audit log)')
    .action(
      async (flags: StoreFlags & { scope?: string; from?: string; json?: string; file?: string; comment?: string }) => {
        const scope = parseScopeArg(required('--scope', flags.scope, 'global, group:TAG or point:CODE'));
        const from = parseDay('--from', required('--from', flags.from, 'first day the version applies to'));
        const input = await paramsInput(flags);
        await io.withStore(flags, async (store) => {
          if (scope.startsWith('point:')) await pointOf(store, scope.slice('point:'.length));
          const flagOf = (field: string): string | null => {
            if (field === 'version.params') return input.flag;
            if (field.startsWith('version.params.')) return `${input.flag}: ${field.slice('version.params.'.length)}`;
            return flagTable({ 'version.scope': '--scope', 'version.effectiveFrom': '--from' })(field);
          };
          const r = await withFlagNames(flagOf, () =>
            addVeeParamVersion(store, { scope, effectiveFrom: from, params: input.value }, cliActor(), flags.comment),
          );
          io.out(
            `Parameter version ${r.version.id} (${r.version.scope} from ${r.version.effectiveFrom}) added by ${r.version.createdBy}; ` +
              `${r.dirty} point-day(s) marked dirty: \`fronteira vee run --dirty\` recomputes them.\n`,
          );
        });
      },
    );

  leaf(params, 'show', 'The parameters in force for a point on a day (defaults ← global ← groups ← point)')
    .argument('<code>', 'point SCDE code')
    .option('--day <day>', 'operating day')
    .option('--json', 'machine-readable output')
    .action(async (code: string, flags: Flags & { day?: string }) => {
      const day = parseDay('--day', required('--day', flags.day));
      await io.withStore(flags, async (store) => {
        const point = await pointOf(store, code);
        const versions = await listParamVersions(store.db);
        const r = resolveParams(versions, { code: point.code, tags: point.tags }, day);
        const byId = new Map(versions.map((v) => [v.id, v]));
        const applied = r.applied.map((a) => {
          const v = byId.get(Number(a.id));
          return { ...a, createdBy: v?.createdBy ?? null, comment: v?.comment ?? null };
        });
        const defaults = flattenSettings(DEFAULT_PARAMS);
        const differences = [...flattenSettings(r.params)]
          .filter(([k, v]) => defaults.get(k) !== v)
          .map(([setting, value]) => ({
            setting,
            value: JSON.parse(value) as unknown,
            default: defaults.has(setting) ? (JSON.parse(defaults.get(setting)!) as unknown) : null,
          }));
        if (flags.json) {
          return printJson(io, { point: point.code, day, applied, differences, params: r.params });
        }
        const head =
          `Parameters for ${point.code} on ${day}${point.tags.length ? ` (groups: ${point.tags.join(', ')})` : ''}: ` +
          (applied.length === 0
            ? 'the defaults (no version applies)'
            : `defaults ← ${applied.map((a) => `#${a.id} ${a.scope} from ${a.effectiveFrom}`).join(' ← ')}`);
        const lines = [head, table(['SETTINGS', 'VALUES'], settingsRows(r.params, DEFAULT_PARAMS))];
        if (differences.length > 0) lines.push('* differs from the default');
        io.out(`${lines.join('\n')}\n`);
      });
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Holiday calendar

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const ORIGIN_LABEL: Record<string, string> = {
  national: 'national holiday',
  optional: 'ponto facultativo (national)',
  added: 'added',
};

function thisYear(): number {
  return new Date(instantToWall(Date.now())).getUTCFullYear();
}

function registerHolidays(vee: Command, io: VeeCliIo): void {
  const holidays = vee
    .command('holidays')
    .description('The holiday calendar of like-day estimation (day classes weekday / Saturday / Sunday-holiday)');

  // `fronteira vee holidays --year 2025` lists: list is the default subcommand.
  addStoreOptions(
    holidays.command('list', { isDefault: true }).description('The holidays in force in a year (the default)'),
  )
    .option('--year <year>', 'calendar year (default: this year)', (v) => parseYear('--year', v))
    .option('--json', 'machine-readable output')
    .action(async (flags: Flags & { year?: number }) => {
      const year = flags.year ?? thisYear();
      await io.withStore(flags, async (store) => {
        const stored = await getCalendar(store.db);
        const cal = new HolidayCalendar(stored.spec);
        const list = cal.holidays(year);
        const removed = stored.spec.removed.filter((d) => d.startsWith(`${year}-`));
        if (flags.json) {
          return printJson(io, {
            year,
            calendarId: stored.id,
            savedBy: stored.createdBy,
            savedAt: stored.createdAt?.toISOString() ?? null,
            kinds: stored.spec.kinds,
            holidays: list,
            removed,
          });
        }
        const kinds = stored.spec.kinds.includes('optional')
          ? 'national holidays and pontos facultativos'
          : 'national holidays only (pontos facultativos count as ordinary days)';
        io.out(
          `Holiday calendar ${year}: ${kinds}; ${
            stored.id === null ? 'the national calendar, never edited' : `edited, saved by ${stored.createdBy}`
          }\n`,
        );
        io.out(
          `${table(
            ['DATE', 'DAY', 'NAME', 'ORIGIN'],
            list.map((h) => [
              h.date,
              WEEKDAYS[new Date(`${h.date}T00:00:00Z`).getUTCDay()],
              h.name,
              ORIGIN_LABEL[h.origin] ?? h.origin,
            ]),
          )}\n`,
        );
        if (removed.length > 0) io.out(`Removed from the national calendar: ${removed.join(', ')}\n`);
      });
    });

  const save = async (
    flags: Flags,
    what: string,
    edit: (cal: HolidayCalendar) => HolidayCalendar,
    check?: (cal: HolidayCalendar) => void,
  ) =>
    io.withStore(flags, async (store) => {
      const cal = new HolidayCalendar((await getCalendar(store.db)).spec);
      check?.(cal);
      const next = edit(cal);
      const r = await withFlagNames(
        (field) => (field.endsWith('.name') ? '--name' : field.startsWith('calendar') ? 'DATE' : null),
        () => saveVeeCalendar(store, next.spec, cliActor(), flags.comment),
      );
      io.out(`${what}; ${r.dirty} point-day(s) marked dirty: \`fronteira vee run --dirty\` recomputes them.\n`);
    });

  leaf(holidays, 'add', 'Add a holiday (municipal, state, decreed day off): like-day treats it as a Sunday')
    .argument('<date>', 'YYYY-MM-DD or dd/mm/aaaa')
    .option('--name <text>', 'holiday name (mandatory)')
    .option('--comment <text>', 'why (kept in the audit log)')
    .action(async (date: string, flags: Flags & { name?: string }) => {
      const day = parseDay('<date>', date);
      const name = required('--name', flags.name, 'e.g. "Aniversário da cidade"').trim();
      await save(flags, `Holiday ${day} '${name}' added`, (cal) => cal.withAdded(day, name));
    });

  leaf(holidays, 'remove', 'Remove a holiday (an added one, or a national one that does not apply here)')
    .argument('<date>', 'YYYY-MM-DD or dd/mm/aaaa')
    .option('--comment <text>', 'why (kept in the audit log)')
    .action(async (date: string, flags: Flags) => {
      const day = parseDay('<date>', date);
      await save(
        flags,
        `Holiday ${day} removed`,
        (cal) => cal.withRemoved(day),
        (cal) => {
          if (!cal.isHoliday(day)) {
            throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `${day} is not a holiday in the calendar in force`, {
              date: day,
            });
          }
        },
      );
    });

  leaf(holidays, 'kinds', 'Which national days count as holidays: national, or national,optional (pontos facultativos)')
    .argument('<kinds>', "'national' or 'national,optional' (the default)")
    .option('--comment <text>', 'why (kept in the audit log)')
    .action(async (kindsText: string, flags: Flags) => {
      const kinds = [...new Set(kindsText.split(',').map((k) => k.trim().toLowerCase()))].filter(Boolean);
      if (kinds.length === 0 || kinds.some((k) => k !== 'national' && k !== 'optional')) {
        throw cliError(`<kinds>: '${kindsText}' is not 'national' or 'national,optional'`);
      }
      await save(
        flags,
        `Holiday kinds set to ${kinds.join(', ')}`,
        (cal) => new HolidayCalendar({ ...cal.spec, kinds: kinds as ('national' | 'optional')[] }),
      );
    });
}

export function registerVeeSettings(vee: Command, io: VeeCliIo): void {
  registerParams(vee, io);
  registerHolidays(vee, io);
}
