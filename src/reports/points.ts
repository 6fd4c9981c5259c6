/**
 * The points a report covers: named by SCDE code (retired ones included: a report may look back) and/or every point
 * in service carrying a tag; ordered by code, each once.
 */
import { FronteiraError } from '../domain/errors.ts';
import type { Db } from '../store/registry.ts';
import { veeQuery } from '../store/vee-final.ts';

export interface ReportPoint {
  id: number;
  code: string;
  name: string;
  timezone: string;
}

export interface PointSelection {
  codes?: readonly string[];
  tag?: string;
}

const CODE_RE = /^[A-Z0-9]{13}$/;

/** Field names the errors use (the API says query.points, the CLI --points). */
export interface SelectionFields {
  codes: string;
  tag: string;
}

export async function resolveReportPoints(
  db: Db,
  sel: PointSelection,
  fields: SelectionFields = { codes: 'points', tag: 'tag' },
): Promise<ReportPoint[]> {
  const codes = [...new Set((sel.codes ?? []).map((c) => c.trim().toUpperCase()).filter((c) => c !== ''))];
  const tag = sel.tag?.trim();
  if (codes.length === 0 && !tag) {
    throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${fields.codes}: name points by code or give a tag`, {
      field: fields.codes,
    });
  }
  for (const c of codes) {
    if (!CODE_RE.test(c)) {
      throw new FronteiraError('FRONTEIRA_E_VALIDATION', `${fields.codes}: '${c}' is not a 13-character SCDE code`, {
        field: fields.codes,
      });
    }
  }
  const byId = new Map<number, ReportPoint>();
  const add = (r: { id: number | string; code: string; name: string; timezone: string }) =>
    byId.set(Number(r.id), { id: Number(r.id), code: r.code, name: r.name, timezone: r.timezone });
  if (codes.length > 0) {
    const rows = await veeQuery<{ id: number; code: string; name: string; timezone: string }>(
      db,
      'SELECT id, code, name, timezone FROM metering_point WHERE code = ANY($1::text[])',
      [codes],
    );
    const found = new Set(rows.map((r) => r.code));
    const missing = codes.filter((c) => !found.has(c));
    if (missing.length > 0) {
      throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `${fields.codes}: no point with code ${missing.join(', ')}`, {
        field: fields.codes,
        codes: missing,
      });
    }
    for (const r of rows) add(r);
  }
  if (tag) {
    const rows = await veeQuery<{ id: number; code: string; name: string; timezone: string }>(
      db,
      'SELECT id, code, name, timezone FROM metering_point WHERE $1 = ANY(tags) AND retired_at IS NULL',
      [tag],
    );
    if (rows.length === 0) {
      throw new FronteiraError('FRONTEIRA_E_NOT_FOUND', `${fields.tag}: no point in service has the tag '${tag}'`, {
        field: fields.tag,
        tag,
      });
    }
    for (const r of rows) add(r);
  }
  return [...byId.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
