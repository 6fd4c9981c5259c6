/**
 * `fronteira virtual …`: virtual meters (issue 7). add / update / retire change definitions (audited, the history
 * recomputed at once); list / show read them; preview evaluates a formula without storing anything; compute
 * recomputes stored results over a range of days.
 */
import type { Command } from 'commander';
import { type ErrorCode, FronteiraError } from '../domain/errors.ts';
import { isChannelName } from '../virtual/formula/index.ts';
import {
  type ComputeReport,
  computeVirtual,
  defineVirtualMeter,
  getVirtualMeter,
  listVirtualMeters,
  previewFormula,
  retireVirtualMeter,
  updateVirtualMeter,
  type VirtualMeter,
  type VirtualMeterDetail,
} from '../virtual/service.ts';
import type { StoreFlags } from './store.ts';
import { cliActor, cliError, parseDay, parseRange, required } from './vee-args.ts';
import { table } from './vee-format.ts';
import { defaultIo, leaf, printJson, type VeeCliIo } from './vee-io.ts';

type Flags = StoreFlags & {
  json?: boolean;
  channel?: string;
  formula?: string;
  code?: string;
  segment?: string;
  tags?: string;
  description?: string;
  comment?: string;
  from?: string;
  to?: string;
  all?: boolean;
  name?: string;
  tag?: string;
};

function channelArg(v: string | undefined): 'C' | 'G' | 'QC' | 'QG' {
  const c = required('--channel', v, 'C, G, QC or QG').trim().toUpperCase();
  if (!isChannelName(c)) throw cliError(`--channel: '${v}' is not C, G, QC or QG`, { flag: '--channel' });
  return c;
}

function tagsArg(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((t) => t.trim());
}

function detailText(d: VirtualMeterDetail): string {
  const lines = [
    `${d.name}  (${d.code}, channel ${d.channel} ${d.unit}, segment ${d.segment}${d.retiredAt ? `, retired ${d.retiredAt.toISOString()}` : ''})`,
    `formula:     ${d.formula}`,
    `description: ${d.description ?? '—'}`,
    `tags:        ${d.tags.join(', ') || '—'}`,
    `version:     ${d.version} (updated ${d.updatedAt.toISOString()})`,
    `inputs:      ${d.inputs.map((i) => i.label).join(', ') || '—'}`,
  ];
  if (d.groups.length > 0) lines.push(`groups:      ${d.groups.join(', ')}`);
  lines.push(`dependents:  ${d.dependents.join(', ') || '—'}`);
  if (d.problem) lines.push(`PROBLEM:     ${d.problem}`);
  lines.push('', 'history:');
  lines.push(
    table(
      ['version', 'at', 'by', 'formula', 'comment'],
      d.history.map((h) => [String(h.version), h.at.toISOString(), h.by, h.formula, h.comment ?? '']),
      ['r'],
    ),
  );
  return `${lines.join('\n')}\n`;
}

function listText(items: VirtualMeter[]): string {
  if (items.length === 0) return 'no virtual meters\n';
  return `${table(
    ['name', 'code', 'ch', 'segment', 'tags', 'formula', 'state'],
    items.map((m) => [
      m.name,
      m.code,
      m.channel,
      m.segment,
      m.tags.join(','),
      m.formula,
      m.retiredAt ? 'retired' : 'active',
    ]),
  )}\n`;
}

function reportText(r: ComputeReport): string {
  const q = r.qualities;
  return (
    `${r.meters} virtual meters, ${r.pointDays} point-days: ${r.changed} changed, ${r.unchanged} unchanged` +
    `${r.staleLocked > 0 ? `, ${r.staleLocked} locked versions superseded` : ''}` +
    ` (slots A ${q.A} S ${q.S} E ${q.E} M ${q.M} N ${q.N}; ${Math.round(r.ms)} ms)\n`
  );
}

