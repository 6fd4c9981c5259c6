/**
 * `fronteira abnt-file …`: ABNT reading files (spec §12, src/exports/abnt-file/). `export SESSION_ID` writes a stored
 * session's responses as a file named by the §12 rule; `import FILE…` stores files from handheld collectors or other
 * systems as readings (contingency reading), all of them or none, as `cli:<os user>`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { FronteiraError } from '../domain/errors.ts';
import { exportSessionAbntFile } from '../exports/abnt-file/export.ts';
import type { AbntFileLayout } from '../exports/abnt-file/format.ts';
import { type AbntFileImportReport, importAbntFiles } from '../exports/abnt-file/import.ts';
import type { MassMemoryPacking } from '../protocols/abnt14522/mass-memory.ts';
import type { Store } from '../store/pool.ts';
import { addStoreOptions, type StoreFlags, withStore } from './store.ts';
import { cliActor, cliError, parseId } from './vee-args.ts';

export interface AbntFileCliIo {
  withStore<T>(flags: StoreFlags, fn: (store: Store) => Promise<T>): Promise<T>;
  out(text: string): void;
  err(text: string): void;
  actor(): string;
}

function defaultIo(): AbntFileCliIo {
  return {
    withStore,
    out: (t) => {
      process.stdout.write(t);
    },
    err: (t) => {
      process.stderr.write(t);
    },
    actor: cliActor,
  };
}

export function parseLayout(flag: string, v: string, auto: boolean): AbntFileLayout | 'auto' {
  const s = v.trim().toLowerCase();
  if (s === 'fk7' || s === 'fk7-crc' || (auto && s === 'auto')) return s;
  throw cliError(`${flag}: '${v}' is not ${auto ? "'auto', " : ''}'fk7' or 'fk7-crc'`, { flag });
}

function parsePacking(flag: string, v: string): MassMemoryPacking {
  const s = v.trim().toLowerCase();
  if (s === 'msn-first' || s === 'lsn-first') return s;
  throw cliError(`${flag}: '${v}' is not 'msn-first' or 'lsn-first'`, { flag });
}

function parseSerial(flag: string, v: string): string {
  const s = v.trim();
  if (!/^\d{1,8}$/.test(s)) throw cliError(`${flag}: '${v}' is not a meter serial (up to 8 digits)`, { flag });
  return s;
}

type ExportFlags = StoreFlags & {
  out: string;
  layout: string;
  withExceptions?: boolean;
  force?: boolean;
  json?: boolean;
};
type ImportFlags = StoreFlags & { dryRun?: boolean; layout: string; packing?: string; meter?: string; json?: boolean };

function formatImport(r: AbntFileImportReport): string {
  const lines: string[] = [];
  for (const f of r.files) {
    const head = `${f.name}: meter ${f.meterSerial} (point ${f.pointCode}), ${f.blocks} blocks (${f.layout}), read at ${f.readingAt}`;
    if (f.duplicate) {
      lines.push(`${head}\n  already imported as session ${f.sessionId}: nothing stored`);
      continue;
    }
    const what = r.dryRun ? 'would store' : `stored as session ${f.sessionId}`;
    lines.push(
      `${head}\n  ${what}: ${f.intervals} values over ${f.days.length} day(s) (${f.days[0] ?? '-'} … ${f.days.at(-1) ?? '-'}), ` +
        `${f.filledSlots} slots filled, ${f.conflicts} conflict(s), ${f.events} new event(s)`,
    );
    for (const w of f.warnings) lines.push(`  warning: ${w}`);
  }
  if (r.dryRun) lines.push('dry run: nothing was stored');
  return `${lines.join('\n')}\n`;
}

export function registerAbntFile(program: Command, io: Partial<AbntFileCliIo> = {}): void {
  const full: AbntFileCliIo = { ...defaultIo(), ...io };
  const group = program
    .command('abnt-file')
    .description(
      'ABNT reading files ("arquivo FK7", 256-byte blocks): export a read session, import contingency readings',
    );

  addStoreOptions(
    group
      .command('export')
      .description('Write a stored read session as an ABNT reading file named NNNNN$XX.XXX (spec §12)')
      .argument('<session-id>', 'read session id'),
  )
    .option('--out <dir>', 'directory to write the file into', '.')
    .option('--layout <layout>', "'fk7' (256-byte blocks, spec §12) or 'fk7-crc' (258-byte blocks with CRC)", 'fk7')
    .option('--with-exceptions', 'also write 0x39/0x40 exception answers (not in §12; off by default)')
    .option('--force', 'overwrite a file of the same name')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, flags: ExportFlags) => {
      const sessionId = parseId('<session-id>', id);
      const layout = parseLayout('--layout', flags.layout, false) as AbntFileLayout;
      const exp = await full.withStore(flags, (store) =>
        exportSessionAbntFile(store.db, sessionId, { layout, withExceptions: flags.withExceptions === true }),
      );
      const path = join(flags.out, exp.name);
      if (existsSync(path) && !flags.force) {
        throw new FronteiraError('FRONTEIRA_E_CONFLICT', `${path} already exists (use --force to overwrite)`, {
          path,
        });
      }
      await mkdir(flags.out, { recursive: true });
      await writeFile(path, exp.bytes);
      if (flags.json) {
        const { bytes: _bytes, ...rest } = exp;
        full.out(`${JSON.stringify({ ...rest, path, size: exp.bytes.length }, null, 2)}\n`);
      } else {
        full.out(
          `${path}: session ${exp.sessionId}, meter ${exp.meterSerial}, ${exp.blocks} blocks (${exp.layout}, ${exp.bytes.length} bytes)\n`,
        );
      }
      for (const w of exp.warnings) full.err(`warning: ${w}\n`);
    });

  addStoreOptions(
    group
      .command('import')
      .description('Store ABNT reading files as readings (contingency reading): every block checked, all files or none')
      .argument('<files...>', 'reading files'),
  )
    .option('--dry-run', 'check and report what would be stored, store nothing')
    .option('--layout <layout>', "'auto', 'fk7' (256-byte blocks) or 'fk7-crc' (258-byte blocks with CRC)", 'auto')
    .option('--packing <order>', "mass-memory word packing, 'msn-first' or 'lsn-first' (default: the meter's channel)")
    .option('--meter <serial>', 'refuse files from any other meter')
    .option('--json', 'print the report as JSON')
    .action(async (paths: string[], flags: ImportFlags) => {
      const layout = parseLayout('--layout', flags.layout, true);
      const packing = flags.packing === undefined ? undefined : parsePacking('--packing', flags.packing);
      const meterSerial = flags.meter === undefined ? undefined : parseSerial('--meter', flags.meter);
      const files: { name: string; bytes: Uint8Array }[] = [];
      for (const p of paths) {
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await readFile(p));
        } catch (e) {
          throw cliError(`${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { path: p });
        }
        files.push({ name: basename(p), bytes });
      }
      const report = await full.withStore(flags, (store) =>
        importAbntFiles(store, files, {
          actor: full.actor(),
          dryRun: flags.dryRun === true,
          layout,
          packing,
          meterSerial,
        }),
      );
      full.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatImport(report));
    });
}
