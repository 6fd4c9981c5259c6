/**
 * What `fronteira vee …` prints: each command builds a plain view (its `--json` output) and these functions turn
 * views into text for a metering analyst: aligned tables, decimal comma, dates dd/mm/aaaa hh:mm in the point's zone.
 */
import { DEFAULT_ZONE } from '../domain/time.ts';
import { quantity } from '../protocols/abnt14522/quantities.ts';
import { formatDateTime } from '../registry/text.ts';
import type { DayClass } from '../vee/calendar.ts';
import type { CompareTolerances, RangeTotals, UsedCounts } from '../vee/compare.ts';
import type { SlotState } from '../vee/edits.ts';
import {
  countMethods,
  type FinalDay,
  type FinalNotes,
  type Finding,
  finalTotals,
  METHOD_NAMES,
  type MethodName,
  methodName,
  QUALITY_NAMES,
  type QualityCounts,
  type QualityName,
  qualityName,
  type RuleOutcome,
  reasonName,
  SOURCE_NAMES,
  sourceName,
} from '../vee/types.ts';
import { quantityLabel, quantityShort } from './vee-args.ts';

// ---------------------------------------------------------------------------------------------------------------
// Primitives

export type Align = 'l' | 'r';

/** Columns padded to their widest cell; `align` per column ('r' for numbers). */
export function table(headers: string[], rows: string[][], align: Align[] = []): string {
  const width = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (align[i] === 'r' ? c.padStart(width[i]) : i === cells.length - 1 ? c : c.padEnd(width[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Fixed decimals with a decimal comma ('-0,000' shown as '0,000'). */
export function fixed(x: number | null | undefined, decimals: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const s = x.toFixed(decimals);
  return (/^-0[.,]?0*$/.test(s) ? s.slice(1) : s).replace('.', ',');
}

/** A slot value: up to 6 decimals, decimal comma, trailing zeros kept to 6 so columns line up. */
export function slotValue(x: number | null): string {
  return x === null ? '-' : fixed(x, 6);
}

export function percent(part: number, whole: number, decimals = 1): string {
  return whole === 0 ? '-' : `${fixed((100 * part) / whole, decimals)}%`;
}

/** dd/mm/aaaa hh:mm[:ss] in the zone (to the second: versions made in one run differ by less than a minute). */
const when = (iso: string | null | undefined, zone: string) =>
  iso ? formatDateTime(new Date(Math.floor(Date.parse(iso) / 1000) * 1000), zone) : '';

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : by + l))
    .join('\n');
}

export function qualityLine(c: QualityCounts): string {
  const total = QUALITY_NAMES.reduce((s, q) => s + c[q], 0);
  return ORDER.map((q) => `${q} ${c[q]} (${percent(c[q], total)})`).join('  ');
}

/** A, S, E, M, N: measured first, missing last. */
const ORDER: readonly QualityName[] = ['A', 'S', 'E', 'M', 'N'];

// ---------------------------------------------------------------------------------------------------------------
// vee run

export interface StaleLockedView {
  pointCode: string;
  quantityCode: number;
  day: string;
  lockedVersion: number | null;
  version: number;
}

export interface RunView {
  mode: 'range' | 'dirty';
  from: string | null;
  to: string | null;
  /** Point codes selected; null = every point in service. */
  points: string[] | null;
  pointDays: number;
  series: number;
  changed: number;
  unchanged: number;
  historyLoads: number;
  ms: number;
  qualities: QualityCounts;
  staleLocked: StaleLockedView[];
  /** --dirty: point-days still marked after the run (marked while it ran). */
  dirtyRemaining?: { count: number; oldestDay: string | null };
}

export function formatRun(v: RunView): string {
  const lines: string[] = [];
  const what =
    v.mode === 'dirty'
      ? 'VEE of the dirty point-days'
      : `VEE ${v.from}${v.to !== v.from ? ` … ${v.to}` : ''}${v.points ? ` for ${v.points.join(', ')}` : ''}`;
  lines.push(
    `${what}: ${v.pointDays} point-day(s), ${v.series} series — ${v.changed} changed (new version), ` +
      `${v.unchanged} unchanged (${fixed(v.ms / 1000, 1)} s)`,
  );
  const slots = QUALITY_NAMES.reduce((s, q) => s + v.qualities[q], 0);
  if (slots > 0) lines.push(`Slots by quality (${slots}): ${qualityLine(v.qualities)}`);
  if (v.pointDays === 0) {
    lines.push(
      v.mode === 'dirty'
        ? 'Nothing was marked dirty.'
        : 'No point had a meter in service on these days: nothing computed.',
    );
  }
  if (v.staleLocked.length === 0) {
    lines.push('Stale locked versions: none.');
  } else {
    lines.push(`Stale locked versions (${v.staleLocked.length}): an export or bill used a version that changed since:`);
    lines.push(
      indent(
        table(
          ['POINT', 'QTY', 'DAY', 'LOCKED VERSION', 'NEW VERSION'],
          v.staleLocked.map((s) => [
            s.pointCode,
            quantityShort(s.quantityCode),
            s.day,
            String(s.lockedVersion ?? ''),
            String(s.version),
          ]),
          ['l', 'l', 'l', 'r', 'r'],
        ),
      ),
    );
  }
  if (v.dirtyRemaining && v.dirtyRemaining.count > 0) {
    lines.push(
      `${v.dirtyRemaining.count} point-day(s) were marked dirty while it ran (oldest ${v.dirtyRemaining.oldestDay}); run again.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// vee show

export interface SlotRow {
  slot: number;
  /** 'HH:MM' wall time at the end of the interval. */
  end: string;
  value: number | null;
  quality: QualityName;
  method: MethodName;
  reason: string;
  source: string;
}

export interface SeriesView {
  quantityCode: number;
  quantity: string;
  unit: string;
  version: number;
  locked: boolean;
  slots: number;
  intervalS: number;
  counts: QualityCounts;
  /** Slots per method, methods present only ('none' = plain actual or still missing). */
  methods: Partial<Record<MethodName, number>>;
  energy: number;
  energyByQuality: Record<QualityName, number>;
  notes: FinalNotes;
  /** Serials of the meters the notes name. */
  principalSerial: string | null;
  retaguardaSerial: string | null;
  slotRows?: SlotRow[];
}

export interface OutcomeSummary {
  pass: number;
  fail: number;
  notEvaluated: number;
  disabled: number;
  failed: string[];
  /** Rules not evaluated, with the first reason given. */
  notEvaluatedRules: { rule: string; reason: string | null }[];
}

export interface ShowView {
  point: { id: number; code: string; timezone: string };
  day: string;
  dayClass: DayClass;
  holiday: string | null;
  series: SeriesView[];
  validation: {
    computedAt: string;
    paramsApplied: unknown[];
    findings: Finding[];
    outcomes: RuleOutcome[];
    outcomeSummary: OutcomeSummary;
  } | null;
}

export function slotRows(f: FinalDay, ends: readonly string[]): SlotRow[] {
  const rows: SlotRow[] = [];
  for (let k = 0; k < f.slots; k++) {
    const v = f.value[k];
    rows.push({
      slot: k,
      end: ends[k] ?? '',
      value: Number.isFinite(v) ? v : null,
      quality: qualityName(f.quality[k]),
      method: methodName(f.method[k]),
      reason: reasonName(f.reason[k]),
      source: sourceName(f.source[k]),
    });
  }
  return rows;
}

export function seriesView(f: FinalDay, serialOf: (meterId: number | null) => string | null): SeriesView {
  const totals = finalTotals(f);
  const methods: Partial<Record<MethodName, number>> = {};
  const m = countMethods(f);
  for (const name of METHOD_NAMES) if (m[name] > 0) methods[name] = m[name];
  return {
    quantityCode: f.quantityCode,
    quantity: quantity(f.quantityCode).name,
    unit: f.unit,
    version: f.version,
    locked: f.locked,
    slots: f.slots,
    intervalS: f.intervalS,
    counts: totals.counts,
    methods,
    energy: totals.energy,
    energyByQuality: totals.byQuality,
    notes: f.notes,
    principalSerial: serialOf(f.notes.principalMeterId),
    retaguardaSerial: serialOf(f.notes.retaguardaMeterId),
  };
}

export function summarizeOutcomes(outcomes: readonly RuleOutcome[]): OutcomeSummary {
  const s: OutcomeSummary = { pass: 0, fail: 0, notEvaluated: 0, disabled: 0, failed: [], notEvaluatedRules: [] };
  for (const o of outcomes) {
    if (o.status === 'pass') s.pass++;
    else if (o.status === 'fail') {
      s.fail++;
      if (!s.failed.includes(o.rule)) s.failed.push(o.rule);
    } else if (o.status === 'disabled') s.disabled++;
    else {
      s.notEvaluated++;
      if (!s.notEvaluatedRules.some((r) => r.rule === o.rule)) {
        s.notEvaluatedRules.push({ rule: o.rule, reason: o.reason ?? null });
      }
    }
  }
  s.failed.sort();
  s.notEvaluatedRules.sort((a, b) => (a.rule < b.rule ? -1 : 1));
  return s;
}

const DAY_CLASS_LABEL: Record<DayClass, string> = {
  weekday: 'weekday',
  saturday: 'Saturday',
  sunday_holiday: 'Sunday or holiday',
};

function noteLines(s: SeriesView): string[] {
  const n = s.notes;
  const u = s.unit;
  const out: string[] = [];
  const meters = [
    s.principalSerial ? `principal ${s.principalSerial}` : n.principalMeterId ? `principal #${n.principalMeterId}` : '',
    s.retaguardaSerial
      ? `retaguarda ${s.retaguardaSerial}`
      : n.retaguardaMeterId
        ? `retaguarda #${n.retaguardaMeterId}`
        : '',
  ].filter(Boolean);
  out.push(`Meters     ${meters.length > 0 ? meters.join(', ') : 'none used'}`);
  if (n.rereadPending)
    out.push(`Re-read    ${n.rereadPending} slot(s) left missing: a re-read from the meter is pending`);
  if (n.likeDays && n.likeDays.length > 0) {
    out.push(
      `Like-days  ${n.likeDays.join(', ')}${n.likeDayScale !== undefined ? ` (scaled ×${fixed(n.likeDayScale, 4)} to the register advance)` : ''}`,
    );
  }
  if (n.lossFactor !== undefined) out.push(`Loss factor ×${fixed(n.lossFactor, 4)} applied to the retaguarda`);
  if (n.scale) {
    out.push(
      `SC         ${n.scale.slots} estimated slot(s) scaled ×${fixed(n.scale.factor, 4)} to meet the register advance ${fixed(n.scale.target, 3)} ${u}`,
    );
  }
  if (n.worstCase && n.worstCase.slots > 0) {
    const w = n.worstCase;
    out.push(
      `Worst case RC (risk figure, never in the series): ${w.slots} slot(s) not measured; RC ${fixed(w.energy, 3)} ${u} ` +
        `vs our ${fixed(w.estimatedEnergy, 3)} ${u}: exposure ${fixed(w.difference, 3)} ${u}`,
    );
  }
  if (n.manualOverActual && n.manualOverActual.length > 0) {
    out.push(`Manual over actual: slot(s) ${compactSlots(n.manualOverActual)}`);
  }
  for (const m of n.messages ?? []) out.push(`Message    ${m}`);
  return out;
}

/** 3,4,5,9 → '3–5, 9' */
export function compactSlots(slots: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < slots.length) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j] + 1) j++;
    parts.push(i === j ? String(slots[i]) : `${slots[i]}–${slots[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

function methodLine(methods: Partial<Record<MethodName, number>>): string {
  const parts = METHOD_NAMES.filter((m) => m !== 'none' && methods[m]).map((m) => `${m} ${methods[m]}`);
  return parts.length > 0 ? parts.join('  ') : 'none (every slot as measured, or missing)';
}

export function formatSlotTable(rows: readonly SlotRow[]): string {
  return table(
    ['#', 'END', 'VALUE', 'Q', 'METHOD', 'REASON', 'SOURCE'],
    rows.map((r) => [
      String(r.slot),
      r.end,
      slotValue(r.value),
      r.quality,
      r.method === 'none' ? '-' : r.method,
      r.reason === 'none' ? '-' : r.reason,
      r.source === 'none' ? '-' : r.source,
    ]),
    ['r', 'l', 'r', 'l', 'l', 'l', 'l'],
  );
}

function findingSlots(f: Finding, ends: Map<number, readonly string[]>): string {
  if (f.firstSlot === undefined) return f.slots !== undefined ? `(${f.slots})` : '';
  const last = f.lastSlot ?? f.firstSlot;
  const e = ends.get(f.quantityCode ?? -1) ?? ends.values().next().value;
  const times = e?.[f.firstSlot] && e[last] ? ` ${startOf(e, f.firstSlot)}–${e[last]}` : '';
  return `${f.firstSlot}${last !== f.firstSlot ? `–${last}` : ''}${times}${f.slots !== undefined ? ` (${f.slots})` : ''}`;
}

/** Wall start of slot k: the end of slot k−1, '00:00' for the first. */
function startOf(ends: readonly string[], k: number): string {
  return k === 0 ? '00:00' : ends[k - 1];
}

export function formatShow(v: ShowView, ends: Map<number, readonly string[]>, meterSerial: (id: number) => string) {
  const zone = v.point.timezone || DEFAULT_ZONE;
  const lines: string[] = [];
  lines.push(`Point ${v.point.code} — ${v.day} (${DAY_CLASS_LABEL[v.dayClass]}${v.holiday ? `: ${v.holiday}` : ''})`);
  for (const s of v.series) {
    lines.push('');
    lines.push(
      `${quantityLabel(s.quantityCode)} ${s.quantity} — version ${s.version}${s.locked ? ', LOCKED' : ', not locked'}; ` +
        `${s.slots} slots of ${s.intervalS / 60} min`,
    );
    const body: string[] = [];
    body.push(`Quality    ${qualityLine(s.counts)}`);
    body.push(`Methods    ${methodLine(s.methods)}`);
    const byQ = ORDER.filter((q) => s.energyByQuality[q] !== 0).map((q) => `${q} ${fixed(s.energyByQuality[q], 3)}`);
    body.push(`Energy     ${fixed(s.energy, 3)} ${s.unit}${byQ.length > 1 ? ` (${byQ.join(', ')})` : ''}`);
    body.push(...noteLines(s));
    lines.push(indent(body.join('\n')));
    if (s.slotRows) {
      lines.push('');
      lines.push(indent(formatSlotTable(s.slotRows)));
    }
  }
  lines.push('');
  if (!v.validation) {
    lines.push('Validation: not stored for this day (run VEE).');
  } else {
    const val = v.validation;
    const applied = val.paramsApplied as { id?: number | string; scope: string; effectiveFrom: string }[];
    lines.push(
      `Validation computed ${when(val.computedAt, zone)}; parameters: ${
        applied.length === 0
          ? 'defaults'
          : `defaults ← ${applied.map((a) => `${a.scope} from ${a.effectiveFrom}${a.id !== undefined ? ` (#${a.id})` : ''}`).join(' ← ')}`
      }`,
    );
    const o = val.outcomeSummary;
    lines.push(
      `Rule checks ${o.pass} pass, ${o.fail} fail${o.failed.length ? ` (${o.failed.join(', ')})` : ''}, ` +
        `${o.notEvaluated} not evaluated${o.notEvaluatedRules.length ? ` (${o.notEvaluatedRules.map((r) => r.rule).join(', ')})` : ''}, ` +
        `${o.disabled} disabled (per rule, meter and quantity)`,
    );
    for (const r of o.notEvaluatedRules) if (r.reason) lines.push(`  ${r.rule} not evaluated: ${r.reason}`);
    if (val.findings.length === 0) {
      lines.push('Findings   none');
    } else {
      lines.push(`Findings (${val.findings.length}):`);
      lines.push(
        indent(
          table(
            ['RULE', 'SEVERITY', 'METER', 'QTY', 'SLOTS', 'MESSAGE'],
            val.findings.map((f) => [
              f.rule,
              f.severity,
              f.meterId !== undefined ? meterSerial(f.meterId) : '',
              f.quantityCode !== undefined ? quantityShort(f.quantityCode) : '',
              findingSlots(f, ends),
              f.message,
            ]),
          ),
        ),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// vee history

export interface VersionView {
  id: number;
  version: number;
  current: boolean;
  cause: string;
  createdAt: string;
  supersededAt: string | null;
  lockedAt: string | null;
  lockedBy: string | null;
  counts: QualityCounts;
  energy: number;
}

export interface HistoryView {
  point: string;
  quantityCode: number;
  day: string;
  zone: string;
  versions: VersionView[];
}

export function formatHistory(v: HistoryView): string {
  const head = `${v.point} ${quantityLabel(v.quantityCode)} ${v.day}: ${v.versions.length} version(s)`;
  if (v.versions.length === 0) return `${head}\n`;
  return `${head}\n${table(
    ['VERSION', 'CREATED', 'CAUSE', 'SUPERSEDED', 'LOCKED BY', 'LOCKED AT', 'A', 'S', 'E', 'M', 'N', 'ENERGY'],
    v.versions.map((x) => [
      `${x.version}${x.current ? '*' : ''}`,
      when(x.createdAt, v.zone),
      x.cause,
      when(x.supersededAt, v.zone) || (x.current ? 'current' : ''),
      x.lockedBy ?? '',
      when(x.lockedAt, v.zone),
      ...ORDER.map((q) => String(x.counts[q])),
      fixed(x.energy, 3),
    ]),
    ['r', 'l', 'l', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
  )}\n* current version\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// vee edit / reverse / edits

export interface SlotChange {
  slot: number;
  end: string;
  before: SlotState;
  after: SlotState;
}

export function slotState(f: FinalDay | null, k: number): SlotState {
  if (!f || k >= f.slots) return { value: null, quality: 'N', method: 'none' };
  const v = f.value[k];
  return { value: Number.isFinite(v) ? v : null, quality: qualityName(f.quality[k]), method: methodName(f.method[k]) };
}

function stateText(s: SlotState): string {
  return `${slotValue(s.value)} ${s.quality}${s.method === 'none' ? '' : `/${s.method}`}`;
}

export function formatSlotChanges(changes: readonly SlotChange[]): string {
  return table(
    ['#', 'END', 'BEFORE', 'AFTER'],
    changes.map((c) => [String(c.slot), c.end, stateText(c.before), stateText(c.after)]),
    ['r', 'l', 'r', 'r'],
  );
}

export interface EditRowView {
  id: number;
  pointCode: string;
  quantityCode: number;
  day: string;
  firstSlot: number;
  lastSlot: number;
  kind: string;
  values: number[] | null;
  comment: string;
  createdBy: string;
  createdAt: string;
  reversedAt: string | null;
  reversedBy: string | null;
  reverseComment: string | null;
}

export function formatEdits(rows: readonly EditRowView[], zone: string): string {
  if (rows.length === 0) return 'No manual edits.\n';
  return `${table(
    ['ID', 'DAY', 'QTY', 'SLOTS', 'KIND', 'VALUES', 'BY', 'AT', 'STATUS', 'COMMENT'],
    rows.map((e) => [
      String(e.id),
      e.day,
      quantityShort(e.quantityCode),
      e.firstSlot === e.lastSlot ? String(e.firstSlot) : `${e.firstSlot}–${e.lastSlot}`,
      e.kind,
      e.values ? shortList(e.values) : '',
      e.createdBy,
      when(e.createdAt, zone),
      e.reversedAt ? `reversed by ${e.reversedBy} ${when(e.reversedAt, zone)}: ${e.reverseComment ?? ''}` : 'active',
      e.comment,
    ]),
    ['r'],
  )}\n`;
}

function shortList(values: readonly number[]): string {
  const shown = values.slice(0, 4).map((x) => fixed(x, 3));
  return `${shown.join('; ')}${values.length > 4 ? `; … (${values.length})` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// vee compare

export interface CompareQuantityView {
  quantityCode: number;
  unit: string;
  principal: number | null;
  retaguarda: number | null;
  diff: number | null;
  pct: number | null;
  beyond: boolean;
  compared: number;
  missingPrincipal: number;
  missingRetaguarda: number;
  hoursBeyond: number;
  longestBeyondHours: number;
  intervalsBeyond: number;
  used: UsedCounts;
  tolerances: CompareTolerances;
}

export interface CompareView {
  point: string;
  from: string;
  to: string;
  days: { day: string; quantities: CompareQuantityView[]; messages: string[] }[];
  period: RangeTotals[];
  files: { csv?: string; xlsx?: string };
}

function usedText(u: UsedCounts): string {
  return SOURCE_NAMES.filter((n) => u[n] > 0)
    .map((n) => `${n} ${u[n]}`)
    .join(', ');
}

const signedPct = (x: number | null) => (x === null ? '-' : `${x > 0 ? '+' : ''}${fixed(x, 3)}%`);

export function formatCompare(v: CompareView): string {
  const lines: string[] = [];
  const tol = v.days.flatMap((d) => d.quantities)[0]?.tolerances;
  lines.push(
    `Principal × retaguarda, ${v.point} ${v.from}${v.to !== v.from ? ` … ${v.to}` : ''}: diff = principal − retaguarda, ` +
      `% relative to the principal${tol ? `; tolerances: interval ${fixed(tol.intervalPct, 2)}%, hour ${fixed(tol.hourlyPct, 2)}%, day ${fixed(tol.dailyPct, 2)}%` : ''}`,
  );
  const rows: string[][] = [];
  for (const d of v.days) {
    for (const q of d.quantities) {
      rows.push([
        d.day,
        quantityShort(q.quantityCode),
        q.unit,
        fixed(q.principal, 3),
        fixed(q.retaguarda, 3),
        fixed(q.diff, 3),
        signedPct(q.pct),
        q.beyond ? 'YES' : 'no',
        String(q.hoursBeyond),
        String(q.intervalsBeyond),
        `${q.compared}`,
        `${q.missingPrincipal}/${q.missingRetaguarda}`,
        usedText(q.used),
      ]);
    }
  }
  if (rows.length === 0) {
    lines.push('Nothing to compare: no day with data from both meters.');
  } else {
    lines.push(
      table(
        [
          'DAY',
          'QTY',
          'UNIT',
          'PRINCIPAL',
          'RETAGUARDA',
          'DIFF',
          'DIFF %',
          'BEYOND',
          'HOURS>',
          'INTERVALS>',
          'COMPARED',
          'MISSING P/R',
          'USED',
        ],
        rows,
        ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'l'],
      ),
    );
  }
  for (const d of v.days) for (const m of d.messages) lines.push(`${d.day}: ${m}`);
  if (v.period.length > 0 && v.days.length > 1) {
    lines.push('');
    lines.push('Period totals:');
    for (const t of v.period) {
      lines.push(
        `  ${quantityShort(t.quantityCode)}: principal ${fixed(t.principal, 3)} ${t.unit}, retaguarda ${fixed(t.retaguarda, 3)} ${t.unit}, ` +
          `diff ${fixed(t.diff, 3)} ${t.unit} (${signedPct(t.pct)}); beyond tolerance: ${t.beyondDays} day(s), ` +
          `${t.beyondHours} hour(s), ${t.beyondIntervals} interval(s); used: ${usedText(t.usedCounts)}`,
      );
    }
  }
  if (v.files.csv) lines.push(`CSV written to ${v.files.csv}`);
  if (v.files.xlsx) lines.push(`XLSX written to ${v.files.xlsx}`);
  return `${lines.join('\n')}\n`;
}
