/**
 * Reads meters the way a collector would: one readMeter per meter, the 'memoria' sequence for one day of group 0,
 * each Reading checked and reduced to a summary as soon as it completes (a collector stores it and lets it go).
 */
import { readMeter } from '../../src/collect/session/read-meter.ts';

export interface SessionSummary {
  address: string;
  ok: boolean;
  /** Wall time of this session, ms. */
  ms: number;
  intervals: number;
  channels: number;
  /** Why it does not count as a good reading. */
  problem?: string;
}

/** One day of 5-minute intervals; a clock tick between 0x51 and the window edge can give one more or one less. */
const EXPECTED_INTERVALS = [287, 288, 289];

export async function readOne(address: string): Promise<SessionSummary> {
  const t0 = performance.now();
  const r = await readMeter(address, { sequence: 'memoria', window: { amount: 1, unit: 'days' }, groups: [0] });
  const ms = performance.now() - t0;
  const mm = r.groups[0]?.massMemory;
  const intervals = mm?.timeline.count ?? 0;
  const channels = mm?.timeline.values.length ?? 0;
  let problem: string | undefined;
  if (!r.ok) problem = `failed at ${r.failure?.step}: ${r.failure?.code} ${r.failure?.message}`;
  else if (!mm || mm.partial) problem = 'no complete mass memory';
  else if (!EXPECTED_INTERVALS.includes(intervals)) problem = `${intervals} intervals`;
  else if (channels !== 3 || mm.timeline.values.some((v) => v.length !== intervals)) problem = `${channels} channels`;
  return { address, ok: problem === undefined, ms, intervals, channels, problem };
}

export interface FleetReadResult {
  wallMs: number;
  sessions: SessionSummary[];
  good: number;
  problems: string[];
}

/** All meters at once. */
export async function readAll(addresses: readonly string[]): Promise<FleetReadResult> {
  const t0 = performance.now();
  const sessions = await Promise.all(addresses.map((a) => readOne(a)));
  const wallMs = performance.now() - t0;
  const bad = sessions.filter((s) => !s.ok);
  const problems = [...new Set(bad.map((s) => s.problem ?? '?'))].slice(0, 5);
  return { wallMs, sessions, good: sessions.length - bad.length, problems };
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** '288x3:1000' — how many sessions got each intervals × channels shape. */
export function describeShapes(sessions: readonly { intervals: number; channels: number }[]): string {
  const counts = new Map<string, number>();
  for (const s of sessions) {
    const k = `${s.intervals}x${s.channels}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}:${n}`).join(' ');
}
