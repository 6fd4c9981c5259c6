/**
 * The reading sequences ("leitura padrão", spec §6), as small async programs over a MeterSession. Each decides the
 * next command from what the meter said (channel groups available, 0x80 availability at offset 239, word counts),
 * fills the Reading, and tolerates commands a meter refuses (0x39/0x40 are noted, the sequence goes on); link
 * failures end the session with what was read so far.
 */
import { FronteiraError, isFronteiraError } from '../../domain/errors.ts';
import { instantToWall } from '../../domain/time.ts';
import {
  type AnyCommandSpec,
  cmd14,
  cmd20,
  cmd21,
  cmd22,
  cmd23,
  cmd24,
  cmd25,
  cmd26,
  cmd27,
  cmd28,
  cmd29,
  cmd30,
  cmd31,
  cmd32,
  cmd51,
  cmd52,
  cmd80,
  HOLIDAY_COUNT,
  type Parameters,
  visibleChannels,
} from '../../protocols/abnt14522/commands/index.ts';
import type { CommandSpec } from '../../protocols/abnt14522/commands/types.ts';
import { hex, type WallTime } from '../../protocols/abnt14522/fields.ts';
import { markOutages } from '../../protocols/abnt14522/mass-memory.ts';
import { isLinkFatal, type MeterSession } from './meter-session.ts';
import type { ClockCheck, GroupReading, Parametrization, Reading } from './reading.ts';

export interface SequenceOptions {
  /** Channel groups to read; default 0 and 1 (direct and reverse) where the meter has them. */
  groups?: number[];
  /** Mass-memory window for the 'memoria' sequence (0x51/0x52). Default 1 day. */
  window?: { amount: number; unit: 'hours' | 'days' };
  /** Meter time zone (for clock drift), default America/Sao_Paulo. */
  zone: string;
  /** 'intervalo-demanda': the demand interval to program (0x31), minutes. */
  demandIntervalMinutes?: number;
  /** 'feriados': the holidays to program (0x32), wall-time dates, at most 15 (the meter's whole list is replaced). */
  holidays?: WallTime[];
}

export interface SequenceContext {
  session: MeterSession;
  reading: Reading;
  opts: SequenceOptions;
  /** Epoch ms. */
  now: () => number;
}

export interface Sequence {
  name: string;
  description: string;
  run(ctx: SequenceContext): Promise<void>;
}

function clockCheck(ctx: SequenceContext, meterTime: WallTime): ClockCheck {
  const readerTime = instantToWall(ctx.now(), ctx.opts.zone);
  return { meterTime, readerTime, driftSeconds: Math.round((meterTime - readerTime) / 1000) };
}

/** Runs a step whose failure should not stop the session (a command the meter may not implement). */
async function optional<T>(ctx: SequenceContext, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (isLinkFatal(e) || !isFronteiraError(e)) throw e;
    ctx.reading.warnings.push(`${what}: ${e.message}`);
    return undefined;
  }
}

async function openGroup(
  ctx: SequenceContext,
  spec: CommandSpec<{ group: number }, Parameters>,
  group: number,
  first: boolean,
): Promise<GroupReading> {
  const parameters = await ctx.session.command(spec, { group }, `${hex(spec.code)} g${group}`);
  if (first) {
    ctx.reading.clock = clockCheck(ctx, parameters.meterTime);
    ctx.reading.identity = { model: parameters.model, softwareVersion: parameters.softwareVersion };
  }
  const g: GroupReading = {
    group,
    parametersCode: spec.code,
    parameters,
    channels: visibleChannels(parameters, group),
  };
  ctx.reading.groups.push(g);
  return g;
}

/** Groups to read after the first parameters response told how many the meter has. */
function laterGroups(ctx: SequenceContext, first: Parameters): number[] {
  const available = first.channelGroups ?? 1;
  const wanted = ctx.opts.groups ?? [0, 1];
  const out: number[] = [];
  for (const g of wanted) {
    if (g === wanted[0]) continue;
    if (g < available) out.push(g);
    else ctx.session.skip(`g${g}`, 0, `the meter has ${available} channel group(s); group ${g} does not exist`);
  }
  return out;
}

async function measurementOnce(ctx: SequenceContext, p: Parameters): Promise<void> {
  if (!p.measurementParametersAvailable) {
    ctx.session.skip('80', 0x80, 'meter says measurement parameters are not available (offset 239)');
    return;
  }
  ctx.reading.measurement = await optional(ctx, '0x80', () => ctx.session.command(cmd80, {}));
}

async function registers(ctx: SequenceContext, g: GroupReading, spec: typeof cmd23): Promise<void> {
  const value = await optional(ctx, `0x${hex(spec.code)} g${g.group}`, () =>
    ctx.session.command(spec, {}, `${hex(spec.code)} g${g.group}`),
  );
  if (value) g.registers = { code: spec.code, value };
}

async function logs(ctx: SequenceContext, period: 'current' | 'previous'): Promise<void> {
  const outages = await optional(ctx, '0x25', () => ctx.session.command(cmd25, { period }, `25 ${period}`));
  if (outages) ctx.reading.outages = { period, value: outages };
  ctx.reading.alterations = await optional(ctx, '0x28', () => ctx.session.command(cmd28, {}));
}

