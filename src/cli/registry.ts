/**
 * Registry commands: `fronteira point|meter|channel …` to manage points, meters and channels one at a time, and
 * `fronteira registry import|export|audit` for the whole registry as a spreadsheet (or a simulator registry file).
 * Every change is audited as `cli:<os user>`. Readable tables by default; `--json` on list and show.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { FronteiraError, isFronteiraError } from '../domain/errors.ts';
import { formatChannelMap } from '../registry/channel-map.ts';
import { addChannel, disableChannel, listChannels, updateChannel } from '../registry/channels.ts';
import { exportRegistryCsv } from '../registry/csv.ts';
import type { ImportReport } from '../registry/import.ts';
import { importRegistryFile } from '../registry/import-file.ts';
import { addMeter, getMeter, listMeters, retireMeter, swapMeter, updateMeter } from '../registry/meters.ts';
import { createPoint, getPoint, listPoints, retirePoint, updatePoint } from '../registry/points.ts';
import type { RegistryContext } from '../registry/rows.ts';
import { formatBoolean, formatDateTime, formatDecimal, parseDateTime } from '../registry/text.ts';
import { listAudit } from '../store/audit.ts';
import type { Store } from '../store/pool.ts';
import type { ChannelRow, MeterRow, PointRow } from '../store/registry.ts';
import { addStoreOptions, type StoreFlags, withStore } from './store.ts';

type Flags = StoreFlags & Record<string, string | boolean | undefined>;

function actor(): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME;
  }
  return `cli:${user || 'unknown'}`;
}

/** Service fields → the options that set them, so a validation error names what the user typed. */
const OPTION_OF: Record<string, string> = {
  code: '<code>',
  name: '--name',
  kind: '--kind',
  segment: '--segment',
  customer: '--customer',
  substation: '--substation',
  voltageKv: '--voltage-kv',
  loadCapacityKw: '--load-kw',
  tags: '--tags',
  timezone: '--timezone',
  serial: '<serial>',
  newSerial: '<new-serial>',
  pointCode: '--point',
  role: '--role',
  manufacturer: '--manufacturer',
  model: '--model',
  mmIntervalS: '--interval',
  demandIntervalMin: '--demand-interval',
  memoryDays: '--memory-days',
  tpRatio: '--tp',
  tcRatio: '--tc',
  constantsIncludeRatios: '--constants-include-ratios',
  channelMap: '--channels',
  validFrom: '--valid-from',
  validTo: '--valid-to',
  address: '--address',
  readerSerial: '--reader-serial',
  concurrencyGroup: '--concurrency-group',
  directional: '--directional',
  packing: '--packing',
  priority: '--priority',
  timers: '--timers',
  at: '--at',
  limit: '--limit',
  offset: '--offset',
};

async function run(flags: Flags, fn: (store: Store, ctx: RegistryContext) => Promise<void>): Promise<void> {
  try {
    await withStore(flags, (store) =>
      fn(store, { db: store.db, actor: actor(), comment: (flags.comment as string | undefined) ?? undefined }),
    );
  } catch (e) {
    if (isFronteiraError(e, 'FRONTEIRA_E_VALIDATION') && typeof e.details.field === 'string') {
      const option = OPTION_OF[e.details.field];
      if (option) {
        throw new FronteiraError(e.code, `${option}: ${e.message.replace(/^[^:]*: /, '')}`, e.details, { cause: e });
      }
    }
    throw e;
  }
}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function json(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const width = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const when = (d: Date | null, zone?: string) => (d ? formatDateTime(d, zone) : '');
const num = (n: number | null) => (n === null ? '' : formatDecimal(Number(n)));
const intOption = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', `${name}: '${v}' is not a whole number`);
  return n;
};

/** Options given on the command line, renamed to service fields (undefined ones dropped). */
function pickGiven(flags: Flags, names: Record<string, string>): Record<string, string> {
  const outFields: Record<string, string> = {};
  for (const [flag, field] of Object.entries(names)) {
    const v = flags[flag];
    if (typeof v === 'string') outFields[field] = v;
  }
  return outFields;
}

const POINT_OPTIONS = {
  name: 'name',
  kind: 'kind',
  segment: 'segment',
  customer: 'customer',
  substation: 'substation',
  voltageKv: 'voltageKv',
  loadKw: 'loadCapacityKw',
  tags: 'tags',
  timezone: 'timezone',
};

