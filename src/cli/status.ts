/** `fronteira status`: completeness of the mass memory by day, open gaps, failing meters, tasks. */
import type { Command } from 'commander';
import { parseIntOption } from './read.ts';
import { formatStatus, statusReport } from './status-report.ts';
import { addStoreOptions, type StoreFlags, withStore } from './store.ts';

export function registerStatus(program: Command): void {
  addStoreOptions(
    program
      .command('status')
      .description('Collection completeness by day ("100% da memória de massa") and the open gaps')
      .option('--days <n>', 'operating days to show, newest first', parseIntOption('--days', 1, 400), 7)
      .option('--gaps <n>', 'open gaps to list', parseIntOption('--gaps', 0, 100_000), 20)
      .option('--json', 'machine-readable output'),
  ).action(async (flags: StoreFlags & { days: number; gaps: number; json?: boolean }) => {
    await withStore(flags, async (store) => {
      const r = await statusReport(store, { days: flags.days });
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ days: r.days, ...r.collection, openGaps: r.collection.openGaps.slice(0, flags.gaps) }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(formatStatus(r, { gapLimit: flags.gaps }));
      }
    });
  });
}
