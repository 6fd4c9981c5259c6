/**
 * `fronteira export …`: the CCEE/ONS XML files (src/exports). `xml` generates files for points (codes, a tag, or every
 * active point) over a range of operating days; `list` is the history (with `--stale`, the files whose final data
 * changed since); `show` one file with the final versions it used; `regenerate` writes the corrected file of a
 * stale one; `layouts` lists what can be produced. Files go to `--out` (default $FRONTEIRA_EXPORT_DIR or
 * ./data/exports). Every run is audited as `cli:<os user>`. Exit status 1 when some file failed its checks.
 */
import type { Command } from 'commander';
import { listLayouts } from '../exports/layouts/registry.ts';
import {
  defaultDeliveryDir,
  type ExportResult,
  generateExports,
  type PointSelection,
  regenerateExport,
} from '../exports/service.ts';
import { type ExportFileRecord, exportFinals, getExportFile, listExportFiles } from '../store/exports.ts';
import type { StoreFlags } from './store.ts';
import { cliActor, cliError, parseId, parseRange, required } from './vee-args.ts';
import { defaultIo, leaf, pointOf, printJson, type VeeCliIo } from './vee-io.ts';

type Flags = StoreFlags & { json?: boolean };

function formatResult(r: ExportResult): string {
  const lines = [
    `${r.layout} ${r.from}..${r.to}: ${r.points} point(s), ${r.produced.length} file(s) produced ` +
      `(${(r.bytes / 1024).toFixed(0)} kB), ${r.failed.length} failed, ${r.skipped.length} without final data`,
  ];
  for (const p of r.produced.slice(0, 20)) lines.push(`  #${p.id} ${p.path}  sha256 ${p.sha256}`);
  if (r.produced.length > 20) lines.push(`  … and ${r.produced.length - 20} more (fronteira export list)`);
  for (const f of r.failed) lines.push(`  FAILED #${f.id} ${f.message}`);
  return `${lines.join('\n')}\n`;
}

function recordLine(e: ExportFileRecord): string {
  const days = e.dayFrom === e.dayTo ? e.dayFrom : `${e.dayFrom}..${e.dayTo}`;
  const state =
    e.status === 'failed'
      ? 'FAILED'
      : e.supersededBy !== null
        ? `replaced by #${e.supersededBy}`
        : e.stale
          ? 'STALE'
          : 'ok';
  return `#${e.id}  ${e.layout.padEnd(11)} ${e.pointCode} ${days.padEnd(22)} ${state.padEnd(16)} ${e.fileName ?? e.error ?? ''}`;
}

function selection(o: { points?: string; tag?: string }): PointSelection {
  if (o.points !== undefined && o.tag !== undefined) throw cliError('give --points or --tag, not both');
  if (o.points !== undefined) {
    const codes = o.points
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '');
    if (codes.length === 0) throw cliError('--points: no codes given', { flag: '--points' });
    return { pointCodes: codes };
  }
  if (o.tag !== undefined) return { tag: required('--tag', o.tag) };
  return { all: true };
}

function parseLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw cliError(`--limit: '${v}' is not 1..10000`, { flag: '--limit' });
  return n;
}

