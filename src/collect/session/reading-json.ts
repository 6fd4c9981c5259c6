/**
 * Readings as JSON for machines (`fronteira read --json`) and raw frames as JSON Lines (`--raw FILE`). Wall times
 * become 'YYYY-MM-DDTHH:mm:ss' without an offset (they are the meter's local clock), typed arrays become plain
 * arrays, bytes become hex.
 */
import { formatWall, hexBytes, type WallTime } from '../../protocols/abnt14522/fields.ts';
import { intervalEnd } from '../../protocols/abnt14522/mass-memory.ts';
import type { Reading } from './reading.ts';

/** Keys whose numbers are wall times. */
const WALL_KEYS = new Set([
  'meterTime',
  'readerTime',
  'lastIntervalEnd',
  'lastReset',
  'penultimateReset',
  'start',
  'end',
  'time',
  'setTo',
  'firstEnd',
]);

function wallIso(t: WallTime): string {
  return formatWall(t).replace(' ', 'T');
}

function convert(key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return hexBytes(value, '');
  if (value instanceof Uint16Array || value instanceof Float64Array) return Array.from(value);
  if (typeof value === 'number' && WALL_KEYS.has(key)) return wallIso(value);
  if (key === 'holidays' && Array.isArray(value)) {
    return value.map((h) => (typeof h === 'number' ? wallIso(h).slice(0, 10) : h));
  }
  return value;
}

export function readingToJson(reading: Reading, opts: { frames?: boolean } = {}): unknown {
  const copy = {
    ...reading,
    startedAt: new Date(reading.startedAt).toISOString(),
    endedAt: new Date(reading.endedAt).toISOString(),
    frames: opts.frames ? reading.frames : undefined,
    groups: reading.groups.map((g) => ({
      ...g,
      massMemory: g.massMemory && {
        ...g.massMemory,
        intervals: Array.from({ length: g.massMemory.timeline.count }, (_, i) => ({
          end: intervalEnd(g.massMemory!.timeline, i),
          pulses: g.massMemory!.timeline.values.map((v) => v[i]),
          flags: g.flags?.[i] ?? 0,
        })),
        timeline: { ...g.massMemory.timeline, values: undefined },
      },
      flags: undefined,
    })),
  };
  return JSON.parse(
    JSON.stringify(copy, function replacer(key, value) {
      return convert(key, (this as Record<string, unknown>)[key] ?? value);
    }),
  );
}

/** One JSON object per line per frame, in wire order. */
export function framesToJsonLines(reading: Reading): string {
  return reading.frames
    .map((f) =>
      JSON.stringify({
        at: new Date(f.at).toISOString(),
        dir: f.direction,
        step: reading.steps[f.step]?.label ?? null,
        code: f.bytes[0]?.toString(16).padStart(2, '0') ?? null,
        hex: hexBytes(f.bytes, ''),
      }),
    )
    .join('\n')
    .concat(reading.frames.length > 0 ? '\n' : '');
}
