import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meterConfig } from '../../test/helpers/sim-meter.ts';
import { isFronteiraError } from '../domain/errors.ts';
import { Random } from '../domain/random.ts';
import { operatingDayStart, wallToInstant } from '../domain/time.ts';
import { visibleChannels } from '../protocols/abnt14522/commands/parameters.ts';
import { wallTime } from '../protocols/abnt14522/fields.ts';
import { MM_FLAG_CLOCK_SUSPECT, MM_FLAG_POWER_OFF } from '../protocols/abnt14522/mass-memory.ts';
import { SimulatedMeter } from '../simulator/meter-model.ts';
import {
  countActual,
  type DayBlock,
  emptyDayBlock,
  FLAG_ACTUAL,
  FLAG_CLOCK_SUSPECT,
  FLAG_CONFLICT,
  FLAG_POWER_OFF,
  labelInstants,
  mergeDayBlock,
  readingDayBlocks,
} from './day-block.ts';
import type { GroupReading } from './session/reading.ts';

const ZONE = 'America/Sao_Paulo';
const MIN5 = 300_000;

/** A block with the given slots actual (value = slot + 0.5 unless given). */
function block(slots: number, set: Record<number, number | [number, number]>, session = 1): DayBlock {
  const b = emptyDayBlock(1, 1, '2024-03-01', 300, slots);
  for (const [k, v] of Object.entries(set)) {
    const [value, flags] = Array.isArray(v) ? v : [v, FLAG_ACTUAL];
    b.value[Number(k)] = value;
    b.pulses[Number(k)] = Math.round(value * 10);
    b.flags[Number(k)] = flags;
    b.filled++;
  }
  b.firstSession = session;
  b.lastSession = session;
  return b;
}

function sameBlock(a: DayBlock, b: DayBlock): void {
  assert.deepEqual(Array.from(a.flags), Array.from(b.flags));
  assert.deepEqual(
    Array.from(a.value).map((v) => (Number.isNaN(v) ? null : v)),
    Array.from(b.value).map((v) => (Number.isNaN(v) ? null : v)),
  );
  assert.deepEqual(Array.from(a.pulses), Array.from(b.pulses));
  assert.equal(a.filled, b.filled);
}

