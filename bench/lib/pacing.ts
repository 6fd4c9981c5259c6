/**
 * Target 3: with every meter paced at 9600 baud, 2,000 concurrent sessions finish within 1.2× the time of one session
 * alone (same sequence, same run). At that line speed a session is bound by the line, not the CPU, so the reader
 * (and the simulator) must keep thousands of slow links moving without adding delay of their own.
 */
import { spread } from './fleet.ts';
import { startFleetProcess } from './fleet-process.ts';
import { figure, formatDelay, MB, median, procStatusBytes, verdict, watchLoad } from './measure.ts';
import { describeShapes, percentile, readAll, readOne } from './read-fleet.ts';

const PART = 'pacing';
const TARGET_RATIO = 1.2;
const BAUD = 9600;

export async function runPacing(opts: { sessions: number; aloneRuns: number; warmup: number }): Promise<boolean> {
  const fleet = await startFleetProcess({ meters: opts.sessions, pacingBaud: BAUD });
  let pass = false;
  try {
    const ready = `fleet child ready in ${(fleet.startMs / 1000).toFixed(2)} s`;
    figure(PART, 'meters', opts.sessions, '', `${BAUD} baud; ${ready}`);
    if (opts.warmup > 0) {
      // A collector runs for days: its code (and the simulator's) is compiled by the JIT long before a round. Without
      // this, both processes spend a quarter of their CPU in the measured burst compiling the hot paths.
      const warm = await readAll(fleet.addresses.slice(0, opts.warmup));
      const note = `${warm.good} ok; not counted`;
      figure(PART, 'warm-up sessions at once', Math.min(opts.warmup, fleet.addresses.length), '', note);
      if (warm.good !== warm.sessions.length) throw new Error(`warm-up: ${warm.problems.join('; ')}`);
    }
    const alone: number[] = [];
    for (let i = 0; i < opts.aloneRuns; i++) {
      const s = await readOne(fleet.addresses[i % fleet.addresses.length]);
      if (!s.ok) throw new Error(`alone read of ${s.address}: ${s.problem}`);
      alone.push(s.ms);
    }
    const aloneMs = median(alone);
    const each = alone.map((x) => x.toFixed(0)).join(', ');
    figure(PART, 'one session alone', aloneMs, 'ms', `median of ${alone.length}: ${each}`);

    const fleetCpu0 = await fleet.cpu();
    const load = watchLoad();
    const cpu0 = process.cpuUsage();
    const run = await readAll(fleet.addresses);
    const readerSystemMs = process.cpuUsage(cpu0).system / 1000;
    const reader = load.stop();
    const fleetCpu1 = await fleet.cpu();
    const ms = run.sessions.map((s) => s.ms);
    const ratio = run.wallMs / aloneMs;
    figure(PART, 'sessions ok', `${run.good}/${run.sessions.length}`, '', run.problems.join('; '));
    figure(PART, 'intervals x channels', describeShapes(run.sessions));
    figure(PART, 'wall time, all sessions', run.wallMs, 'ms');
    figure(PART, 'session p50/p95/max', spread(ms), 'ms');
    figure(PART, 'median session / alone', percentile(ms, 50) / aloneMs, 'x');
    figure(PART, 'ratio all / alone', ratio, 'x', `target <= ${TARGET_RATIO}`);
    figure(PART, 'reader CPU', reader.cpuMs, 'ms', `system ${readerSystemMs.toFixed(0)} ms`);
    figure(PART, 'reader loop delay p50/p99/max', formatDelay(reader.loopDelayMs), 'ms');
    figure(PART, 'reader peak RSS (VmHWM)', procStatusBytes('VmHWM') / MB, 'MB');
    figure(
      PART,
      'fleet child CPU, all sessions',
      fleetCpu1.cpuMs - fleetCpu0.cpuMs,
      'ms',
      `system ${(fleetCpu1.systemCpuMs - fleetCpu0.systemCpuMs).toFixed(0)} ms`,
    );
    pass = run.good === run.sessions.length && ratio <= TARGET_RATIO;
    verdict(
      PART,
      `${run.good}/${run.sessions.length} ok; ${run.sessions.length} at once took ${ratio.toFixed(2)}x ` +
        `one alone (<= ${TARGET_RATIO}x)`,
      pass,
    );
  } finally {
    const child = await fleet.stop();
    if (child) {
      figure(
        PART,
        'fleet child CPU',
        child.cpuMs,
        'ms',
        `system ${child.systemCpuMs.toFixed(0)} ms; ${opts.warmup > 0 ? 'warm-up and ' : ''}alone sessions included`,
      );
      figure(PART, 'fleet child loop delay p50/p99/max', formatDelay(child.loopDelayMs), 'ms');
      figure(PART, 'fleet child peak RSS', child.peakRssBytes / MB, 'MB');
    }
  }
  return pass;
}
