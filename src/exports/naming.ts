/**
 * File-name convention of produced exports (documented in the README section "CCEE/ONS XML exports"):
 *
 *   <delivery folder>/<layout id>/<first day YYYY-MM-DD>/<TAG>_<POINT CODE>_<YYYYMMDD>[-<YYYYMMDD>]_<id>.xml
 *
 * TAG is the layout's file tag (CCEE5MIN, CCEEHORA), POINT CODE the 13-character SCDE code, the day (or first-last
 * day for a range layout) compact, and id the export_file id zero-padded to 8 digits. The id makes every file
 * name unique, so a regenerated (corrected) file never overwrites the stale one it replaces; the folder per day keeps
 * a 10,000-point day in one place and directories of manageable size.
 */
import { join } from 'node:path';
import { compactDay } from './layouts/xml-text.ts';

export interface FileNameParts {
  fileTag: string;
  pointCode: string;
  dayFrom: string;
  dayTo: string;
  id: number;
}

export function exportFileName(p: FileNameParts): string {
  const days = p.dayFrom === p.dayTo ? compactDay(p.dayFrom) : `${compactDay(p.dayFrom)}-${compactDay(p.dayTo)}`;
  return `${p.fileTag}_${p.pointCode}_${days}_${String(p.id).padStart(8, '0')}.xml`;
}

/** Folder of a file inside the delivery folder. */
export function exportSubdir(layoutId: string, dayFrom: string): string {
  return join(layoutId, dayFrom);
}

const NAME = /^([A-Z0-9]{2,12})_([A-Z0-9]{13})_(\d{8})(?:-(\d{8}))?_(\d{8,})\.xml$/;

/** The parts of a conforming name, or null (for operators' tools and tests). */
export function parseExportFileName(name: string): FileNameParts | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const day = (s: string) => `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
  return { fileTag: m[1], pointCode: m[2], dayFrom: day(m[3]), dayTo: day(m[4] ?? m[3]), id: Number(m[5]) };
}