describe('mergeDayBlock', () => {
  test('fills missing slots, keeps equal ones, adds marks, reports a different value as a conflict', () => {
    const stored = block(6, { 0: 1.5, 1: 2.5, 2: 3.5 });
    const incoming = block(6, { 1: [2.5, FLAG_ACTUAL | FLAG_POWER_OFF], 2: 9, 4: 7 }, 2);
    const m = mergeDayBlock(stored, incoming);
    assert.equal(m.filled, 1);
    assert.equal(m.changed, true);
    assert.deepEqual(m.conflicts, [{ slot: 2, stored: 3.5, read: 9, storedPulses: 35, readPulses: 90 }]);
    assert.equal(m.block.value[2], 3.5, 'a stored actual is never overwritten');
    assert.equal(m.block.flags[2], FLAG_ACTUAL | FLAG_CONFLICT);
    assert.equal(m.block.flags[1], FLAG_ACTUAL | FLAG_POWER_OFF);
    assert.equal(m.block.value[4], 7);
    assert.equal(m.block.filled, 4);
    assert.equal(m.block.firstSession, 1);
    assert.equal(m.block.lastSession, 2);
    assert.equal(stored.value[4], Number.NaN, 'the stored block is not mutated');
  });

  test('merging the same incoming twice changes nothing the second time', () => {
    const incoming = block(4, { 0: 1, 3: [2, FLAG_ACTUAL | FLAG_CLOCK_SUSPECT] }, 5);
    const once = mergeDayBlock(null, incoming);
    assert.equal(once.changed, true);
    assert.equal(once.filled, 2);
    const twice = mergeDayBlock(once.block, incoming);
    assert.equal(twice.changed, false);
    assert.equal(twice.filled, 0);
    assert.deepEqual(twice.conflicts, []);
    sameBlock(twice.block, once.block);
    // A disagreeing read is a conflict every time it is merged, but marks the block only once.
    const other = block(4, { 0: 9 }, 6);
    const c1 = mergeDayBlock(once.block, other);
    const c2 = mergeDayBlock(c1.block, other);
    assert.equal(c1.changed, true);
    assert.equal(c2.changed, false);
    assert.equal(c2.conflicts.length, 1);
    assert.equal(c2.block.lastSession, 6);
  });

  test('blocks of another day or slot count do not merge', () => {
    const a = block(288, { 0: 1 });
    const b = emptyDayBlock(1, 1, '2024-03-01', 300, 276);
    assert.throws(
      () => mergeDayBlock(a, b),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_CONFLICT'),
    );
    assert.throws(
      () => emptyDayBlock(1, 1, '2024-03-01', 300, 0),
      (e) => isFronteiraError(e, 'FRONTEIRA_E_VALIDATION'),
    );
  });

  describe('properties (seeded)', () => {
    const rnd = new Random('day-block merge');
    const SLOTS = 48;

    /** A ground truth and random partial views of it, each slot with random marks. */
    function views(r: Random, n: number) {
      const truth = Array.from({ length: SLOTS }, () => r.int(0, 4095) / 100);
      return Array.from({ length: n }, (_, i) => {
        const b = emptyDayBlock(1, 1, '2024-03-01', 300, SLOTS);
        for (let k = 0; k < SLOTS; k++) {
          if (r.next() < 0.5) continue;
          b.value[k] = truth[k];
          b.pulses[k] = Math.round(truth[k] * 100);
          b.flags[k] = FLAG_ACTUAL | (r.next() < 0.1 ? FLAG_POWER_OFF : 0) | (r.next() < 0.1 ? FLAG_CLOCK_SUSPECT : 0);
          b.filled++;
        }
        b.firstSession = i + 1;
        b.lastSession = i + 1;
        return b;
      });
    }

    function mergeAll(list: DayBlock[]): DayBlock | null {
      let acc: DayBlock | null = null;
      for (const b of list) acc = mergeDayBlock(acc, b).block;
      return acc;
    }

    test('merge order does not matter for non-conflicting inputs', () => {
      for (let trial = 0; trial < 200; trial++) {
        const r = rnd.fork(trial);
        const list = views(r, r.int(2, 5));
        const shuffled = [...list];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = r.int(0, i);
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        sameBlock(mergeAll(list)!, mergeAll(shuffled)!);
        sameBlock(mergeAll(list)!, mergeAll([...list].reverse())!);
      }
    });

    test('an actual is never overwritten, and filled always counts the actual flags', () => {
      for (let trial = 0; trial < 200; trial++) {
        const r = rnd.fork(`w${trial}`);
        // Independent truths: every overlap is a potential conflict.
        const a = views(r, 1)[0];
        const b = views(r.fork('b'), 1)[0];
        const m = mergeDayBlock(a, b);
        for (let k = 0; k < SLOTS; k++) {
          if (a.flags[k] & FLAG_ACTUAL) {
            assert.equal(m.block.value[k], a.value[k], `slot ${k}`);
            assert.equal(m.block.pulses[k], a.pulses[k], `slot ${k}`);
          }
        }
        const expectedConflicts = Array.from({ length: SLOTS }, (_, k) => k).filter(
          (k) => a.flags[k] & b.flags[k] & FLAG_ACTUAL && a.value[k] !== b.value[k],
        );
        assert.deepEqual(
          m.conflicts.map((c) => c.slot),
          expectedConflicts,
        );
        for (const k of expectedConflicts) assert.ok(m.block.flags[k] & FLAG_CONFLICT);
        assert.equal(m.block.filled, countActual(m.block.flags));
        assert.equal(m.filled, m.block.filled - a.filled);
      }
    });
  });
});

describe('labelInstants', () => {
  test('equals a per-label conversion, across DST changes and ordinary days', () => {
    const rnd = new Random('labels');
    const starts = [
      wallTime(2018, 11, 3, 12, 5), // spring forward at 2018-11-04 00:00
      wallTime(2018, 2, 17, 12, 5), // fall back at 2018-02-18 00:00 (23:00–24:00 of the 17th twice)
      wallTime(2024, 5, 10, 0, 5),
    ];
    for (const first of starts) {
      for (let trial = 0; trial < 5; trial++) {
        const count = rnd.int(1, 2000);
        const got = labelInstants(first, MIN5, count, ZONE);
        for (let i = 0; i < count; i++) {
          assert.equal(
            got[i],
            wallToInstant(first + i * MIN5, ZONE),
            `label ${i} from ${new Date(first).toISOString()}`,
          );
        }
      }
    }
  });
});

