/**
 * Finding the registry entity a caller names: a point by code, a meter version by serial (and validity).
 */
import { DEFAULT_ZONE } from '../domain/time.ts';
import { type Db, type MeterRow, meterVersions, type PointRow, pointByCode } from '../store/registry.ts';
import { checkPointCode, checkSerial, checkValidFrom } from './fields.ts';
import { notFound } from './rows.ts';

export interface MeterSelector {
  /** Pick the version starting at this instant (a serial that left and came back has several). */
  validFrom?: Date | string;
  /** Otherwise the version valid at this instant (default now), or else the latest one. */
  at?: Date;
}

export async function requirePoint(db: Db, code: string): Promise<PointRow> {
  const c = checkPointCode('pointCode', code);
  const row = await pointByCode(db, c);
  if (!row) throw pointNotRegistered(c);
  return row;
}

/** The error for a checked point code that names no point. */
export function pointNotRegistered(code: string) {
  return notFound('point', code, `point ${code} is not registered`);
}

/** The version of `serial` the caller means (see MeterSelector). */
export async function resolveMeter(db: Db, serial: string, sel: MeterSelector = {}): Promise<MeterRow> {
  const s = checkSerial('serial', serial);
  const versions = await meterVersions(db, s);
  if (versions.length === 0) throw notFound('meter', s, `meter ${s} is not registered`);
  if (sel.validFrom !== undefined) {
    const from = checkValidFrom('validFrom', sel.validFrom, { zone: DEFAULT_ZONE });
    const hit = versions.find((m) => m.valid_from.getTime() === from.getTime());
    if (!hit) throw notFound('meter', s, `meter ${s} has no version valid from ${from.toISOString()}`);
    return hit;
  }
  const at = sel.at ?? new Date();
  return (
    versions.find((m) => m.valid_from <= at && (m.valid_to === null || m.valid_to > at)) ??
    versions[versions.length - 1]
  );
}
