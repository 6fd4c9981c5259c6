/**
 * `fronteira` command line. Subcommands live in their own modules and are imported only when run, so
 * `fronteira --help` stays instant.
 */
import { Command, CommanderError } from 'commander';
import { FronteiraError } from '../domain/errors.ts';
import { registerAbntFile } from './abnt-file.ts';
import { registerDb } from './db.ts';
import { registerDemo } from './demo.ts';
import { registerExport } from './export.ts';
import { registerProfiles } from './profiles.ts';
import { registerRead } from './read.ts';
import { registerRegistry } from './registry.ts';
import { registerReport } from './report.ts';
import { registerServe } from './serve.ts';
import { registerSimulate } from './simulate.ts';
import { registerStart } from './start.ts';
import { registerStatus } from './status.ts';
import { registerSummary } from './summary.ts';
import { registerTask } from './task.ts';
import { registerUser } from './user.ts';
import { registerVee } from './vee.ts';
import { registerVirtual } from './virtual.ts';

export function buildProgram(): Command {
  const program = new Command('fronteira')
    .description('Fronteira: boundary metering and free-market consumers (ABNT NBR 14522 reading, mass memory, CCEE)')
    .version('0.1.0')
    .showHelpAfterError();
  registerRead(program);
  registerSimulate(program);
  registerDemo(program);
  registerRegistry(program);
  registerDb(program);
  registerServe(program);
  registerStart(program);
  registerStatus(program);
  registerTask(program);
  registerUser(program);
  registerVee(program);
  registerVirtual(program);
  registerSummary(program);
  registerAbntFile(program);
  registerExport(program);
  registerReport(program);
  registerProfiles(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof FronteiraError) {
      process.stderr.write(`error [${e.code}]: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
