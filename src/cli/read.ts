/**
 * `fronteira read`: point-to-point diagnosis of one meter (field or CCEE-channel problems). Prints a readable report,
 * or JSON; `--raw` keeps every frame. Exit status 0 when the sequence completed, 1 when it stopped (the report says
 * at which step and why), 2 for bad arguments.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { readMeter } from '../collect/session/read-meter.ts';
import { framesToJsonLines, readingToJson } from '../collect/session/reading-json.ts';
import { SEQUENCES } from '../collect/session/sequences.ts';
import { FronteiraError } from '../domain/errors.ts';
import { DEFAULT_ZONE } from '../domain/time.ts';
import type { LinkTimers } from '../protocols/abnt14522/link-timers.ts';
import type { MassMemoryPacking } from '../protocols/abnt14522/mass-memory.ts';
import { formatReading } from './reading-report.ts';

function argError(message: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', message);
}

export function parseIntOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw argError(`${name}: '${value}' is not an integer in ${min}–${max}`);
    return n;
  };
}

export function parseGroups(value: string): number[] {
  const groups = value.split(',').map((s) => Number(s.trim()));
  if (groups.length === 0 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 32)) {
    throw argError(`--groups: '${value}' is not a list of channel groups 0–32 (e.g. 0,1)`);
  }
  return groups;
}

interface ReadFlags {
  json?: boolean;
  raw?: string;
  sequence: string;
  groups?: number[];
  days?: number;
  hours?: number;
  readerSerial: string;
  directional?: boolean;
  packing: string;
  zone: string;
  connectTimeout: number;
  enqTimeout?: number;
  responseTimeout?: number;
  charTimeout?: number;
}

export function registerRead(program: Command): void {
  program
    .command('read')
    .description('Read one meter now and print a diagnostic report (identity, clock, channels, mass memory, logs)')
    .argument('<address>', 'tcp://HOST:PORT or serial:///dev/ttyX?baud=9600')
    .option(
      '-s, --sequence <name>',
      `reading sequence: ${[...SEQUENCES.values()].map((s) => s.name).join(', ')}`,
      'verificacao',
    )
    .option(
      '--groups <list>',
      'channel groups to read, e.g. 0,1 (default: 0 and 1 when the meter has them)',
      parseGroups,
    )
    .option('--days <n>', "window for the 'memoria' sequence, in days (0x51/0x52)", parseIntOption('--days', 1, 99))
    .option('--hours <n>', "window for the 'memoria' sequence, in hours", parseIntOption('--hours', 1, 99))
    .option('--json', 'print the whole reading as JSON')
    .option('--raw <file>', 'save every frame (both directions, timestamped) as JSON Lines')
    .option('--reader-serial <digits>', 'reader serial sent in commands (6 digits; meters log it)', '000001')
    .option('--directional', 'directional communication (ALO + complemented bytes, NBR 14522 §4.1)')
    .option(
      '--packing <order>',
      '12-bit mass-memory word packing: msn-first (default, unconfirmed) or lsn-first',
      'msn-first',
    )
    .option('--zone <tz>', "meter's time zone, for clock drift", DEFAULT_ZONE)
    .option('--connect-timeout <ms>', 'TCP connect timeout', parseIntOption('--connect-timeout', 1, 600_000), 10_000)
    .option('--enq-timeout <ms>', 'max wait for the meter ENQ', parseIntOption('--enq-timeout', 1, 600_000))
    .option(
      '--response-timeout <ms>',
      'max wait for the first byte of an answer',
      parseIntOption('--response-timeout', 1, 600_000),
    )
    .option('--char-timeout <ms>', 'max gap between bytes inside a block', parseIntOption('--char-timeout', 1, 600_000))
    .action(async (address: string, flags: ReadFlags) => {
      if (!/^\d{1,6}$/.test(flags.readerSerial))
        throw argError(`--reader-serial: '${flags.readerSerial}' is not 1–6 digits`);
      if (flags.packing !== 'msn-first' && flags.packing !== 'lsn-first') {
        throw argError(`--packing: '${flags.packing}' is not msn-first or lsn-first`);
      }
      if (flags.days !== undefined && flags.hours !== undefined) throw argError('give --days or --hours, not both');
      const timers: Partial<LinkTimers> = {};
      if (flags.enqTimeout !== undefined) timers.enqTimeoutMs = flags.enqTimeout;
      if (flags.responseTimeout !== undefined) timers.responseTimeoutMs = flags.responseTimeout;
      if (flags.charTimeout !== undefined) timers.interCharTimeoutMs = flags.charTimeout;
      const reading = await readMeter(address, {
        sequence: flags.sequence,
        groups: flags.groups,
        window:
          flags.hours !== undefined
            ? { amount: flags.hours, unit: 'hours' }
            : { amount: flags.days ?? 1, unit: 'days' },
        readerSerial: flags.readerSerial.padStart(6, '0'),
        packing: flags.packing as MassMemoryPacking,
        zone: flags.zone,
        connectTimeoutMs: flags.connectTimeout,
        link: { timers, directional: flags.directional ?? false },
      });
      if (flags.raw) await writeFile(flags.raw, framesToJsonLines(reading));
      process.stdout.write(
        flags.json ? `${JSON.stringify(readingToJson(reading), null, 2)}\n` : formatReading(reading),
      );
      if (flags.raw && !flags.json)
        process.stdout.write(`Raw frames: ${reading.frames.length} written to ${flags.raw}\n`);
      process.exitCode = reading.ok ? 0 : 1;
    });
}
