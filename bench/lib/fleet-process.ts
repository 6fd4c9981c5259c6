/** Starts bench/fleet-child.ts in its own process and talks to it over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetCpu, FleetReady, FleetStopped } from '../fleet-child.ts';

const CHILD = fileURLToPath(new URL('../fleet-child.ts', import.meta.url));

/** Extra node flags for the fleet child, e.g. BENCH_FLEET_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const EXTRA_ARGS = (process.env.BENCH_FLEET_NODE_ARGS ?? '').split(' ').filter(Boolean);

export interface FleetProcess {
  addresses: string[];
  /** The child's own time to build the fleet and listen. */
  startMs: number;
  /** The child's CPU since it was ready. */
  cpu(): Promise<FleetCpu>;
  /** Stops the fleet; resolves with the child's figures (null if it did not report them). */
  stop(): Promise<FleetStopped | null>;
}

export async function startFleetProcess(opts: {
  meters: number;
  pacingBaud?: number;
  seed?: string;
}): Promise<FleetProcess> {
  const args = ['--meters', String(opts.meters), '--seed', opts.seed ?? 'bench'];
  if (opts.pacingBaud) args.push('--pacing', String(opts.pacingBaud));
  const child: ChildProcess = fork(CHILD, args, {
    execArgv: ['--import', 'tsx', ...EXTRA_ARGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stopped: FleetStopped | null = null;
  const cpuWaiters: ((c: FleetCpu) => void)[] = [];
  const ready = await new Promise<FleetReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fleet child did not become ready within 120 s')), 120_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`fleet child exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.on('message', (m: FleetReady | FleetStopped | FleetCpu) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m);
      } else if (m.type === 'stopped') {
        stopped = m;
      } else if (m.type === 'cpu') {
        cpuWaiters.shift()?.(m);
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    addresses: ready.addresses,
    startMs: ready.startMs,
    cpu: () =>
      new Promise<FleetCpu>((resolve) => {
        cpuWaiters.push(resolve);
        child.send({ type: 'cpu' });
      }),
    stop: () =>
      new Promise<FleetStopped | null>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve(stopped);
        });
        child.send({ type: 'stop' });
      }),
  };
}
