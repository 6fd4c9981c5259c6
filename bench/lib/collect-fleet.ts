/**
 * The collection benchmark's fleet: `processes` children (bench/lib/collect-fleet-child.ts), each serving a
 * contiguous slice of the meters, driven over IPC (clock shift, ground truth, stop).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WallTime } from '../../src/protocols/abnt14522/fields.ts';
import type { FleetSpec } from '../../src/simulator/fleet-config.ts';
import {
  type BenchFleetOptions,
  benchFleetSpec,
  type ChildFigures,
  type ChildMessage,
  type ParentMessage,
  type TruthMeter,
} from './collect-protocol.ts';

const CHILD = fileURLToPath(new URL('./collect-fleet-child.ts', import.meta.url));

/** Extra node flags for the fleet children, e.g. BENCH_FLEET_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const EXTRA_ARGS = (process.env.BENCH_FLEET_NODE_ARGS ?? '').split(' ').filter(Boolean);

export interface CollectFleet {
  spec: FleetSpec;
  /** Per child: its time to build its meters and listen. */
  startMs: number[];
  /** Sets every child's clock to system time + shiftMs (before the first read). */
  setClock(shiftMs: number): Promise<void>;
  /** Ground truth of group 0 for the given meters, labels fromEnd..toEnd (meter wall times, inclusive). */
  truth(indexes: number[], fromEnd: WallTime, toEnd: WallTime): Promise<TruthMeter[]>;
  /** Stops every child; their figures (null for a child that did not report). */
  stop(): Promise<(ChildFigures | null)[]>;
}

interface Child {
  proc: ChildProcess;
  from: number;
  to: number;
  figures: ChildFigures | null;
}

function request<T extends ChildMessage>(child: Child, msg: ParentMessage, match: (m: ChildMessage) => m is T) {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: ChildMessage) => {
      if (!match(m)) return;
      child.proc.off('message', onMessage);
      child.proc.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => {
      child.proc.off('message', onMessage);
      reject(new Error(`fleet child ${child.from}..${child.to - 1} exited (code ${code}) during '${msg.type}'`));
    };
    child.proc.on('message', onMessage);
    child.proc.once('exit', onExit);
    child.proc.send(msg);
  });
}

export async function startCollectFleet(o: BenchFleetOptions & { processes: number }): Promise<CollectFleet> {
  const spec = benchFleetSpec(o);
  const per = Math.ceil(o.meters / o.processes);
  const children: Child[] = [];
  const started: Promise<number>[] = [];
  for (let from = 0; from < o.meters; from += per) {
    const to = Math.min(o.meters, from + per);
    const args = ['--meters', String(o.meters), '--from', String(from), '--to', String(to), '--seed', o.seed];
    args.push('--base-port', String(o.basePort), '--day', o.day);
    const proc = fork(CHILD, args, {
      execArgv: ['--import', 'tsx', ...EXTRA_ARGS],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child: Child = { proc, from, to, figures: null };
    proc.on('message', (m: ChildMessage) => {
      if (m.type === 'stopped') child.figures = m.figures;
    });
    children.push(child);
    started.push(
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fleet child ${from}..${to - 1} not ready in 120 s`)), 120_000);
        const onExit = (code: number | null) => {
          clearTimeout(timer);
          reject(new Error(`fleet child ${from}..${to - 1} exited before it was ready (code ${code})`));
        };
        proc.once('exit', onExit);
        proc.on('message', (m: ChildMessage) => {
          if (m.type !== 'ready') return;
          clearTimeout(timer);
          proc.off('exit', onExit);
          resolve(m.startMs);
        });
      }),
    );
  }
  const stop = () =>
    Promise.all(
      children.map(
        (c) =>
          new Promise<ChildFigures | null>((resolve) => {
            if (c.proc.exitCode !== null || c.proc.signalCode !== null) {
              resolve(c.figures);
              return;
            }
            const kill = setTimeout(() => c.proc.kill('SIGKILL'), 30_000);
            c.proc.once('exit', () => {
              clearTimeout(kill);
              resolve(c.figures);
            });
            if (c.proc.connected) c.proc.send({ type: 'stop' } satisfies ParentMessage);
            else c.proc.kill('SIGTERM');
          }),
      ),
    );
  let startMs: number[];
  try {
    startMs = await Promise.all(started);
  } catch (e) {
    await stop();
    throw e;
  }
  let nextId = 1;
  return {
    spec,
    startMs,
    async setClock(shiftMs) {
      await Promise.all(
        children.map((c) =>
          request(c, { type: 'clock', shiftMs }, (m): m is Extract<ChildMessage, { type: 'clock-set' }> => {
            return m.type === 'clock-set';
          }),
        ),
      );
    },
    async truth(indexes, fromEnd, toEnd) {
      const out: TruthMeter[] = [];
      for (const c of children) {
        const mine = indexes.filter((i) => i >= c.from && i < c.to);
        if (mine.length === 0) continue;
        const id = nextId++;
        const r = await request(
          c,
          { type: 'truth', id, indexes: mine, fromEnd, toEnd },
          (m): m is Extract<ChildMessage, { type: 'truth' }> => m.type === 'truth' && m.id === id,
        );
        out.push(...r.meters);
      }
      return out;
    },
    stop,
  };
}
