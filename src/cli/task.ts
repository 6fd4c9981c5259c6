/**
 * `fronteira task …`: remote parametrization and on-demand reads of one meter, run now by this process through the
 * collection engine (one session per line is still guaranteed through the store's line leases), audited.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { startEngine } from '../collect/engine.ts';
import { FronteiraError } from '../domain/errors.ts';
import { silentLogger } from '../logging.ts';
import { meterBySerial } from '../store/registry.ts';
import type { TaskKind } from '../store/schema.ts';
import { parseIntOption } from './read.ts';
import { addStoreOptions, type StoreFlags, withStore } from './store.ts';

interface TaskFlags extends StoreFlags {
  meter: string;
  comment?: string;
  minutes?: number;
  dates?: string;
  days?: number;
  json?: boolean;
}

const KINDS: Record<string, { kind: TaskKind; description: string }> = {
  'read-now': { kind: 'read_now', description: 'read the meter now (mass memory since the last good interval)' },
  'clock-sync': { kind: 'clock_sync', description: "set the meter clock to the reader's (0x29/0x30)" },
  'demand-interval': { kind: 'demand_interval', description: 'set the demand interval (0x31), --minutes' },
  holidays: { kind: 'holidays', description: 'set the holidays (0x32), --dates YYYY-MM-DD,…' },
  'demand-reset': { kind: 'demand_reset', description: 'demand reset / billing read (0x20 → 0x27)' },
};

function argError(message: string): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_CLI_ARGUMENT', message);
}

export function registerTask(program: Command): void {
  const task = program.command('task').description('Remote parametrization and on-demand reads (audited)');
  for (const [name, { kind, description }] of Object.entries(KINDS)) {
    const cmd = task
      .command(name)
      .description(description)
      .requiredOption('--meter <serial>', 'meter serial')
      .option('--comment <text>', 'why (kept in the audit log)')
      .option('--json', 'print the task as JSON');
    if (kind === 'demand_interval')
      cmd.option('--minutes <n>', 'demand interval in minutes', parseIntOption('--minutes', 1, 60));
    if (kind === 'holidays') cmd.option('--dates <list>', 'comma-separated YYYY-MM-DD (up to 15)');
    addStoreOptions(cmd).action(async (flags: TaskFlags) => {
      const params: Record<string, unknown> = {};
      if (kind === 'demand_interval') {
        if (flags.minutes === undefined) throw argError('--minutes is required for demand-interval');
        params.minutes = flags.minutes;
      }
      if (kind === 'holidays') {
        const dates = (flags.dates ?? '')
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean);
        if (dates.length === 0 || dates.length > 15 || dates.some((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d))) {
          throw argError('--dates must list 1–15 dates as YYYY-MM-DD, comma-separated');
        }
        params.dates = dates;
      }
      await withStore(flags, async (store) => {
        const meter = await meterBySerial(store.db, flags.meter);
        if (!meter) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `no meter in service with serial ${flags.meter}`);
        const engine = await startEngine(store, { queue: false, logger: silentLogger(), leases: 'store' });
        try {
          const requested = await engine.requestTask({
            kind,
            meterId: meter.id,
            params,
            requestedBy: `cli:${userInfo().username}`,
            comment: flags.comment,
          });
          const done = await engine.runTask(requested.id);
          if (flags.json) process.stdout.write(`${JSON.stringify(done, null, 2)}\n`);
          else {
            process.stdout.write(
              `task ${done.id} ${name} on meter ${flags.meter}: ${done.status}` +
                `${done.session_id ? ` (session ${done.session_id})` : ''}\n${done.result ? `${JSON.stringify(done.result)}\n` : ''}`,
            );
          }
          process.exitCode = done.status === 'done' ? 0 : 1;
        } finally {
          await engine.stop();
        }
      });
    });
  }
}
