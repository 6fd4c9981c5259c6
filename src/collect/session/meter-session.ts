/**
 * One reading session on an open link: runs commands one after another, decodes their answers, and keeps every raw
 * frame (both directions, with wall-clock timestamps) and a record per step, so a failed or odd reading can be
 * diagnosed and every stored value re-decoded later.
 */
import { FronteiraError, isFronteiraError } from '../../domain/errors.ts';
import { buildCommand, type ParsedResponse, parseResponse } from '../../protocols/abnt14522/commands/index.ts';
import type { Parameters } from '../../protocols/abnt14522/commands/parameters.ts';
import type { CommandSpec } from '../../protocols/abnt14522/commands/types.ts';
import { hex } from '../../protocols/abnt14522/fields.ts';
import {
  DEFAULT_PACKING,
  MassMemoryAssembler,
  type MassMemoryPacking,
  type MassMemoryTimeline,
  massMemoryTimeline,
} from '../../protocols/abnt14522/mass-memory.ts';
import type { ExchangeStats } from '../../protocols/abnt14522/reader-link.ts';
import { partialBlocks, type ReaderConnection, type TimedLinkEvent } from '../../transport/link-driver.ts';

export interface RawFrame {
  /** Epoch ms when the frame was sent or its last byte arrived. */
  at: number;
  direction: 'tx' | 'rx';
  /** Index of the step (in `steps`) the frame belongs to. */
  step: number;
  bytes: Uint8Array;
}

export interface StepRecord {
  index: number;
  /** e.g. '21 g0', '26', '25 current'. */
  label: string;
  code: number;
  startedAt: number;
  endedAt: number;
  status: 'ok' | 'failed' | 'skipped';
  blocks: number;
  /** Why it failed or was skipped. */
  error?: { code: string; message: string };
  note?: string;
  stats?: ExchangeStats;
  /** Link events, kept for failed steps (the diagnosis) and dropped for good ones to keep sessions small. */
  trace?: TimedLinkEvent[];
}

export interface MassMemoryRead {
  source: 'current' | 'previous' | 'window';
  code: number;
  /** Words announced by the parameters response. */
  expectedWords: number;
  timeline: MassMemoryTimeline;
  /** True when the transfer stopped before the last block: the timeline holds only the intervals that arrived. */
  partial: boolean;
  blocks: number;
}

/** Errors after which the link cannot be trusted for further commands: the session stops. */
export function isLinkFatal(e: unknown): boolean {
  return (
    isFronteiraError(e) &&
    (e.code.startsWith('FRONTEIRA_E_LINK_') ||
      e.code.startsWith('FRONTEIRA_E_TRANSPORT_') ||
      e.code === 'FRONTEIRA_E_SESSION_ABORTED')
  );
}

export interface MeterSessionOptions {
  readerSerial: string;
  packing?: MassMemoryPacking;
  signal?: AbortSignal;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
}

export class MeterSession {
  readonly frames: RawFrame[] = [];
  readonly steps: StepRecord[] = [];
  readonly warnings: string[] = [];
  meterSerial: string | undefined;
  private readonly now: () => number;
  private readonly packing: MassMemoryPacking;

  constructor(
    readonly connection: ReaderConnection,
    readonly opts: MeterSessionOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.packing = opts.packing ?? DEFAULT_PACKING;
  }

  private begin(label: string, code: number): StepRecord {
    const t = this.now();
    const step: StepRecord = {
      index: this.steps.length,
      label,
      code,
      startedAt: t,
      endedAt: t,
      status: 'ok',
      blocks: 0,
    };
    this.steps.push(step);
    return step;
  }

  private fail(step: StepRecord, e: unknown): never {
    step.endedAt = this.now();
    step.status = 'failed';
    if (isFronteiraError(e)) {
      step.error = { code: e.code, message: e.message };
      const trace = e.details.trace;
      if (Array.isArray(trace)) step.trace = trace as TimedLinkEvent[];
    } else {
      step.error = { code: 'INTERNAL', message: String(e) };
    }
    throw e;
  }

  skip(label: string, code: number, note: string): void {
    const step = this.begin(label, code);
    step.status = 'skipped';
    step.note = note;
  }