const METER_OPTIONS = {
  manufacturer: 'manufacturer',
  model: 'model',
  interval: 'mmIntervalS',
  demandInterval: 'demandIntervalMin',
  memoryDays: 'memoryDays',
  tp: 'tpRatio',
  tc: 'tcRatio',
  constantsIncludeRatios: 'constantsIncludeRatios',
  channels: 'channelMap',
  validTo: 'validTo',
};

const CHANNEL_OPTIONS = {
  readerSerial: 'readerSerial',
  concurrencyGroup: 'concurrencyGroup',
  directional: 'directional',
  packing: 'packing',
  priority: 'priority',
  timers: 'timers',
};

function pointOptions(cmd: Command): Command {
  return cmd
    .option('--name <text>', 'point name')
    .option('--kind <kind>', 'fronteira, consumidor_livre, consumidor_especial, geracao or distribuidora')
    .option('--segment <segment>', 'cativo, livre, geracao or faturamento')
    .option('--customer <text>', 'customer (empty text clears it)')
    .option('--substation <text>', 'substation')
    .option('--voltage-kv <kV>', 'supply voltage in kV (decimal comma or point)')
    .option('--load-kw <kW>', 'load capacity in kW')
    .option('--tags <list>', 'comma-separated tags')
    .option('--timezone <zone>', 'IANA time zone of the point (default America/Sao_Paulo)');
}

function meterOptions(cmd: Command): Command {
  return cmd
    .option('--manufacturer <text>', 'manufacturer')
    .option('--model <text>', 'model')
    .option('--interval <s>', 'mass-memory interval in seconds (60, 300, 600, 900, 1800, 3600)')
    .option('--demand-interval <min>', 'demand interval in minutes')
    .option('--memory-days <n>', 'days of mass memory the meter keeps')
    .option('--tp <ratio>', 'TP (voltage transformer) ratio')
    .option('--tc <ratio>', 'TC (current transformer) ratio')
    .option('--constants-include-ratios <sim|não>', "whether the meter's constants already include TP×TC")
    .option('--channels <map>', 'channel map, e.g. 0:01/10/11@1/100,1/100,1/100|1:14/15/16@1/100,1/100,1/100');
}

function channelOptions(cmd: Command): Command {
  return cmd
    .option('--reader-serial <digits>', 'reader serial sent in commands (1–6 digits)')
    .option('--concurrency-group <name>', 'physical line or modem (default: the address)')
    .option('--directional <sim|não>', 'directional communication (NBR 14522 §4.1)')
    .option('--packing <order>', 'mass-memory packing: msn-first or lsn-first')
    .option('--priority <n>', 'higher is tried first')
    .option('--timers <pairs>', 'link timer overrides, e.g. enqTimeoutMs=8000,responseTimeoutMs=8000');
}

function leaf(parent: Command, name: string, description: string): Command {
  return addStoreOptions(parent.command(name).description(description));
}

// --- points ------------------------------------------------------------------------------------------------------

