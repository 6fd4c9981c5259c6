/**
 * Shape check of a ValidationInput before any rule reads it: the containers the rules iterate must be what the
 * contract says, so a malformed input is a typed error naming the field rather than a TypeError deep in a rule.
 * Channel contents (lengths, slot counts, days) are V01's business: a bad channel is refused, not thrown.
 */
import { FronteiraError } from '../../domain/errors.ts';
import type { VeeParams } from '../params.ts';
import type { ValidationInput } from '../types.ts';

function bad(field: string, message: string): never {
  throw new FronteiraError('FRONTEIRA_E_VALIDATION', `validate: ${field} ${message}`, { field });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function optionalList(v: unknown, field: string, item?: (x: unknown, f: string) => void): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) bad(field, 'is not a list');
  if (item) for (let i = 0; i < v.length; i++) item(v[i], `${field}[${i}]`);
}

function object(x: unknown, f: string): void {
  if (!isObject(x)) bad(f, 'is not an object');
}

const zones = new Set<string>();

function knownZone(zone: unknown): boolean {
  if (typeof zone !== 'string') return false;
  if (zones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return false;
  }
  if (zones.size < 1000) zones.add(zone);
  return true;
}

export function checkInput(input: ValidationInput, params: VeeParams): void {
  if (!isObject(input)) bad('input', 'is not an object');
  if (!isObject(input.point)) bad('point', 'is missing');
  const zone = input.point.timezone;
  if (zone !== undefined && !knownZone(zone)) bad('point.timezone', `'${String(zone)}' is not an IANA zone`);
  if (!Array.isArray(input.channels)) bad('channels', 'is not a list');
  for (let i = 0; i < input.channels.length; i++) object(input.channels[i], `channels[${i}]`);
  if (!Array.isArray(input.meters)) bad('meters', 'is not a list');
  input.meters.forEach((m, i) => {
    const f = `meters[${i}]`;
    object(m, f);
    if (m.events != null) {
      object(m.events, `${f}.events`);
      for (const k of ['outages', 'clockChanges', 'occurrences'] as const) {
        if (!Array.isArray(m.events[k])) bad(`${f}.events.${k}`, 'is not a list');
        for (let j = 0; j < m.events[k].length; j++) object(m.events[k][j], `${f}.events.${k}[${j}]`);
      }
    }
    optionalList(m.driftS, `${f}.driftS`);
    optionalList(m.registerAdvance, `${f}.registerAdvance`, object);
    if (m.instant != null) object(m.instant, `${f}.instant`);
    for (const k of ['registration', 'observed'] as const) {
      const id = m[k];
      if (id == null) continue;
      object(id, `${f}.${k}`);
      optionalList(id.channels, `${f}.${k}.channels`, object);
    }
  });
  optionalList(input.history, 'history', (h, f) => {
    object(h, f);
    if (!Array.isArray((h as { totals?: unknown }).totals)) bad(`${f}.totals`, 'is not a list');
  });
  if (!isObject(params) || !isObject(params.rules)) bad('params', 'has no rules');
}
