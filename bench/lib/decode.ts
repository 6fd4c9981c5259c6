/**
 * Target 1: mass-memory decode (CRC check, 12-bit unpacking, timestamps) at ≥ 0.5× the throughput of a CRC-only pass
 * over the same blocks. The blocks are real simulator output: each meter's previous billing period (one month of
 * 5-minute intervals, 3 channels, ~162 blocks) as a meter would send it for 0x27. The decode path is the reader's:
 * MassMemoryAssembler.add per block, .words(count), massMemoryTimeline.
 */
import { instantToWall } from '../../src/domain/time.ts';
import type { Parameters } from '../../src/protocols/abnt14522/commands/parameters.ts';
import { crc16 } from '../../src/protocols/abnt14522/crc.ts';
import {
  encodeMassMemoryBlocks,
  MassMemoryAssembler,
  massMemoryTimeline,
} from '../../src/protocols/abnt14522/mass-memory.ts';
import { makeFleet, meterFromSpec } from '../../src/simulator/fleet-config.ts';
import { figure, median, verdict } from './measure.ts';

const PART = 'decode';
const TARGET_RATIO = 0.5;
const BLOCK_BYTES = 258;

interface Transfer {
  serial: string;
  params: Parameters;
  words: number;
  blocks: Uint8Array[];
}

function makeTransfers(meters: number): Transfer[] {
  const now = instantToWall(Date.now());
  const spec = makeFleet({ meters, seed: 'bench-decode', faults: 'none' });
  return spec.meters.map((m) => {
    const meter = meterFromSpec(m);
    const params = meter.parameters(0, now, 'previous');
    const range = meter.periodRange(now, 'previous');
    const words = meter.massMemory(0, range.fromEnd, range.toEnd);
    if (words.length !== params.massMemoryWords.previous) {
      throw new Error(
        `meter ${m.serial}: ${words.length} words but parameters announce ${params.massMemoryWords.previous}`,
      );
    }
    return {
      serial: meter.serial,
      params,
      words: words.length,
      blocks: encodeMassMemoryBlocks(0x27, meter.serial, words),
    };
  });
}

/** CRC-only pass: what any reader must do with every block anyway. Returns a value so the work cannot be elided. */
function crcPass(transfers: Transfer[]): number {
  let acc = 0;
  for (const t of transfers) for (const b of t.blocks) acc |= crc16(b);
  if (acc !== 0) throw new Error('bad CRC in benchmark data');
  return acc;
}

function decodePass(transfers: Transfer[]): number {
  let acc = 0;
  for (const t of transfers) {
    const asm = new MassMemoryAssembler(0x27, t.serial, { expectedWords: t.words });
    for (const b of t.blocks) asm.add(b);
    const words = asm.words(t.words);
    const timeline = massMemoryTimeline({ source: 'previous', params: t.params, words, channels: 3 });
    acc += timeline.count + timeline.values[0][timeline.count - 1];
  }
  return acc;
}

function time(fn: () => number, passes: number): number {
  const t0 = performance.now();
  for (let i = 0; i < passes; i++) fn();
  return performance.now() - t0;
}

export interface DecodeOptions {
  meters: number;
  samples: number;
}

export function runDecode(opts: DecodeOptions): boolean {
  // Same 20 meters and the same data every run (the seed), built before any timing.
  const transfers = makeTransfers(opts.meters);
  const blocks = transfers.reduce((n, t) => n + t.blocks.length, 0);
  const mb = (blocks * BLOCK_BYTES) / 1e6;
  figure(PART, 'data', `${transfers.length} transfers`, `${blocks} blocks, ${mb.toFixed(2)} MB`);

  const crc = () => crcPass(transfers);
  const dec = () => decodePass(transfers);
  // Warm up both paths until the JIT has settled (optimised code for both loops).
  for (let i = 0; i < 20; i++) {
    crc();
    dec();
  }
  // Enough passes per sample that one sample of the faster path lasts ≥ 40 ms (timer noise well below 1%).
  let passes = 1;
  while (time(crc, passes) < 40) passes *= 2;

  const crcMs: number[] = [];
  const decMs: number[] = [];
  let crcFaults = 0;
  let decFaults = 0;
  for (let s = 0; s < opts.samples; s++) {
    // Interleaved, so drift in machine load hits both alike.
    let f0 = process.resourceUsage().minorPageFault;
    crcMs.push(time(crc, passes) / passes);
    let f1 = process.resourceUsage().minorPageFault;
    crcFaults += f1 - f0;
    f0 = f1;
    decMs.push(time(dec, passes) / passes);
    f1 = process.resourceUsage().minorPageFault;
    decFaults += f1 - f0;
  }
  const crcRate = blocks / (median(crcMs) / 1000);
  const decRate = blocks / (median(decMs) / 1000);
  // The median of each sample's own ratio: a pair is measured back to back, so a slow spell of a shared machine
  // moves both of its halves and cancels out, where a ratio of the two medians could mix calm and busy moments.
  const ratio = median(crcMs.map((c, i) => c / decMs[i]));
  figure(PART, 'samples', `${opts.samples} x ${passes}`, 'passes');
  figure(PART, 'crc-only blocks/s', crcRate, 'blocks/s');
  figure(PART, 'crc-only MB/s', (crcRate * BLOCK_BYTES) / 1e6, 'MB/s');
  figure(PART, 'decode blocks/s', decRate, 'blocks/s');
  figure(PART, 'decode MB/s', (decRate * BLOCK_BYTES) / 1e6, 'MB/s');
  figure(PART, 'decode words/s', (decRate * transfers.reduce((n, t) => n + t.words, 0)) / blocks, 'words/s');
  // The decode allocates its outputs (words, timeline) and the assembler's buffers; when the allocator hands memory
  // back to the OS and takes it again, page faults show up here and explain a slow run.
  const allPasses = opts.samples * passes;
  figure(
    PART,
    'minor page faults per pass',
    `${(crcFaults / allPasses).toFixed(1)}/${(decFaults / allPasses).toFixed(1)}`,
    '',
    'crc-only/decode',
  );
  figure(PART, 'ratio of medians', decRate / crcRate, 'x');
  figure(PART, 'ratio decode/crc-only', ratio, 'x', `median of paired samples; target >= ${TARGET_RATIO}`);
  const pass = ratio >= TARGET_RATIO;
  verdict(PART, `decode at ${ratio.toFixed(2)}x of crc-only (>= ${TARGET_RATIO}x)`, pass);
  return pass;
}
