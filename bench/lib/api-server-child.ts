/**
 * The API under test, in a process of its own (started by bench/api.ts with an IPC channel): opens the PostgreSQL
 * store with `--pool` connections, listens on a free loopback port with the logger off, and tells the parent its
 * URL. The parent asks for CPU marks around each load run ({ cmd: 'cpu' }) and stops it ({ cmd: 'stop' }); the
 * process then closes and exits normally, so a `--cpu-prof` profile gets written.
 */
import { parseArgs } from 'node:util';
import { startApiServer } from '../../src/api/server.ts';
import { openStore } from '../../src/store/pool.ts';

export interface ServerCpuMark {
  cpuMs: number;
  /** Event-loop utilisation since the process started (performance.eventLoopUtilization). */
  elu: { idle: number; active: number };
}

export type ServerMessage = { kind: 'ready'; url: string } | { kind: 'cpu'; mark: ServerCpuMark };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      pool: { type: 'string', default: '10' },
      'profile-memory-mb': { type: 'string' },
    },
  });
  const url = values['database-url'];
  if (!url || !process.send) throw new Error('api-server-child: needs --database-url and an IPC channel');
  const store = await openStore({ databaseUrl: url, migrate: false, maxConnections: Number(values.pool) });
  const memo = values['profile-memory-mb'];
  const server = await startApiServer(store, {
    port: 0,
    host: '127.0.0.1',
    logger: false,
    profileMemoryMb: memo === undefined ? undefined : Number(memo),
  });
  const send = (m: ServerMessage) => process.send?.(m);
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'cpu') {
      const c = process.cpuUsage();
      const e = performance.eventLoopUtilization();
      send({ kind: 'cpu', mark: { cpuMs: (c.user + c.system) / 1000, elu: { idle: e.idle, active: e.active } } });
    } else if (m.cmd === 'stop') {
      void server
        .close()
        .then(() => store.close())
        .finally(() => {
          process.disconnect?.();
          process.exitCode = 0;
        });
    }
  });
  send({ kind: 'ready', url: server.url });
}

main().catch((e) => {
  process.stderr.write(`api-server-child: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(2);
});
