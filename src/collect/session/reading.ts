/**
 * What one reading session produced: decoded values per channel group, the meter's logs, clock drift, and the full
 * record of steps and raw frames. A Reading is returned even when the session failed part-way: `ok` is false,
 * `failure` says at which step and why, and everything read before that is kept.
 */
import type {
  Alterations,
  InstantValues,
  MeasurementParameters,
  Outages,
  Parameters,
  ParametersChannel,
  Registers,
} from '../../protocols/abnt14522/commands/index.ts';
import type { WallTime } from '../../protocols/abnt14522/fields.ts';
import type { MassMemoryRead, RawFrame, StepRecord } from './meter-session.ts';

export interface GroupReading {
  group: number;
  /** The parameters response that opened the group (0x21, 0x20, 0x22 or 0x51). */
  parametersCode: number;
  parameters: Parameters;
  channels: ParametersChannel[];
  registers?: { code: number; value: Registers };
  massMemory?: MassMemoryRead;
  /** Per-interval flags from markOutages (bit 1 power off, bit 2 clock suspect), aligned with the timeline. */
  flags?: Uint8Array;
}

export interface ClockCheck {
  meterTime: WallTime;
  /** The reader's clock in the meter's zone, when the answer arrived. */
  readerTime: WallTime;
  /** meter − reader, seconds (positive: the meter is ahead). */
  driftSeconds: number;
}

export interface ClockSet {
  before: ClockCheck;
  after: ClockCheck | null;
  setTo: WallTime;
}

/** What a parametrization sequence asked the meter to change, and what the meter reported before and after. */
export interface Parametrization {
  setting: string;
  /** Write command code (0x31, 0x32…). */
  command: number;
  before: unknown;
  requested: unknown;
  /** From the check after the write; null when the session stopped before it. */
  after: unknown;
  applied: boolean;
}

export interface Reading {
  address: string;
  sequence: string;
  readerSerial: string;
  zone: string;
  startedAt: number;
  endedAt: number;
  ok: boolean;
  /** The step that stopped the session (or 'connect' / 'open'), and why. */
  failure: { step: string; code: string; message: string } | null;
  meterSerial: string | null;
  identity: { model: string; softwareVersion: string } | null;
  clock: ClockCheck | null;
  clockSet?: ClockSet;
  parametrization?: Parametrization;
  groups: GroupReading[];
  measurement?: MeasurementParameters;
  outages?: { period: 'current' | 'previous'; value: Outages };
  alterations?: Alterations;
  instant?: InstantValues;
  steps: StepRecord[];
  frames: RawFrame[];
  warnings: string[];
}