/** A group reading of the simulator's parameters with a hand-made timeline. */
function group(
  g: number,
  firstEnd: number,
  pulses: number[][],
  opts: { flags?: number[]; step?: number; constants?: { numerator: number; denominator: number }[] } = {},
): GroupReading {
  const sim = new SimulatedMeter(meterConfig(3));
  const parameters = sim.parameters(g, sim.meterTime(meterConfig(3).createdAt + 1000), 'current');
  if (opts.constants) parameters.constants = opts.constants;
  const count = pulses[0].length;
  return {
    group: g,
    parametersCode: 0x51,
    parameters,
    channels: visibleChannels(parameters, g),
    massMemory: {
      source: 'window',
      code: 0x52,
      expectedWords: 3 * count,
      partial: false,
      blocks: 1,
      timeline: {
        intervalSeconds: (opts.step ?? MIN5) / 1000,
        firstEnd,
        step: opts.step ?? MIN5,
        count,
        values: pulses.map((p) => Uint16Array.from(p)),
        warnings: [],
      },
    },
    flags: opts.flags ? Uint8Array.from(opts.flags) : undefined,
  };
}

const ctx = { meterId: 9, intervalS: 300, zone: ZONE, factor: 1, sessionId: 42 };

describe('readingDayBlocks', () => {
  test('labels across midnight land in two operating days, slot by interval end; energy = pulses × num/den', () => {
    // Ends 23:50, 23:55, 24:00 (= last slot of the 1st), 00:05 (first slot of the 2nd).
    const first = wallTime(2024, 3, 1, 23, 50);
    const g = group(
      1,
      first,
      [
        [10, 20, 30, 40],
        [1, 2, 3, 4],
        [0, 0, 0, 4095],
      ],
      {
        constants: [
          { numerator: 1, denominator: 10 },
          { numerator: 3, denominator: 10 },
          { numerator: 1, denominator: 1 },
        ],
        flags: [0, MM_FLAG_POWER_OFF, MM_FLAG_CLOCK_SUSPECT, MM_FLAG_POWER_OFF | MM_FLAG_CLOCK_SUSPECT],
      },
    );
    const out = readingDayBlocks({ groups: [g] }, ctx);
    assert.deepEqual(out.warnings, []);
    assert.equal(out.values, 12);
    const byKey = new Map(out.blocks.map((b) => [`${b.channel}@${b.day}`, b]));
    assert.deepEqual([...byKey.keys()].sort(), [
      '4@2024-03-01',
      '4@2024-03-02',
      '5@2024-03-01',
      '5@2024-03-02',
      '6@2024-03-01',
      '6@2024-03-02',
    ]);
    const d1 = byKey.get('4@2024-03-01')!;
    assert.equal(d1.slots, 288);
    assert.equal(d1.filled, 3);
    assert.deepEqual([d1.value[285], d1.value[286], d1.value[287]], [1, 2, 3]);
    assert.deepEqual(
      [d1.flags[285], d1.flags[286], d1.flags[287]],
      [FLAG_ACTUAL, FLAG_ACTUAL | FLAG_POWER_OFF, FLAG_ACTUAL | FLAG_CLOCK_SUSPECT],
    );
    assert.equal(d1.firstSession, 42);
    const d2 = byKey.get('5@2024-03-02')!;
    assert.equal(d2.value[0], (4 * 3) / 10);
    assert.equal(d2.pulses[0], 4);
    assert.equal(d2.flags[0], FLAG_ACTUAL | FLAG_POWER_OFF | FLAG_CLOCK_SUSPECT);
    assert.equal(byKey.get('6@2024-03-02')!.value[0], 4095);
    // The interval ending 00:05 of the 2nd is slot 0: its end is the day start + 5 min.
    assert.equal(operatingDayStart('2024-03-02', ZONE) + MIN5, wallToInstant(first + 3 * MIN5, ZONE));
  });

  test('TP × TC factor multiplies the energy', () => {
    const g = group(0, wallTime(2024, 3, 1, 0, 5), [[7], [7], [7]], {
      constants: [
        { numerator: 1, denominator: 10 },
        { numerator: 1, denominator: 10 },
        { numerator: 1, denominator: 10 },
      ],
    });
    const out = readingDayBlocks({ groups: [g] }, { ...ctx, factor: 6 });
    assert.equal(out.blocks[0].value[0], ((7 * 1) / 10) * 6);
  });

  test('an unusable constant falls back to the registry, or leaves the channel out', () => {
    const g = group(0, wallTime(2024, 3, 1, 0, 5), [[7], [7], [7]], {
      constants: [
        { numerator: 1, denominator: 0 },
        { numerator: 1, denominator: 0 },
        { numerator: 1, denominator: 10 },
      ],
    });
    const out = readingDayBlocks(
      { groups: [g] },
      { ...ctx, fallbackConstants: new Map([[1, { numerator: 1, denominator: 100 }]]) },
    );
    assert.deepEqual(
      out.blocks.map((b) => [b.channel, b.value[0]]),
      [
        [1, 0.07],
        [3, 0.7],
      ],
    );
    assert.equal(out.warnings.length, 2);
  });

  test('an interval other than the registered one is not stored', () => {
    const g = group(0, wallTime(2024, 3, 1, 0, 15), [[1], [1], [1]], { step: 900_000 });
    const out = readingDayBlocks({ groups: [g] }, ctx);
    assert.deepEqual(out.blocks, []);
    assert.deepEqual(out.intervalMismatches, [{ group: 0, readSeconds: 900 }]);
  });

  test('labels off the slot grid are left out with a warning', () => {
    const g = group(0, wallTime(2024, 3, 1, 0, 7), [
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    const out = readingDayBlocks({ groups: [g] }, ctx);
    assert.deepEqual(out.blocks, []);
    assert.equal(out.values, 0);
    assert.match(out.warnings[0], /2 interval\(s\) whose end is not on the 300 s grid/);
  });

  test('old DST days are placed through instants: 2018-11-04 has 276 slots, 2018-02-17 has 300', () => {
    // Spring forward at 2018-11-04 00:00 → 01:00: a meter on legal time labels that day 01:05 … 24:00.
    const spring = readingDayBlocks(
      {
        groups: [
          group(0, wallTime(2018, 11, 4, 1, 5), [seq(276), seq(276), seq(276)], {
            constants: [0, 1, 2].map(() => ({ numerator: 5, denominator: 100 })),
          }),
        ],
      },
      ctx,
    );
    assert.deepEqual(
      spring.blocks.map((b) => [b.channel, b.day, b.slots, b.filled]),
      [
        [1, '2018-11-04', 276, 276],
        [2, '2018-11-04', 276, 276],
        [3, '2018-11-04', 276, 276],
      ],
    );
    assert.equal(spring.blocks[0].value[275], 276 * (5 / 100));
    // Its first label 01:00 is the end of the 3rd (the instant the clock jumped).
    const edge = readingDayBlocks({ groups: [group(0, wallTime(2018, 11, 4, 1, 0), [[1], [1], [1]])] }, ctx);
    assert.deepEqual(
      edge.blocks.map((b) => [b.day, b.slots]),
      [
        ['2018-11-03', 288],
        ['2018-11-03', 288],
        ['2018-11-03', 288],
      ],
    );
    assert.equal(edge.blocks[0].flags[287], FLAG_ACTUAL);

    // Fall back at 2018-02-18 00:00 → 2018-02-17 23:00: the 17th lasts 25 h. Wall labels cannot tell the repeated
    // hour from the first one (the zone maps them to the earlier instants), so a day of wall labels 00:05 … 24:00
    // fills 288 of its 300 slots and leaves the 12 of the second pass missing.
    const fall = readingDayBlocks(
      { groups: [group(0, wallTime(2018, 2, 17, 0, 5), [seq(288), seq(288), seq(288)])] },
      ctx,
    );
    const b = fall.blocks.find((x) => x.channel === 1)!;
    assert.equal(b.day, '2018-02-17');
    assert.equal(b.slots, 300);
    assert.equal(b.filled, 288);
    const missing = Array.from({ length: 300 }, (_, k) => k).filter((k) => !(b.flags[k] & FLAG_ACTUAL));
    assert.deepEqual(
      missing,
      Array.from({ length: 12 }, (_, i) => 287 + i),
    );
    assert.equal(b.pulses[299], 288, 'the label 24:00 is the last slot of the long day');
  });
});

function seq(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
