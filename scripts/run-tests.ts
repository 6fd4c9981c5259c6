/**
 * `npm test`: starts one throwaway PostgreSQL cluster for the store tests (unless FRONTEIRA_TEST_DATABASE_URL points at
 * one already), runs every *.test.ts under src/ and test/ with node:test, and stops the cluster whatever happens.
 * Extra arguments are passed to node --test (e.g. a file list to run only those).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Cluster, startCluster } from '../test/helpers/pg-cluster.ts';
// The browser e2e test drives the built UI: build it once when there is no build yet.
import './ensure-web.ts';

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.some((a) => a.endsWith('.ts')) ? [] : [...findTests('src'), ...findTests('test')].sort();
let cluster: Cluster | null = null;
const env = { ...process.env };
if (!env.FRONTEIRA_TEST_DATABASE_URL) {
  cluster = await startCluster();
  env.FRONTEIRA_TEST_DATABASE_URL = cluster.url;
  process.stdout.write(`# throwaway PostgreSQL at ${cluster.url}\n`);
}
const stop = () => {
  cluster?.stop();
  cluster = null;
};
process.on('exit', stop);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    stop();
    process.exit(130);
  });
}
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...args, ...files], {
  stdio: 'inherit',
  env,
});
child.on('exit', (code, signal) => {
  stop();
  process.exit(code ?? (signal ? 1 : 0));
});
