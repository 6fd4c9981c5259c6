/**
 * A meter's channel map: which quantity each mass-memory channel holds and its pulse constant (numerator/denominator,
 * energy per pulse). Validated here, and written in a compact form that fits one spreadsheet cell:
 *
 *   0:01/10/11@1/100,1/200,1/200|1:14/15/16@1/100,1/200,1/200
 *
 * One block per channel group `G` (0–32), blocks separated by `|` (a `;` is also read). `G:` is followed by the
 * quantity codes (0–99) of channels 3G+1, 3G+2, 3G+3 separated by `/`, then `@` and their constants `num/den`
 * separated by `,`, in the same order. A `-` in both lists skips a channel (`0:01/-/11@1/100,-,1/200`), and trailing
 * channels may be left out (`2:01@1/1000`).
 */
import type { ChannelMapEntry } from '../store/schema.ts';
import { invalid } from './text.ts';

export const MAX_GROUP = 32;
export const MAX_CONSTANT = 999_999;

function entryError(field: string, value: unknown, where: string, reason: string) {
  return invalid(field, value, `${where}: ${reason}`);
}

function isWhole(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** Checks entries given as data (JSON, API); returns them in channel order. */
export function checkChannelMap(field: string, value: unknown): ChannelMapEntry[] {
  if (!Array.isArray(value)) throw invalid(field, value, 'is not a list of channel entries');
  const out: ChannelMapEntry[] = [];
  const seen = new Set<number>();
  value.forEach((raw, i) => {
    const where = `entry ${i + 1}`;
    if (typeof raw !== 'object' || raw === null) throw entryError(field, raw, where, 'is not an object');
    const e = raw as Record<string, unknown>;
    if (!isWhole(e.group, 0, MAX_GROUP)) throw entryError(field, e.group, where, `group must be 0–${MAX_GROUP}`);
    const g = e.group;
    if (!isWhole(e.channel, 3 * g + 1, 3 * g + 3)) {
      throw entryError(field, e.channel, where, `channel of group ${g} must be ${3 * g + 1}–${3 * g + 3}`);
    }
    if (!isWhole(e.quantityCode, 0, 99)) throw entryError(field, e.quantityCode, where, 'quantity code must be 0–99');
    for (const k of ['numerator', 'denominator'] as const) {
      if (!isWhole(e[k], 1, MAX_CONSTANT)) {
        throw entryError(field, e[k], where, `${k} must be a whole number 1–${MAX_CONSTANT}`);
      }
    }
    if (seen.has(e.channel)) throw entryError(field, e.channel, where, `channel ${e.channel} appears twice`);
    seen.add(e.channel);
    out.push({
      group: g,
      channel: e.channel,
      quantityCode: e.quantityCode as number,
      numerator: e.numerator as number,
      denominator: e.denominator as number,
    });
  });
  return out.sort((a, b) => a.channel - b.channel);
}

/** Reads the compact form (see the module comment); an empty text is an empty map. */
export function parseChannelMap(field: string, text: string): ChannelMapEntry[] {
  const entries: ChannelMapEntry[] = [];
  const blocks = text
    .split(/[|;]/)
    .map((b) => b.trim())
    .filter((b) => b !== '');
  for (const block of blocks) {
    const m = /^(\d{1,2})\s*:\s*([^@]*)@(.*)$/.exec(block);
    if (!m) throw invalid(field, text, `block '${block}' is not G:codes@constants (e.g. 0:01/10/11@1/100,1/100,1/100)`);
    const g = Number(m[1]);
    if (g > MAX_GROUP) throw invalid(field, text, `group ${g} is not 0–${MAX_GROUP}`);
    const codes = m[2].split('/').map((s) => s.trim());
    const constants = m[3].split(',').map((s) => s.trim());
    if (codes.length > 3) throw invalid(field, text, `group ${g} lists ${codes.length} quantity codes; at most 3`);
    if (codes.length !== constants.length) {
      throw invalid(field, text, `group ${g} has ${codes.length} quantity codes but ${constants.length} constants`);
    }
    codes.forEach((code, i) => {
      const channel = 3 * g + i + 1;
      const k = constants[i];
      if (code === '-' || code === '') {
        if (k !== '-' && k !== '') throw invalid(field, text, `channel ${channel} has a constant but no quantity code`);
        return;
      }
      if (!/^\d{1,2}$/.test(code))
        throw invalid(field, text, `channel ${channel}: quantity code '${code}' is not 0–99`);
      const km = /^(\d{1,6})\s*\/\s*(\d{1,6})$/.exec(k);
      if (!km) throw invalid(field, text, `channel ${channel}: constant '${k}' is not num/den (e.g. 1/100)`);
      entries.push({
        group: g,
        channel,
        quantityCode: Number(code),
        numerator: Number(km[1]),
        denominator: Number(km[2]),
      });
    });
  }
  return checkChannelMap(field, entries);
}

/** The compact form of a map; canonical (channel order, two-digit codes), so equal maps give equal text. */
export function formatChannelMap(entries: readonly ChannelMapEntry[]): string {
  const byGroup = new Map<number, ChannelMapEntry[]>();
  for (const e of [...entries].sort((a, b) => a.channel - b.channel)) {
    const list = byGroup.get(e.group) ?? [];
    list.push(e);
    byGroup.set(e.group, list);
  }
  const blocks: string[] = [];
  for (const [g, list] of byGroup) {
    const last = Math.max(...list.map((e) => e.channel - 3 * g));
    const codes: string[] = [];
    const constants: string[] = [];
    for (let pos = 1; pos <= last; pos++) {
      const e = list.find((x) => x.channel === 3 * g + pos);
      codes.push(e ? String(e.quantityCode).padStart(2, '0') : '-');
      constants.push(e ? `${e.numerator}/${e.denominator}` : '-');
    }
    blocks.push(`${g}:${codes.join('/')}@${constants.join(',')}`);
  }
  return blocks.join('|');
}

/** Stored maps (jsonb) in canonical form, for comparisons that ignore key and entry order. */
export function canonicalChannelMap(entries: readonly ChannelMapEntry[]): ChannelMapEntry[] {
  return [...entries]
    .map((e) => ({
      group: e.group,
      channel: e.channel,
      quantityCode: e.quantityCode,
      numerator: e.numerator,
      denominator: e.denominator,
    }))
    .sort((a, b) => a.channel - b.channel);
}