function showPoint(point: PointRow): string {
  const rows: [string, string][] = [
    ['Code', point.code],
    ['Name', point.name],
    ['Kind', point.kind],
    ['Segment', point.segment],
    ['Customer', point.customer ?? ''],
    ['Substation', point.substation ?? ''],
    ['Voltage kV', num(point.voltage_kv)],
    ['Load kW', num(point.load_capacity_kw)],
    ['Tags', point.tags.join(', ')],
    ['Time zone', point.timezone],
    ['Retired', when(point.retired_at, point.timezone)],
  ];
  return rows
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k.padEnd(12)}${v}`)
    .join('\n');
}

function meterLine(m: MeterRow, channels: ChannelRow[], zone?: string): string[] {
  return [
    m.serial,
    m.role,
    when(m.valid_from, zone),
    when(m.valid_to, zone),
    [m.manufacturer, m.model].filter(Boolean).join(' '),
    channels
      .filter((c) => c.enabled)
      .map((c) => c.address)
      .join(' '),
  ];
}

function registerPoint(program: Command): void {
  const point = program.command('point').description('Metering points: add, list, show, update, retire');

  pointOptions(leaf(point, 'add', 'Register a metering point'))
    .argument('<code>', '13-character SCDE code')
    .option('--comment <text>', 'note kept in the audit log')
    .option('--json', 'print the point as JSON')
    .action(async (code: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const row = await createPoint(ctx, { code, ...pickGiven(flags, POINT_OPTIONS) });
        if (flags.json) json(row);
        else out(`Point ${row.code} registered.`);
      }),
    );

  leaf(point, 'list', 'List metering points')
    .option('--kind <kind>', 'only this kind')
    .option('--segment <segment>', 'only this segment')
    .option('--tag <tag>', 'only points with this tag')
    .option('--substation <name>', 'only this substation')
    .option('--search <text>', 'text in the code, name, customer or substation')
    .option('--all', 'include retired points')
    .option('--limit <n>', 'page size', intOption('--limit'), 100)
    .option('--offset <n>', 'skip this many', intOption('--offset'), 0)
    .option('--json', 'print JSON')
    .action(async (flags: Flags & { limit: number; offset: number }) =>
      run(flags, async (store) => {
        const r = await listPoints(store.db, {
          kind: flags.kind as string | undefined,
          segment: flags.segment as string | undefined,
          tag: flags.tag as string | undefined,
          substation: flags.substation as string | undefined,
          search: flags.search as string | undefined,
          includeRetired: Boolean(flags.all),
          limit: flags.limit,
          offset: flags.offset,
        });
        if (flags.json) return json(r);
        out(
          table(
            ['CODE', 'NAME', 'KIND', 'SEGMENT', 'SUBSTATION', 'TAGS', 'RETIRED'],
            r.points.map((p) => [
              p.code,
              p.name,
              p.kind,
              p.segment,
              p.substation ?? '',
              p.tags.join(','),
              when(p.retired_at, p.timezone),
            ]),
          ),
        );
        out(`${r.points.length} of ${r.total} point(s)${flags.offset ? ` from ${flags.offset}` : ''}`);
      }),
    );

  leaf(point, 'show', 'Show a point with its meters (history included) and channels')
    .argument('<code>', 'point code')
    .option('--json', 'print JSON')
    .action(async (code: string, flags: Flags) =>
      run(flags, async (store) => {
        const d = await getPoint(store.db, code);
        if (flags.json) return json(d);
        out(showPoint(d.point));
        out('');
        out(
          d.meters.length === 0
            ? 'No meters.'
            : table(
                ['SERIAL', 'ROLE', 'VALID FROM', 'VALID TO', 'MODEL', 'CHANNELS'],
                d.meters.map((m) => meterLine(m.meter, m.channels, d.point.timezone)),
              ),
        );
      }),
    );

  pointOptions(leaf(point, 'update', 'Change fields of a point'))
    .argument('<code>', 'point code')
    .option('--comment <text>', 'note kept in the audit log')
    .action(async (code: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const r = await updatePoint(ctx, code, pickGiven(flags, POINT_OPTIONS));
        out(
          r.changed.length === 0
            ? `Point ${r.point.code}: nothing to change.`
            : `Point ${r.point.code}: ${r.changed.join(', ')} changed.`,
        );
      }),
    );

  leaf(point, 'retire', 'Take a point out of service (its meters are closed at the same instant)')
    .argument('<code>', 'point code')
    .option('--at <date>', 'when (dd/mm/aaaa [hh:mm] or ISO; default now)')
    .option('--comment <text>', 'note kept in the audit log')
    .action(async (code: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const p = await retirePoint(ctx, code, { at: flags.at as string | undefined });
        out(`Point ${p.code} retired at ${when(p.retired_at, p.timezone)}.`);
      }),
    );
}

// --- meters ------------------------------------------------------------------------------------------------------

function registerMeter(program: Command): void {
  const meter = program.command('meter').description('Meters: add, list, show, update, swap, retire');

  channelOptions(meterOptions(leaf(meter, 'add', 'Register a meter on a point (optionally with its channel)')))
    .argument('<serial>', 'meter serial (digits)')
    .requiredOption('--point <code>', 'point code')
    .requiredOption('--role <role>', 'principal or retaguarda')
    .option('--valid-from <date>', 'start of validity (default: since always)')
    .option('--valid-to <date>', 'end of validity')
    .option('--address <address>', 'also add a channel: tcp://HOST:PORT or serial:///dev/ttyX?baud=9600')
    .option('--comment <text>', 'note kept in the audit log')
    .option('--json', 'print the meter as JSON')
    .action(async (serial: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const row = await addMeter(ctx, {
          serial,
          pointCode: flags.point as string,
          role: flags.role as string,
          validFrom: flags.validFrom as string | undefined,
          ...pickGiven(flags, METER_OPTIONS),
          channel:
            typeof flags.address === 'string'
              ? { address: flags.address, ...pickGiven(flags, CHANNEL_OPTIONS) }
              : undefined,
        });
        if (flags.json) json(row);
        else out(`Meter ${row.serial} (${row.role}) registered on point ${(flags.point as string).toUpperCase()}.`);
      }),
    );

  leaf(meter, 'list', 'List meters in service (or at a date, or every version)')
    .option('--point <code>', 'only this point')
    .option('--role <role>', 'only principal or retaguarda')
    .option('--serial <digits>', 'serials starting with these digits')
    .option('--at <date>', 'meters valid at this date (default now)')
    .option('--history', 'every version, past ones included')
    .option('--limit <n>', 'page size', intOption('--limit'), 100)
    .option('--offset <n>', 'skip this many', intOption('--offset'), 0)
    .option('--json', 'print JSON')
    .action(async (flags: Flags & { limit: number; offset: number }) =>
      run(flags, async (store) => {
        const r = await listMeters(store.db, {
          pointCode: flags.point as string | undefined,
          role: flags.role as string | undefined,
          serialPrefix: flags.serial as string | undefined,
          validAt: flags.history ? null : flags.at ? parseDateTime('at', flags.at) : undefined,
          limit: flags.limit,
          offset: flags.offset,
        });
        if (flags.json) return json(r);
        out(
          table(
            ['POINT', 'SERIAL', 'ROLE', 'VALID FROM', 'VALID TO', 'MODEL', 'INTERVAL', 'TP×TC'],
            r.meters.map((m) => [
              m.point_code,
              m.serial,
              m.role,
              when(m.valid_from),
              when(m.valid_to),
              [m.manufacturer, m.model].filter(Boolean).join(' '),
              `${m.mm_interval_s} s`,
              `${num(m.tp_ratio)}×${num(m.tc_ratio)}`,
            ]),
          ),
        );
        out(`${r.meters.length} of ${r.total} meter(s)${flags.offset ? ` from ${flags.offset}` : ''}`);
      }),
    );

  leaf(meter, 'show', 'Show every version of a meter with its channels')
    .argument('<serial>', 'meter serial')
    .option('--json', 'print JSON')
    .action(async (serial: string, flags: Flags) =>
      run(flags, async (store) => {
        const versions = await getMeter(store.db, serial);
        if (flags.json) return json(versions);
        for (const v of versions) {
          const m = v.meter;
          out(
            [
              `Meter ${m.serial} on point ${v.pointCode} (${m.role}), valid ${when(m.valid_from)} → ${when(m.valid_to) || 'now'}`,
              `  ${[m.manufacturer, m.model].filter(Boolean).join(' ') || 'model not given'}; protocol ${m.protocol}; ` +
                `interval ${m.mm_interval_s} s; memory ${m.memory_days} days; TP ${num(m.tp_ratio)} TC ${num(m.tc_ratio)} ` +
                `(constants include them: ${formatBoolean(m.constants_include_ratios)})`,
              `  channel map ${formatChannelMap(m.channel_map) || '(empty)'}`,
            ].join('\n'),
          );
          if (v.channels.length > 0) {
            out(
              table(
                ['  ID', 'ADDRESS', 'GROUP', 'READER', 'PACKING', 'ENABLED'],
                v.channels.map((c) => [
                  `  ${c.id}`,
                  c.address,
                  c.concurrency_group,
                  c.reader_serial,
                  c.packing,
                  formatBoolean(c.enabled),
                ]),
              ),
            );
          }
          out('');
        }
      }),
    );

  channelOptions(meterOptions(leaf(meter, 'update', 'Change fields of a meter')))
    .argument('<serial>', 'meter serial')
    .option('--valid-from <date>', 'the version valid from this date (default: the one in service)')
    .option('--point <code>', 'move to another point (a correction; for a replacement use swap)')
    .option('--role <role>', 'principal or retaguarda')
    .option('--valid-to <date>', "end of validity ('' reopens)")
    .option('--comment <text>', 'note kept in the audit log')
    .action(async (serial: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const patch = pickGiven(flags, { ...METER_OPTIONS, point: 'pointCode', role: 'role' });
        const r = await updateMeter(ctx, serial, patch, { validFrom: flags.validFrom as string | undefined });
        out(
          r.changed.length === 0
            ? `Meter ${r.meter.serial}: nothing to change.`
            : `Meter ${r.meter.serial}: ${r.changed.join(', ')} changed.`,
        );
      }),
    );

  channelOptions(
    meterOptions(leaf(meter, 'swap', 'Replace a meter: the old one ends and the new one starts at the same instant')),
  )
    .argument('<serial>', 'serial of the meter leaving')
    .argument('<new-serial>', 'serial of the meter taking its place')
    .option('--at <date>', 'instant of the swap (default now)')
    .option('--address <address>', "new meter's channel (default: the old meter's channels)")
    .option('--comment <text>', 'note kept in the audit log')
    .action(async (serial: string, newSerial: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const fields = pickGiven(flags, METER_OPTIONS);
        delete fields.validTo;
        const r = await swapMeter(ctx, {
          serial,
          newSerial,
          at: flags.at as string | undefined,
          ...fields,
          channel:
            typeof flags.address === 'string'
              ? { address: flags.address, ...pickGiven(flags, CHANNEL_OPTIONS) }
              : undefined,
        });
        out(
          `Meter ${r.old.serial} replaced by ${r.meter.serial} (${r.meter.role}) at ${when(r.meter.valid_from)}; ` +
            `${r.channels.length} channel(s): ${r.channels.map((c) => c.address).join(' ') || 'none'}.`,
        );
      }),
    );

  leaf(meter, 'retire', 'End the validity of a meter (its data and history stay)')
    .argument('<serial>', 'meter serial')
    .option('--at <date>', 'when (default now)')
    .option('--comment <text>', 'note kept in the audit log')
    .action(async (serial: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const m = await retireMeter(ctx, serial, { at: flags.at as string | undefined });
        out(`Meter ${m.serial} retired at ${when(m.valid_to)}.`);
      }),
    );
}

// --- channels ----------------------------------------------------------------------------------------------------

function registerChannel(program: Command): void {
  const channel = program.command('channel').description('Communication channels: add, list, update, disable');

  channelOptions(leaf(channel, 'add', 'Add a communication channel to a meter'))
    .argument('<serial>', 'meter serial')
    .argument('<address>', 'tcp://HOST:PORT or serial:///dev/ttyX?baud=9600')
    .option('--comment <text>', 'note kept in the audit log')
    .option('--json', 'print the channel as JSON')
    .action(async (serial: string, address: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const c = await addChannel(ctx, { meterSerial: serial, address, ...pickGiven(flags, CHANNEL_OPTIONS) });
        if (flags.json) json(c);
        else out(`Channel ${c.id} (${c.address}, group ${c.concurrency_group}) added to meter ${serial}.`);
      }),
    );

  leaf(channel, 'list', 'List channels')
    .option('--meter <serial>', 'only the channels of this meter')
    .option('--group <name>', 'only this concurrency group')
    .option('--all', 'include disabled channels')
    .option('--limit <n>', 'page size', intOption('--limit'), 100)
    .option('--offset <n>', 'skip this many', intOption('--offset'), 0)
    .option('--json', 'print JSON')
    .action(async (flags: Flags & { limit: number; offset: number }) =>
      run(flags, async (store) => {
        const r = await listChannels(store.db, {
          meterSerial: flags.meter as string | undefined,
          concurrencyGroup: flags.group as string | undefined,
          includeDisabled: Boolean(flags.all),
          limit: flags.limit,
          offset: flags.offset,
        });
        if (flags.json) return json(r);
        out(
          table(
            ['ID', 'METER', 'ADDRESS', 'GROUP', 'READER', 'DIRECTIONAL', 'PACKING', 'PRIORITY', 'ENABLED'],
            r.channels.map((c) => [
              String(c.id),
              c.meter_serial,
              c.address,
              c.concurrency_group,
              c.reader_serial,
              formatBoolean(c.directional),
              c.packing,
              String(c.priority),
              formatBoolean(c.enabled),
            ]),
          ),
        );
        out(`${r.channels.length} of ${r.total} channel(s)`);
      }),
    );

  channelOptions(leaf(channel, 'update', 'Change a channel'))
    .argument('<id>', 'channel id (see channel list)')
    .option('--address <address>', 'new address')
    .option('--enable', 'enable a disabled channel')
    .option('--comment <text>', 'note kept in the audit log')
    .action(async (id: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const patch: Record<string, string | boolean> = pickGiven(flags, { ...CHANNEL_OPTIONS, address: 'address' });
        if (flags.enable) patch.enabled = true;
        const r = await updateChannel(ctx, id, patch);
        out(
          r.changed.length === 0
            ? `Channel ${r.channel.id}: nothing to change.`
            : `Channel ${r.channel.id}: ${r.changed.join(', ')} changed.`,
        );
      }),
    );

  leaf(channel, 'disable', 'Stop using a channel (kept for history)')
    .argument('<id>', 'channel id')
    .option('--comment <text>', 'note kept in the audit log')
    .action(async (id: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        const c = await disableChannel(ctx, id);
        out(`Channel ${c.id} (${c.address}) disabled.`);
      }),
    );
}

// --- whole registry ----------------------------------------------------------------------------------------------

function countsLine(r: ImportReport): string {
  const c = r.counts;
  const part = (name: string, x: { created: number; updated: number; unchanged: number }) =>
    `${name} ${x.created} created, ${x.updated} updated, ${x.unchanged} unchanged`;
  return [
    part('points', c.points),
    part('meters', c.meters),
    `${part('channels', c.channels)}${c.channels.disabled ? `, ${c.channels.disabled} disabled` : ''}`,
  ].join('; ');
}

function registerRegistryFiles(program: Command): void {
  const registry = program.command('registry').description('The whole registry: import, export, audit log');

  leaf(registry, 'import', 'Import a registry spreadsheet (CSV) or a `fronteira simulate` registry file (JSON)')
    .argument('<file>', 'CSV (; or , delimited) or JSON')
    .option('--dry-run', 'validate and report what would change, without changing anything')
    .option('--comment <text>', 'note kept in the audit log')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, flags: Flags) =>
      run(flags, async (_store, ctx) => {
        let bytes: Uint8Array;
        try {
          bytes = await readFile(file);
        } catch (e) {
          throw new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', `cannot read ${file}: ${(e as Error).message}`);
        }
        const r = await importRegistryFile(ctx, bytes, { source: basename(file), dryRun: Boolean(flags.dryRun) });
        if (flags.json) return json(r);
        out(`${r.dryRun ? 'Dry run of' : 'Imported'} ${file} (${r.format}): ${countsLine(r)}.`);
        const shown = r.dryRun ? r.changes : r.changes.slice(0, 50);
        for (const c of shown) out(`  ${r.dryRun ? 'would ' : ''}${c}`);
        if (shown.length < r.changes.length) out(`  … and ${r.changes.length - shown.length} more change(s)`);
        if (r.dryRun) out('Nothing was changed (dry run).');
      }),
    );

  leaf(registry, 'export', 'Export the whole registry as a spreadsheet (CSV with ; and a BOM, for Excel)')
    .argument('[file]', 'where to write (default: standard output)')
    .action(async (file: string | undefined, flags: Flags) =>
      run(flags, async (store) => {
        const csv = await exportRegistryCsv(store.db);
        if (file) {
          await writeFile(file, csv);
          process.stderr.write(`Registry written to ${file}.\n`);
        } else process.stdout.write(csv);
      }),
    );

  leaf(registry, 'audit', 'Show the audit log of registry changes and parametrizations, newest first')
    .option('--entity <entity>', 'point, meter, channel, task…')
    .option('--id <id>', 'entity id (point code, meter or channel id)')
    .option('--actor <actor>', 'only changes by this actor (e.g. cli:maria)')
    .option('--limit <n>', 'how many', intOption('--limit'), 50)
    .option('--json', 'print JSON')
    .action(async (flags: Flags & { limit: number }) =>
      run(flags, async (store) => {
        const rows = await listAudit(store.db, {
          entity: flags.entity as string | undefined,
          entityId: flags.id as string | undefined,
          actor: flags.actor as string | undefined,
          limit: flags.limit,
        });
        if (flags.json) return json(rows);
        out(
          table(
            ['AT', 'ACTOR', 'ACTION', 'ENTITY', 'ID', 'CHANGE'],
            rows.map((a) => [
              when(a.at),
              a.actor,
              a.action,
              a.entity,
              a.entity_id ?? '',
              `${a.before ? `${JSON.stringify(a.before)} → ` : ''}${a.after ? JSON.stringify(a.after) : ''}`.slice(
                0,
                160,
              ),
            ]),
          ),
        );
      }),
    );
}

export function registerRegistry(program: Command): void {
  registerPoint(program);
  registerMeter(program);
  registerChannel(program);
  registerRegistryFiles(program);
}
