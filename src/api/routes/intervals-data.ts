/**
 * Request checks shared by the data routes: calendar days and the longest span a request may cover per resolution.
 */
import { FronteiraError } from '../../domain/errors.ts';
import type { Resolution } from '../../profiles/series.ts';

/** The most days one request may span per resolution (a year of 5-min data is ~105k slots per series). */
export const MAX_DAYS: Record<Resolution, number> = { '5min': 93, hour: 366, day: 3660 };

/** A real calendar day (the schema pattern lets 2026-13-45 through). */
export function checkDay(field: string, day: string): void {
  const t = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${field}: '${day}' is not a calendar day`, {
      field,
      reason: 'is not a calendar day',
    });
  }
}

export function checkSpan(from: string, to: string, resolution: Resolution, part: 'query' | 'body' = 'query'): void {
  checkDay(`${part}.from`, from);
  checkDay(`${part}.to`, to);
  if (to < from) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${part}.to: ${to} is before from ${from}`, {
      field: `${part}.to`,
      reason: 'is before from',
    });
  }
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  if (days > MAX_DAYS[resolution]) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `${part}.to: ${days} days at resolution ${resolution}; at most ${MAX_DAYS[resolution]}`,
      { field: `${part}.to`, reason: `span over ${MAX_DAYS[resolution]} days` },
    );
  }
}
