/**
 * Runs one `fronteira <group> …` command in process against a test's store, as main() would (a FronteiraError exits
 * 2 with `error [CODE]: message` on stderr), capturing what it prints. Shared by the CLI tests of every command group.
 */
import assert from 'node:assert/strict';
import { Command, CommanderError } from 'commander';
import { FronteiraError } from '../../src/domain/errors.ts';
import type { Store } from '../../src/store/pool.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
  error?: FronteiraError;
}

/** What a command group's register function takes to run on a given store and print into strings. */
export interface TestIo {
  withStore<T>(flags: unknown, fn: (store: Store) => Promise<T>): Promise<T>;
  out(text: string): void;
  err(text: string): void;
  progress: boolean;
}

export interface CliRunner {
  run(...args: string[]): Promise<CliResult>;
  /** Runs and asserts exit 0; returns stdout. */
  ok(...args: string[]): Promise<string>;
}

/**
 * `register` adds the group to a program (registerVee, registerSummary…); `store` is read at each call, so a runner
 * can be made before the test's store is opened.
 */
export function cliRunner(
  group: string,
  // biome-ignore lint/suspicious/noExplicitAny: each group types its own io; they all accept this shape
  register: (program: Command, io: any) => void,
  store: () => Store,
  /** More members of the group's io (e.g. `actor` for abnt-file). */
  extraIo: Record<string, unknown> = {},
): CliRunner {
  async function run(...args: string[]): Promise<CliResult> {
    let out = '';
    let err = '';
    const toOut = (s: string) => {
      out += s;
    };
    const toErr = (s: string) => {
      err += s;
    };
    const program = new Command('fronteira').exitOverride().configureOutput({ writeOut: toOut, writeErr: toErr });
    const io: TestIo = { withStore: (_flags, fn) => fn(store()), out: toOut, err: toErr, progress: false };
    register(program, { ...io, ...extraIo });
    try {
      await program.parseAsync(['node', 'fronteira', group, ...args]);
      return { code: 0, out, err };
    } catch (e) {
      if (e instanceof CommanderError) return { code: e.exitCode, out, err };
      if (e instanceof FronteiraError)
        return { code: 2, out, err: `${err}error [${e.code}]: ${e.message}\n`, error: e };
      throw e;
    }
  }
  return {
    run,
    async ok(...args) {
      const r = await run(...args);
      assert.equal(r.code, 0, `${group} ${args.join(' ')}: ${r.err}`);
      return r.out;
    },
  };
}
