/**
 * `fronteira summary`: energy totals of the current final series by market segment or by tag, per channel and hour,
 * day or month, with the completeness of their inputs (src/summary). Output as a table (default), JSON, CSV (';',
 * decimal comma, for Excel pt-BR) or an XLSX workbook.
 */
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { FronteiraError } from '../domain/errors.ts';
import { writeSummaryCsv } from '../summary/csv.ts';
import {
  formatSummaryBy,
  parseChannels,
  parseSummaryBy,
  SUMMARY_RESOLUTIONS,
  type Summary,
  type SummaryResolution,
  summarize,
} from '../summary/summary.ts';
import { writeSummaryXlsx } from '../summary/xlsx.ts';
import type { StoreFlags } from './store.ts';
import { cliError, parseRange, required } from './vee-args.ts';
import { fixed, table } from './vee-format.ts';
import { defaultIo, leaf, printJson, type VeeCliIo } from './vee-io.ts';

const FORMATS = ['table', 'json', 'csv', 'xlsx'] as const;
type Format = (typeof FORMATS)[number];

interface SummaryFlags extends StoreFlags {
  by?: string;
  resolution?: string;
  from?: string;
  to?: string;
  channel?: string;
  format?: string;
  out?: string;
  includeVirtual?: boolean;
}

/** The summary as the terminal shows it. */
export function formatSummary(s: Summary): string {
  const head = `Resumo ${s.resolution === 'hour' ? 'horário' : s.resolution === 'day' ? 'diário' : 'mensal'} por ${
    s.by.kind === 'segment' ? 'segmento' : s.by.tag === null ? 'tag' : `tag ${s.by.tag}`
  }, ${s.from} a ${s.to}, canais ${s.channels.join(', ')}${s.includeVirtual ? ', com medidores virtuais' : ''}`;
  if (s.rows.length === 0) return `${head}\n(nenhum ponto no escopo)\n`;
  const rows = s.rows.map((r) => [
    r.group,
    r.channel,
    r.period,
    `${fixed(r.energy, 3)} ${r.unit}`,
    `${fixed(100 * r.completeness, 2)}%`,
    String(r.expectedSlots),
    String(r.actual),
    String(r.substituted),
    String(r.estimated),
    String(r.manual),
    String(r.missing),
    `${r.pointsWithData}/${r.points}`,
  ]);
  return `${head}\n${table(
    [
      'Grupo',
      'Canal',
      'Período',
      'Energia',
      'Completude',
      'Esperados',
      'A',
      'S',
      'E',
      'M',
      'Faltantes',
      'Pontos c/ dados',
    ],
    rows,
    ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  )}\n`;
}

async function writeFile(flag: string, file: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    await unlink(file).catch(() => {});
    if (e instanceof FronteiraError) throw e;
    throw new FronteiraError(
      'FRONTEIRA_E_CLI_ARGUMENT',
      `${flag}: cannot write ${file}: ${(e as Error).message}`,
      { flag, file },
      { cause: e },
    );
  }
}

function parseFormat(v: string | undefined): Format {
  const f = (v ?? 'table') as Format;
  if (!FORMATS.includes(f)) throw cliError(`--format: '${v}' is not ${FORMATS.join(', ')}`, { flag: '--format' });
  return f;
}

function parseResolution(v: string | undefined): SummaryResolution {
  const r = (v ?? 'day') as SummaryResolution;
  if (!SUMMARY_RESOLUTIONS.includes(r)) {
    throw cliError(`--resolution: '${v}' is not hour, day or month`, { flag: '--resolution' });
  }
  return r;
}

/** Flag errors named after the flag, before the store is opened. */
function parseFlags(flags: SummaryFlags) {
  const { from, to } = parseRange(flags.from, flags.to);
  const rethrow = (flag: string, fn: () => unknown) => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FronteiraError) throw cliError(`${flag}: ${e.message.replace(/^\w+: /, '')}`, { flag });
      throw e;
    }
  };
  const by = rethrow('--by', () => parseSummaryBy(required('--by', flags.by, 'segment, tag or tag:NAME').trim()));
  const channels =
    flags.channel === undefined ? undefined : rethrow('--channel', () => parseChannels(flags.channel as string));
  const format = parseFormat(flags.format);
  if (format === 'xlsx' && (flags.out === undefined || flags.out === '-')) {
    throw cliError('--format xlsx needs --out FILE (an XLSX workbook is not for the terminal)', { flag: '--out' });
  }
  if ((format === 'table' || format === 'json') && flags.out !== undefined) {
    throw cliError(`--out goes with --format csv or xlsx`, { flag: '--out' });
  }
  return {
    query: {
      by: by as ReturnType<typeof parseSummaryBy>,
      resolution: parseResolution(flags.resolution),
      from,
      to,
      channels: channels as ReturnType<typeof parseChannels> | undefined,
      includeVirtual: flags.includeVirtual === true,
    },
    format,
    out: flags.out,
  };
}

export function registerSummary(program: Command, io: Partial<VeeCliIo> = {}): void {
  const full: VeeCliIo = { ...defaultIo(), ...io };
  leaf(
    program,
    'summary',
    'Energy totals of the final series by market segment or tag: hourly, daily or monthly, per channel, with completeness',
  )
    .option('--by <by>', 'segment, tag (one group per tag) or tag:NAME')
    .option('--resolution <r>', 'hour, day (default) or month')
    .option('--from <day>', 'first operating day')
    .option('--to <day>', 'last operating day')
    .option('--channel <list>', 'channels, e.g. C,G (default: C, G, QC, QG)')
    .option('--format <f>', 'table (default), json, csv or xlsx')
    .option('--out <file>', "file for csv or xlsx; csv without --out (or '-') goes to standard output")
    .option('--include-virtual', "include points of kind 'virtual' (excluded by default: no double counting)")
    .action(async (flags: SummaryFlags) => {
      const { query, format, out } = parseFlags(flags);
      const summary = await full.withStore(flags, (store) => summarize(store.db, query));
      switch (format) {
        case 'json':
          printJson(full, { ...summary, by: formatSummaryBy(summary.by) });
          return;
        case 'table':
          full.out(formatSummary(summary));
          return;
        case 'csv': {
          if (out === undefined || out === '-') {
            const sink = new Writable({
              write(chunk: Buffer | string, _enc, done) {
                full.out(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
                done();
              },
            });
            await writeSummaryCsv(summary, sink);
            return;
          }
          await writeFile('--out', out, () => writeSummaryCsv(summary, createWriteStream(out)));
          full.err(`${summary.rows.length} linhas em ${out}\n`);
          return;
        }
        case 'xlsx': {
          const file = out as string;
          await writeFile('--out', file, () => writeSummaryXlsx(summary, file));
          full.err(`${summary.rows.length} linhas em ${file}\n`);
          return;
        }
      }
    });
}