async function massMemory(
  ctx: SequenceContext,
  g: GroupReading,
  spec: AnyCommandSpec,
  source: 'current' | 'previous' | 'window',
): Promise<void> {
  const words = source === 'previous' ? g.parameters.massMemoryWords.previous : g.parameters.massMemoryWords.current;
  if (words === 0) {
    // What a meter answers to 0x26 with no words is unknown (spec §8.2); an empty memory needs no transfer.
    ctx.session.skip(`${hex(spec.code)} g${g.group}`, spec.code, 'no mass-memory words in this period');
    return;
  }
  const { read, error } = await ctx.session.massMemory(spec, g.parameters, source, `${hex(spec.code)} g${g.group}`);
  g.massMemory = read;
  if (error) throw error;
}

/** Outage and clock-change marks, once the logs are known. */
function flagIntervals(ctx: SequenceContext): void {
  const outages = ctx.reading.outages?.value.records ?? [];
  const alterations = ctx.reading.alterations?.entries ?? [];
  for (const g of ctx.reading.groups) {
    if (g.massMemory) g.flags = markOutages(g.massMemory.timeline, outages, alterations);
  }
}

/** A session-wide step list shared by verificação/fatura/recuperação: params → 80 → registers → logs → MM. */
async function periodReading(
  ctx: SequenceContext,
  firstSpec: CommandSpec<{ group: number }, Parameters>,
  laterSpec: CommandSpec<{ group: number }, Parameters>,
  registerSpec: typeof cmd23,
  mmSpec: AnyCommandSpec,
  source: 'current' | 'previous',
  withInstant: boolean,
): Promise<void> {
  const groups = ctx.opts.groups ?? [0, 1];
  const g0 = await openGroup(ctx, firstSpec, groups[0] ?? 0, true);
  await measurementOnce(ctx, g0.parameters);
  if (withInstant) ctx.reading.instant = await optional(ctx, '0x14', () => ctx.session.command(cmd14, {}));
  await registers(ctx, g0, registerSpec);
  await logs(ctx, source);
  try {
    await massMemory(ctx, g0, mmSpec, source);
    for (const group of laterGroups(ctx, g0.parameters)) {
      const g = await openGroup(ctx, laterSpec, group, false);
      await registers(ctx, g, registerSpec);
      await massMemory(ctx, g, mmSpec, source);
    }
  } finally {
    flagIntervals(ctx);
  }
}

const verificacao: Sequence = {
  name: 'verificacao',
  description: 'Verificação (no demand reset): 21(g) → 80 → 14 → 23 → 25 → 28 → 26, then 21/23/26 per further group',
  run: (ctx) => periodReading(ctx, cmd21, cmd21, cmd23, cmd26, 'current', true),
};

const fatura: Sequence = {
  name: 'fatura',
  description:
    'Fatura (billing, PERFORMS A DEMAND RESET): 20(g) → 80 → 24 → 25 → 28 → 27, then 22/24/27 per further group',
  run: (ctx) => periodReading(ctx, cmd20, cmd22, cmd24, cmd27, 'previous', false),
};

const recuperacao: Sequence = {
  name: 'recuperacao',
  description: 'Recuperação (re-read the last billing period): 22(g) → 80 → 24 → 25 → 28 → 27 per group',
  run: (ctx) => periodReading(ctx, cmd22, cmd22, cmd24, cmd27, 'previous', false),
};

const memoria: Sequence = {
  name: 'memoria',
  description: 'Mass-memory window: 51(g, window) → 80 → 52 per group, then 25 and 28 for outage marks',
  async run(ctx) {
    const window = ctx.opts.window ?? { amount: 1, unit: 'days' };
    const groups = ctx.opts.groups ?? [0, 1];
    const g0 = await openWindow(ctx, groups[0] ?? 0, window, true);
    await measurementOnce(ctx, g0.parameters);
    try {
      await massMemory(ctx, g0, cmd52, 'window');
      for (const group of laterGroups(ctx, g0.parameters)) {
        const g = await openWindow(ctx, group, window, false);
        await massMemory(ctx, g, cmd52, 'window');
      }
      await logs(ctx, 'current');
    } finally {
      flagIntervals(ctx);
    }
  },
};

/** openGroup for 0x51, whose request also carries the window (layout is a hypothesis, spec §9.1). */
async function openWindow(
  ctx: SequenceContext,
  group: number,
  window: { amount: number; unit: 'hours' | 'days' },
  first: boolean,
): Promise<GroupReading> {
  const parameters = await ctx.session.command(
    cmd51,
    { group, amount: window.amount, unit: window.unit },
    `51 g${group} ${window.amount}${window.unit === 'days' ? 'd' : 'h'}`,
  );
  if (first) {
    ctx.reading.clock = clockCheck(ctx, parameters.meterTime);
    ctx.reading.identity = { model: parameters.model, softwareVersion: parameters.softwareVersion };
  }
  const g: GroupReading = { group, parametersCode: 0x51, parameters, channels: visibleChannels(parameters, group) };
  ctx.reading.groups.push(g);
  return g;
}

