/**
 * Target 2: 1,000 simulated meters read over loopback (one day of 5-minute mass memory, 3 channels, no pacing) in
 * ≤ 10 s wall, with the reader's peak RSS ≤ 300 MB. The fleet runs in a child process, so this process is the reader
 * alone. For context: one meter read alone in the same run (median of a few), and throughput in meters/s.
 */
import { startFleetProcess } from './fleet-process.ts';
import { figure, formatDelay, MB, median, procStatusBytes, sampleRss, verdict, watchLoad } from './measure.ts';
import { describeShapes, percentile, readAll, readOne } from './read-fleet.ts';

const PART = 'fleet';
const TARGET_WALL_MS = 10_000;
const TARGET_RSS_BYTES = 300 * MB;

export async function runFleet(opts: { meters: number; aloneRuns: number }): Promise<boolean> {
  const rssBefore = process.memoryUsage.rss();
  const fleet = await startFleetProcess({ meters: opts.meters });
  let pass = false;
  try {
    figure(PART, 'meters', opts.meters, '', `fleet child ready in ${(fleet.startMs / 1000).toFixed(2)} s`);
    const alone: number[] = [];
    for (let i = 0; i < opts.aloneRuns; i++) {
      // A different meter each time: each is read once more in the concurrent run.
      const s = await readOne(fleet.addresses[i % fleet.addresses.length]);
      if (!s.ok) throw new Error(`alone read of ${s.address}: ${s.problem}`);
      alone.push(s.ms);
    }
    const aloneMs = median(alone);
    figure(PART, 'one meter alone', aloneMs, 'ms', `median of ${alone.length}`);

    const rss = sampleRss();
    const load = watchLoad();
    const run = await readAll(fleet.addresses);
    const reader = load.stop();
    const sampled = rss.stop();
    const hwm = procStatusBytes('VmHWM');
    const ms = run.sessions.map((s) => s.ms);
    figure(PART, 'sessions ok', `${run.good}/${run.sessions.length}`, '', run.problems.join('; '));
    figure(PART, 'intervals x channels', describeShapes(run.sessions));
    figure(PART, 'wall time, all meters', run.wallMs, 'ms', `target <= ${TARGET_WALL_MS}`);
    figure(PART, 'throughput', (run.sessions.length / run.wallMs) * 1000, 'meters/s');
    figure(PART, 'session p50/p95/max', spread(ms), 'ms');
    figure(PART, 'wall / one meter alone', run.wallMs / aloneMs, 'x');
    figure(PART, 'reader CPU', reader.cpuMs, 'ms');
    figure(PART, 'reader loop delay p50/p99/max', formatDelay(reader.loopDelayMs), 'ms');
    figure(PART, 'reader RSS before', rssBefore / MB, 'MB');
    figure(PART, 'reader peak RSS (VmHWM)', hwm / MB, 'MB', `target <= ${TARGET_RSS_BYTES / MB}`);
    figure(PART, 'reader max sampled RSS', sampled.maxBytes / MB, 'MB', `${sampled.samples} samples`);
    const peak = Number.isFinite(hwm) ? hwm : sampled.maxBytes;
    pass = run.good === run.sessions.length && run.wallMs <= TARGET_WALL_MS && peak <= TARGET_RSS_BYTES;
    verdict(
      PART,
      `${run.good}/${run.sessions.length} ok in ${(run.wallMs / 1000).toFixed(2)} s (<= ${TARGET_WALL_MS / 1000} s), ` +
        `peak RSS ${(peak / MB).toFixed(0)} MB (<= ${TARGET_RSS_BYTES / MB} MB)`,
      pass,
    );
  } finally {
    const child = await fleet.stop();
    if (child) {
      figure(PART, 'fleet child CPU', child.cpuMs, 'ms', 'alone reads included');
      figure(PART, 'fleet child peak RSS', child.peakRssBytes / MB, 'MB');
    }
  }
  return pass;
}

export function spread(ms: readonly number[]): string {
  return `${percentile(ms, 50).toFixed(0)}/${percentile(ms, 95).toFixed(0)}/${Math.max(...ms).toFixed(0)}`;
}