export function registerVirtual(program: Command, io: Partial<VeeCliIo> = {}): void {
  const full: VeeCliIo = { ...defaultIo(), ...io };
  const v = program
    .command('virtual')
    .description('Virtual meters: series computed by a formula over other series (medidor virtual)');

  leaf(v, 'add', 'define a virtual meter and compute its history')
    .argument('<name>', 'name, referenced as vm("name") in other formulas')
    .option('--channel <ch>', 'C, G, QC or QG')
    .option('--formula <text>', 'e.g. "SPABCDEFGHI01.C - loss(SPABCDEFGHI02.G, 0.985)"')
    .option('--code <code>', '13-character point code (default: generated VM + 11 digits)')
    .option('--segment <segment>', 'cativo, livre, geracao or faturamento (default geracao for G, else faturamento)')
    .option('--tags <a,b>', 'tags (groups of virtual meters)')
    .option('--description <text>', 'what it is')
    .option('--comment <text>', 'why (kept in the definition history)')
    .option('--json', 'JSON output')
    .action(async (name: string, f: Flags) => {
      const channel = channelArg(f.channel);
      const formula = required('--formula', f.formula);
      const d = await full.withStore(f, (store) =>
        defineVirtualMeter(
          store,
          {
            name,
            channel,
            formula,
            code: f.code,
            segment: f.segment,
            tags: tagsArg(f.tags),
            description: f.description,
            comment: f.comment,
          },
          cliActor(),
        ),
      );
      if (f.json) printJson(full, d);
      else full.out(detailText(d));
    });

  leaf(v, 'update', 'change a virtual meter (a formula change recomputes its history)')
    .argument('<name>')
    .option('--formula <text>', 'new formula')
    .option('--segment <segment>', 'new segment')
    .option('--tags <a,b>', 'new tags (replace the old ones; "" for none)')
    .option('--description <text>', 'new description')
    .option('--comment <text>', 'why (kept in the definition history)')
    .option('--json', 'JSON output')
    .action(async (name: string, f: Flags) => {
      if (f.formula === undefined && f.segment === undefined && f.tags === undefined && f.description === undefined) {
        throw cliError('nothing to change: give --formula, --segment, --tags or --description');
      }
      const d = await full.withStore(f, (store) =>
        updateVirtualMeter(
          store,
          name,
          {
            formula: f.formula,
            segment: f.segment,
            tags: tagsArg(f.tags),
            description: f.description,
            comment: f.comment,
          },
          cliActor(),
        ),
      );
      if (f.json) printJson(full, d);
      else full.out(detailText(d));
    });

  leaf(v, 'retire', 'retire a virtual meter (its stored results stay)')
    .argument('<name>')
    .option('--comment <text>', 'why')
    .option('--json', 'JSON output')
    .action(async (name: string, f: Flags) => {
      const m = await full.withStore(f, (store) => retireVirtualMeter(store, name, cliActor(), f.comment));
      if (f.json) printJson(full, m);
      else full.out(`retired ${m.name} (${m.code})\n`);
    });

  leaf(v, 'list', 'list virtual meters')
    .option('--all', 'include retired ones')
    .option('--tag <tag>', 'only those with this tag')
    .option('--json', 'JSON output')
    .action(async (f: Flags) => {
      const r = await full.withStore(f, (store) => listVirtualMeters(store, { includeRetired: f.all, tag: f.tag }));
      if (f.json) printJson(full, r);
      else full.out(listText(r.items));
    });

  leaf(v, 'show', 'a virtual meter: formula, inputs, dependents, definition history')
    .argument('<name>')
    .option('--json', 'JSON output')
    .action(async (name: string, f: Flags) => {
      const d = await full.withStore(f, (store) => getVirtualMeter(store, name));
      if (f.json) printJson(full, d);
      else full.out(detailText(d));
    });

  leaf(v, 'preview', 'evaluate a formula over stored final series, storing nothing')
    .option('--formula <text>', 'the formula')
    .option('--channel <ch>', 'expected channel of the result (checks the unit)')
    .option('--from <day>', 'first day')
    .option('--to <day>', 'last day (default: --from)')
    .option('--json', 'JSON output (every slot)')
    .action(async (f: Flags) => {
      const formula = required('--formula', f.formula);
      const from = parseDay('--from', required('--from', f.from));
      const to = f.to === undefined ? from : parseDay('--to', f.to);
      const channel = f.channel === undefined ? undefined : channelArg(f.channel);
      const r = await full.withStore(f, (store) => previewFormula(store, { formula, channel, from, to }));
      if (f.json) {
        printJson(full, r);
      } else if (!r.ok) {
        // The formula with a caret under the offending part, then the error itself (exit 2, like any error).
        const e = r.errors[0];
        if (e.column)
          full.err(`  ${formula}\n  ${' '.repeat(e.column - 1)}${'^'.repeat(Math.max(1, e.length ?? 1))}\n`);
        throw new FronteiraError(e.code as ErrorCode, e.message, { column: e.column, length: e.length });
      } else {
        full.out(
          `${table(
            ['day', 'slots', `energy ${r.unit}`, 'A', 'S', 'E', 'M', 'N'],
            r.days.map((d) => [
              d.day,
              String(d.slots),
              d.energy.toFixed(3),
              String(d.counts.A),
              String(d.counts.S),
              String(d.counts.E),
              String(d.counts.M),
              String(d.counts.N),
            ]),
            ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
          )}\n`,
        );
      }
    });

  leaf(v, 'compute', 'compute virtual meters over days (all when no name is given), dependents included')
    .argument('[names...]')
    .option('--from <day>', 'first day')
    .option('--to <day>', 'last day')
    .option('--json', 'JSON output')
    .action(async (names: string[], f: Flags) => {
      const range = parseRange(f.from, f.to);
      const r = await full.withStore(f, (store) => computeVirtual(store, { names, ...range }));
      if (f.json) printJson(full, r);
      else full.out(reportText(r));
    });
}
