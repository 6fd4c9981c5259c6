/**
 * `fronteira report compare|completeness|energy|series`: the PDF / XLSX / CSV reports of src/reports written to a
 * file. Points by SCDE code (`--points A,B`) and/or tag (`--tag`); days as YYYY-MM-DD or dd/mm/aaaa. A report that
 * fails half-way leaves no file behind.
 */
import { createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import type { Command } from 'commander';
import { FronteiraError } from '../domain/errors.ts';
import { resolveReportPoints } from '../reports/points.ts';
import {
  checkReportRequest,
  FORMATS_OF,
  REPORT_KINDS,
  type ReportFormat,
  type ReportKind,
  scopeOf,
  writeReport,
} from '../reports/run.ts';
import { cliError, parseQuantity, parseRange, required } from './vee-args.ts';
import { defaultIo, leaf, type VeeCliIo } from './vee-io.ts';

interface ReportFlags {
  databaseUrl?: string;
  dataDir: string;
  points?: string;
  tag?: string;
  from?: string;
  to?: string;
  format?: string;
  out?: string;
  channel?: string;
}

const DESCRIPTIONS: Record<ReportKind, string> = {
  compare: 'Principal × retaguarda per point: chart, daily totals, intervals beyond tolerance (pdf, xlsx, csv)',
  completeness: 'Collection completeness per point and day: percentage and missing intervals (pdf, xlsx, csv)',
  energy: 'Energy per point, day and hour by channel from the current final series (pdf, xlsx, csv)',
  series: 'Final series, one line per interval (csv)',
};

function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

async function run(kind: ReportKind, flags: ReportFlags, io: VeeCliIo): Promise<void> {
  const { from, to } = parseRange(flags.from, flags.to);
  const format = required('--format', flags.format, FORMATS_OF[kind].join(', ')).toLowerCase();
  const file = required('--out', flags.out, 'file to write');
  if (file === '-') throw cliError('--out: give a file name', { flag: '--out' });
  const codes = splitList(flags.points);
  if (codes.length === 0 && !flags.tag) throw cliError('give --points CODE,… or --tag TAG', { flag: '--points' });
  const quantities = flags.channel ? splitList(flags.channel).map((c) => parseQuantity('--channel', c)) : undefined;
  if (quantities && kind !== 'energy' && kind !== 'series') {
    throw cliError('--channel goes with the energy and series reports', { flag: '--channel' });
  }
  const fields = { kind: 'report', format: '--format', points: '--points', to: '--to' };
  // Kind/format and the range before the store is opened; the point count is checked once known.
  checkReportRequest(kind, format, 0, from, to, fields);
  await io.withStore(flags, async (store) => {
    const points = await resolveReportPoints(store.db, { codes, tag: flags.tag }, { codes: '--points', tag: '--tag' });
    checkReportRequest(kind, format, points.length, from, to, fields);
    const started = performance.now();
    try {
      await writeReport(
        store,
        {
          kind,
          format: format as ReportFormat,
          points,
          from,
          to,
          quantities,
          scope: scopeOf(points, flags.tag),
        },
        createWriteStream(file),
      );
    } catch (e) {
      await unlink(file).catch(() => {});
      if (e instanceof FronteiraError) throw e;
      throw new FronteiraError(
        'FRONTEIRA_E_CLI_ARGUMENT',
        `--out: cannot write ${file}: ${(e as Error).message}`,
        { flag: '--out', file },
        { cause: e },
      );
    }
    const size = (await stat(file)).size;
    const s = ((performance.now() - started) / 1000).toFixed(1);
    io.out(
      `wrote ${file}: ${kind} report, ${format}, ${points.length} point(s), ${from}..${to}, ${size} bytes in ${s} s\n`,
    );
  });
}

export function registerReport(program: Command, io: VeeCliIo = defaultIo()): void {
  const report = program.command('report').description('PDF, XLSX and CSV reports (pt-BR) over points and days');
  for (const kind of REPORT_KINDS) {
    const cmd = leaf(report, kind, DESCRIPTIONS[kind])
      .option('--points <codes>', 'point SCDE codes, comma-separated')
      .option('--tag <tag>', 'every point in service with this tag')
      .option('--from <day>', 'first operating day (YYYY-MM-DD or dd/mm/aaaa)')
      .option('--to <day>', 'last operating day')
      .option('--format <format>', FORMATS_OF[kind].join(' | '))
      .option('--out <file>', 'file to write');
    if (kind === 'energy' || kind === 'series') {
      cmd.option('--channel <channels>', 'channels (C, G, QC, QG or quantity codes), comma-separated; default all');
    }
    cmd.action((flags: ReportFlags) => run(kind, flags, io));
  }
}
