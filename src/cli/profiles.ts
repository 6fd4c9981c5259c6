/**
 * `fronteira profiles warm`: rebuilds the stored 5-min month profiles (src/profiles/month-cache.ts) that are missing
 * or stale for the given months — what the platform's warmer does every few minutes for the recent months, on
 * demand (after a bulk import, or for an older month analysts are about to review).
 */
import type { Command } from 'commander';
import { checkMonth, PROFILE_LAYERS, refreshProfiles } from '../profiles/month-cache.ts';
import { DEFAULT_PROFILE_MONTHS, warmMonths } from '../profiles/warmer.ts';
import type { ProfileLayer } from '../store/profile-cache.ts';
import type { StoreFlags } from './store.ts';
import { cliError } from './vee-args.ts';
import { table } from './vee-format.ts';
import { defaultIo, leaf, printJson, type VeeCliIo } from './vee-io.ts';

interface WarmFlags extends StoreFlags {
  month: string[];
  layers?: string;
  json?: boolean;
}

function parseLayers(v: string | undefined): ProfileLayer[] {
  if (v === undefined) return [...PROFILE_LAYERS];
  const layers = v.split(',').map((x) => x.trim());
  for (const l of layers) {
    if (!PROFILE_LAYERS.includes(l as ProfileLayer)) {
      throw cliError(`--layers: '${l}' is not ${PROFILE_LAYERS.join(' or ')}`, { flag: '--layers' });
    }
  }
  return layers as ProfileLayer[];
}

export function registerProfiles(program: Command, io: Partial<VeeCliIo> = {}): void {
  const full: VeeCliIo = { ...defaultIo(), ...io };
  const cmd = program.command('profiles').description('Stored 5-min month profiles served by the API');
  leaf(cmd, 'warm', 'Rebuild the stored month profiles that are missing or stale')
    .option(
      '--month <YYYY-MM>',
      'calendar month (repeatable; default this month and the last)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--layers <list>', 'raw, final or both (default raw,final)')
    .option('--json', 'print the report as JSON')
    .action(async (flags: WarmFlags) => {
      const months =
        flags.month.length > 0
          ? flags.month.map((m) => {
              try {
                return checkMonth('--month', m);
              } catch {
                throw cliError(`--month: '${m}' is not a month (YYYY-MM)`, { flag: '--month' });
              }
            })
          : warmMonths(Date.now(), DEFAULT_PROFILE_MONTHS);
      const layers = parseLayers(flags.layers);
      const reports = await full.withStore(flags, (store) => refreshProfiles(store.db, { months, layers }));
      if (flags.json) {
        printJson(full, reports);
        return;
      }
      full.out(
        `${table(
          ['Mês', 'Camada', 'Desatualizados', 'Refeitos', 'JSON (MB)', 'gzip (MB)', 'Tempo (s)'],
          reports.map((r) => [
            r.month.slice(0, 7),
            r.layer,
            String(r.stale),
            String(r.built),
            (r.jsonBytes / 1e6).toFixed(1),
            (r.bytes / 1e6).toFixed(1),
            (r.ms / 1000).toFixed(1),
          ]),
          ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
        )}\n`,
      );
    });
}