const instantaneas: Sequence = {
  name: 'instantaneas',
  description: 'Instantaneous values: 21(0) → 14',
  async run(ctx) {
    await openGroup(ctx, cmd21, 0, true);
    ctx.reading.instant = await ctx.session.command(cmd14, {});
  },
};

const relogio: Sequence = {
  name: 'relogio',
  description: "Clock set to the reader's time (WRITES date and time): 21(0) → 29 → 30 → 21(0) to check",
  async run(ctx) {
    await openGroup(ctx, cmd21, 0, true);
    const before = ctx.reading.clock!;
    const today = instantToWall(ctx.now(), ctx.opts.zone);
    await ctx.session.command(cmd29, { date: today - (today % 86_400_000) });
    // Time last and computed at the moment of sending, so the set value is as fresh as the link allows.
    const t = new Date(instantToWall(ctx.now(), ctx.opts.zone));
    await ctx.session.command(cmd30, { hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: t.getUTCSeconds() });
    const check = await ctx.session.command(cmd21, { group: 0 }, '21 g0 check');
    const after = clockCheck(ctx, check.meterTime);
    ctx.reading.clock = after;
    ctx.reading.clockSet = { before, after, setTo: t.getTime() };
  },
};

/** A holiday list as sorted 'YYYY-MM-DD' dates (empty slots dropped), for comparing and for the record. */
function dateList(l: readonly (WallTime | null)[]): string[] {
  return l
    .filter((d): d is WallTime => d !== null)
    .map((d) => new Date(d).toISOString().slice(0, 10))
    .sort();
}

/**
 * A write followed by a fresh 0x21 to see whether the meter applied it: the write's echo says nothing ([U], spec
 * §15 item 5), the parameters do. A meter that echoed but kept the old value ends the session with an error.
 */
async function writeAndCheck<T>(
  ctx: SequenceContext,
  setting: string,
  command: number,
  read: (p: Parameters) => T,
  wanted: T,
  same: (a: T, b: T) => boolean,
  write: () => Promise<unknown>,
): Promise<void> {
  const g0 = await openGroup(ctx, cmd21, 0, true);
  const before = read(g0.parameters);
  const record: Parametrization = { setting, command, before, requested: wanted, after: null, applied: false };
  ctx.reading.parametrization = record;
  await write();
  const check = await ctx.session.command(cmd21, { group: 0 }, '21 g0 check');
  record.after = read(check);
  record.applied = same(record.after as T, wanted);
  if (!record.applied) {
    throw new FronteiraError(
      'FRONTEIRA_E_SESSION_WRITE_NOT_APPLIED',
      `0x${hex(command)} ${setting}: the meter acknowledged the write but still reports ${JSON.stringify(record.after)}`,
      { setting, requested: wanted, after: record.after },
    );
  }
}

const intervaloDemanda: Sequence = {
  name: 'intervalo-demanda',
  description: 'Demand interval (WRITES the setting): 21(0) → 31(minutes) → 21(0) to check',
  async run(ctx) {
    const minutes = ctx.opts.demandIntervalMinutes;
    if (minutes === undefined) {
      throw new FronteiraError('FRONTEIRA_E_SESSION_SEQUENCE', "'intervalo-demanda' needs demandIntervalMinutes");
    }
    await writeAndCheck(
      ctx,
      'demand interval (min)',
      0x31,
      (p) => p.demandIntervalMinutes.current,
      minutes,
      (a, b) => a === b,
      () => ctx.session.command(cmd31, { minutes }),
    );
  },
};

const feriados: Sequence = {
  name: 'feriados',
  description: 'Holidays (WRITES the list of up to 15 dates): 21(0) → 32(dates) → 21(0) to check',
  async run(ctx) {
    const holidays = ctx.opts.holidays;
    if (!holidays || holidays.length > HOLIDAY_COUNT) {
      throw new FronteiraError(
        'FRONTEIRA_E_SESSION_SEQUENCE',
        `'feriados' needs a list of at most ${HOLIDAY_COUNT} dates`,
      );
    }
    const dates = holidays.map((h) => h - (h % 86_400_000));
    await writeAndCheck(
      ctx,
      'holidays',
      0x32,
      (p) => dateList(p.holidays),
      dateList(dates),
      (a, b) => a.join() === b.join(),
      () => ctx.session.command(cmd32, { holidays: dates }),
    );
  },
};

export const SEQUENCES: ReadonlyMap<string, Sequence> = new Map(
  [verificacao, fatura, recuperacao, memoria, instantaneas, relogio, intervaloDemanda, feriados].map((s) => [
    s.name,
    s,
  ]),
);

export function sequenceByName(name: string): Sequence {
  const s = SEQUENCES.get(name);
  if (!s) {
    throw new FronteiraError(
      'FRONTEIRA_E_SESSION_SEQUENCE',
      `unknown reading sequence '${name}'; known: ${[...SEQUENCES.keys()].join(', ')}`,
    );
  }
  return s;
}
