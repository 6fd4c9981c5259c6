/**
 * What every `fronteira vee …` command shares: where it writes, how it opens the store (tests hand in one store for
 * a whole file instead of a data directory per command), and the point lookup by SCDE code.
 */
import type { Command } from 'commander';
import { FronteiraError } from '../domain/errors.ts';
import type { Store } from '../store/pool.ts';
import { type PointRow, pointByCode } from '../store/registry.ts';
import { addStoreOptions, type StoreFlags, withStore } from './store.ts';

export interface VeeCliIo {
  withStore<T>(flags: StoreFlags, fn: (store: Store) => Promise<T>): Promise<T>;
  out(text: string): void;
  err(text: string): void;
  /** Show per-day progress on stderr during long runs. */
  progress: boolean;
}

export function defaultIo(): VeeCliIo {
  return {
    withStore,
    out: (text) => {
      process.stdout.write(text);
    },
    err: (text) => {
      process.stderr.write(text);
    },
    progress: process.stderr.isTTY === true,
  };
}

export function printJson(io: VeeCliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

export function leaf(parent: Command, name: string, description: string): Command {
  return addStoreOptions(parent.command(name).description(description));
}

/** The point with this SCDE code (any case), retired ones included; FRONTEIRA_E_NOT_FOUND otherwise. */
export async function pointOf(store: Store, code: string): Promise<PointRow> {
  const c = code.trim().toUpperCase();
  const p = c === '' ? undefined : await pointByCode(store.db, c);
  if (!p) throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `point ${code} does not exist`, { point: code });
  return p;
}