  private checkSerial(serial: string): void {
    if (this.meterSerial === undefined) this.meterSerial = serial;
    else if (serial !== this.meterSerial) {
      throw new FronteiraError(
        'FRONTEIRA_E_ABNT_UNEXPECTED_CODE',
        `meter serial changed during the session: ${this.meterSerial} then ${serial} (two meters on one line?)`,
        { first: this.meterSerial, second: serial },
      );
    }
  }

  /** Sends one simple command and decodes its answer. Throws the typed error on failure (step recorded). */
  async command<Req, Res>(spec: CommandSpec<Req, Res>, req: Req, label = hex(spec.code)): Promise<Res> {
    const step = this.begin(label, spec.code);
    const frame = buildCommand(spec, this.opts.readerSerial, req);
    this.frames.push({ at: this.now(), direction: 'tx', step: step.index, bytes: frame });
    try {
      const result = await this.connection.exchange(frame, {
        composite: false,
        signal: this.opts.signal,
        onBlock: (block) => {
          this.frames.push({ at: this.now(), direction: 'rx', step: step.index, bytes: block });
        },
      });
      step.stats = result.stats;
      step.blocks = result.blocks.length;
      const parsed: ParsedResponse<Res> = parseResponse(spec, result.blocks[0]);
      this.checkSerial(parsed.meterSerial);
      for (const w of parsed.warnings) this.warnings.push(`${label}: ${w}`);
      step.endedAt = this.now();
      return parsed.value;
    } catch (e) {
      this.fail(step, e);
    }
  }

  /**
   * Runs a composite mass-memory command (0x26 / 0x27 / 0x52) after its parameters response, checking every block
   * as it arrives. If the transfer breaks, the intervals already received are kept (partial: true) and the error is
   * attached to the step; the caller decides whether the session goes on.
   */
  async massMemory(
    spec: CommandSpec<unknown, unknown>,
    params: Parameters,
    source: MassMemoryRead['source'],
    label = hex(spec.code),
  ): Promise<{ read: MassMemoryRead; error?: unknown }> {
    const expectedWords = source === 'previous' ? params.massMemoryWords.previous : params.massMemoryWords.current;
    const step = this.begin(label, spec.code);
    const assembler = new MassMemoryAssembler(spec.code, this.meterSerial, { packing: this.packing, expectedWords });
    const frame = buildCommand(spec, this.opts.readerSerial, {});
    this.frames.push({ at: this.now(), direction: 'tx', step: step.index, bytes: frame });
    let error: unknown;
    try {
      const result = await this.connection.exchange(frame, {
        composite: true,
        signal: this.opts.signal,
        onBlock: (block) => {
          this.frames.push({ at: this.now(), direction: 'rx', step: step.index, bytes: block });
          assembler.add(block);
        },
      });
      step.stats = result.stats;
    } catch (e) {
      error = e;
      step.status = 'failed';
      step.error = isFronteiraError(e)
        ? { code: e.code, message: e.message }
        : { code: 'INTERNAL', message: String(e) };
      const trace = isFronteiraError(e) ? e.details.trace : undefined;
      if (Array.isArray(trace)) step.trace = trace as TimedLinkEvent[];
      if (!isFronteiraError(e)) throw e;
      // Blocks the driver got but the assembler never saw (should not happen) are not trusted.
      void partialBlocks(e);
    }
    step.blocks = assembler.blockCount;
    step.endedAt = this.now();
    for (const w of assembler.warnings) this.warnings.push(`${step.label}: ${w}`);
    const partial = !assembler.complete;
    const channels = 3;
    const available = partial
      ? Math.min(expectedWords, Math.floor(assembler.partialWordCapacity() / channels) * channels)
      : expectedWords;
    const words = partial
      ? assembler.partialWords(available, this.packing)
      : assembler.words(expectedWords, this.packing);
    const timeline = massMemoryTimeline({ source, params, words, channels, partial });
    for (const w of timeline.warnings) this.warnings.push(`${step.label}: ${w}`);
    if (partial && !error) {
      error = new FronteiraError(
        'FRONTEIRA_E_ABNT_MASS_MEMORY',
        `mass memory 0x${hex(spec.code)} ended without its last block`,
      );
    }
    if (partial) step.note = `partial: ${timeline.count} of ${expectedWords / channels} intervals kept`;
    return { read: { source, code: spec.code, expectedWords, timeline, partial, blocks: assembler.blockCount }, error };
  }
}
