/**
 * Small measuring helpers shared by the benchmarks: medians, the process's peak RSS as the kernel counts it, an RSS
 * sampler, and the one-line-per-figure output DESIGN.md asks for.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A field of /proc/self/status in bytes (VmHWM = peak RSS, VmRSS = now); NaN where /proc is missing. */
export function procStatusBytes(field: 'VmHWM' | 'VmRSS'): number {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples process RSS every `everyMs` until stop(); the timer is unref'd so it never keeps the process alive. */
export function sampleRss(everyMs = 25): { stop(): { maxBytes: number; samples: number } } {
  let maxBytes = process.memoryUsage.rss();
  let samples = 1;
  const timer = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > maxBytes) maxBytes = r;
    samples++;
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const r = process.memoryUsage.rss();
      if (r > maxBytes) maxBytes = r;
      return { maxBytes, samples: samples + 1 };
    },
  };
}

export interface LoadFigures {
  /** CPU (user + system) of this process over the measured span. */
  cpuMs: number;
  /** Event-loop delay over the span: how long a ready event could wait. */
  loopDelayMs: { p50: number; p99: number; max: number };
}

/** CPU and event-loop delay of this process from now until stop(). */
export function watchLoad(): { stop(): LoadFigures } {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  return {
    stop() {
      delay.disable();
      const cpu = process.cpuUsage(cpu0);
      return {
        cpuMs: (cpu.user + cpu.system) / 1000,
        loopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      };
    },
  };
}

/** 'p50/p99/max' of an event-loop delay, in ms. */
export function formatDelay(d: LoadFigures['loopDelayMs']): string {
  return `${d.p50.toFixed(0)}/${d.p99.toFixed(0)}/${d.max.toFixed(0)}`;
}

export const MB = 1024 * 1024;

/** Prints one figure: `part  name  value unit`, columns aligned so runs can be diffed. */
export function figure(part: string, name: string, value: number | string, unit = '', note = ''): void {
  const v = typeof value === 'number' ? formatNumber(value) : value;
  const tail = note ? `  (${note})` : '';
  process.stdout.write(
    `${part.padEnd(7)} ${name.padEnd(34)} ${v.padStart(14)} ${unit}${tail}\n`.replace(/ +\n$/, '\n'),
  );
}

/** Prints the verdict for one target. */
export function verdict(part: string, what: string, pass: boolean): void {
  process.stdout.write(`${part.padEnd(7)} ${'target'.padEnd(34)} ${pass ? 'PASS' : 'FAIL'}: ${what}\n`);
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  const digits = Number.isInteger(x) || a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