export function registerExport(program: Command, io: VeeCliIo = defaultIo()): void {
  const exp = program.command('export').description('CCEE/ONS XML files from the final series (layouts with XSD)');

  leaf(exp, 'xml', 'generate XML files for points over a range of operating days')
    .requiredOption('--layout <id>', 'layout: ccee-5min (per point-day) or ccee-hourly (per point, whole range)')
    .requiredOption('--from <day>', 'first operating day (YYYY-MM-DD or dd/mm/aaaa)')
    .option('--to <day>', 'last operating day (default: --from)')
    .option('--points <codes>', 'comma-separated SCDE point codes (default: every active point)')
    .option('--tag <tag>', 'every active point with this registry tag')
    .option('--out <dir>', 'delivery folder (default $FRONTEIRA_EXPORT_DIR or ./data/exports)')
    .option('--json', 'print the result as JSON')
    .action(
      async (o: Flags & { layout: string; from: string; to?: string; points?: string; tag?: string; out?: string }) => {
        const { from, to } = parseRange(o.from, o.to ?? o.from);
        const sel = selection(o);
        const r = await io.withStore(o, (store) =>
          generateExports(store, {
            layout: o.layout,
            from,
            to,
            ...sel,
            deliveryDir: o.out ?? defaultDeliveryDir(),
            actor: cliActor(),
            onProgress: io.progress
              ? (p) => io.err(`\r${p.pointsDone}/${p.points} points, ${p.produced} files, ${p.failed} failed`)
              : undefined,
          }),
        );
        if (io.progress) io.err('\n');
        if (o.json) printJson(io, r);
        else io.out(formatResult(r));
        if (r.failed.length > 0) process.exitCode = 1;
      },
    );

  leaf(exp, 'list', 'list produced and failed files, newest first')
    .option('--stale', 'only stale files (their final data changed) not yet regenerated')
    .option('--layout <id>', 'only this layout')
    .option('--point <code>', 'only this point')
    .option('--from <day>', 'files whose days overlap from this day…')
    .option('--to <day>', '…to this day')
    .option('--failed', 'only failed files')
    .option('--limit <n>', 'at most this many (default 100)', '100')
    .option('--json', 'print as JSON')
    .action(
      async (
        o: Flags & {
          stale?: boolean;
          layout?: string;
          point?: string;
          from?: string;
          to?: string;
          failed?: boolean;
          limit: string;
        },
      ) => {
        const range = o.from !== undefined || o.to !== undefined ? parseRange(o.from ?? o.to, o.to ?? o.from) : null;
        const limit = parseLimit(o.limit);
        const r = await io.withStore(o, async (store) => {
          const pointIds = o.point !== undefined ? [Number((await pointOf(store, o.point)).id)] : undefined;
          return listExportFiles(store.db, {
            layout: o.layout,
            pointIds,
            from: range?.from,
            to: range?.to,
            status: o.failed ? 'failed' : undefined,
            stale: o.stale ? true : undefined,
            limit,
            offset: 0,
          });
        });
        if (o.json) {
          printJson(io, r);
          return;
        }
        const lines = r.items.map(recordLine);
        lines.push(`${r.total} file(s)${r.total > r.items.length ? `, ${r.items.length} shown` : ''}`);
        io.out(`${lines.join('\n')}\n`);
      },
    );

  leaf(exp, 'show', 'one file: where it is, its sha256, the final versions it used and whether it is stale')
    .argument('<id>', 'export file id')
    .option('--json', 'print as JSON')
    .action(async (idArg: string, o: Flags) => {
      const id = parseId('id', idArg);
      const { rec, finals } = await io.withStore(o, async (store) => {
        const rec = await getExportFile(store.db, id);
        if (!rec) throw cliError(`export ${id} does not exist`, { id });
        return { rec, finals: await exportFinals(store.db, id) };
      });
      if (o.json) {
        printJson(io, { ...rec, finals });
        return;
      }
      const lines = [
        recordLine(rec),
        `  path      ${rec.path ?? '-'}`,
        `  sha256    ${rec.sha256 ?? '-'}  (${rec.bytes ?? 0} bytes)`,
        `  created   ${rec.createdAt.toISOString()} by ${rec.createdBy}; scope ${rec.scope}`,
      ];
      if (rec.replaces !== null) lines.push(`  replaces  #${rec.replaces}`);
      if (rec.error) lines.push(`  error     ${rec.error}`);
      for (const f of finals) {
        lines.push(
          `  final #${f.finalId} ${f.day} quantity ${f.quantityCode} v${f.version} ` +
            `${f.current ? 'current' : 'SUPERSEDED'} locked by ${f.lockedBy ?? '-'}`,
        );
      }
      io.out(`${lines.join('\n')}\n`);
    });

  leaf(exp, 'regenerate', 'write the corrected file of a stale one (a new file; the old one is kept)')
    .argument('<id>', 'export file id')
    .option('--out <dir>', 'delivery folder (default $FRONTEIRA_EXPORT_DIR or ./data/exports)')
    .option('--force', 'regenerate even if nothing it used has changed')
    .option('--json', 'print the result as JSON')
    .action(async (idArg: string, o: Flags & { out?: string; force?: boolean }) => {
      const id = parseId('id', idArg);
      const r = await io.withStore(o, (store) =>
        regenerateExport(store, id, { deliveryDir: o.out ?? defaultDeliveryDir(), actor: cliActor(), force: o.force }),
      );
      if (o.json) printJson(io, r);
      else io.out(formatResult(r));
      if (r.failed.length > 0) process.exitCode = 1;
    });

  exp
    .command('layouts')
    .description('the layouts that can be produced')
    .action(() => {
      io.out(
        `${listLayouts()
          .map((l) => `${l.id.padEnd(12)} ${l.granularity.padEnd(11)} ${l.description}`)
          .join('\n')}\n`,
      );
    });
}
