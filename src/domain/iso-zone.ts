/**
 * Instants as ISO 8601 text with the point's own UTC offset (`2026-11-20T00:05:00-03:00`), which is what an
 * analyst reads and what a spreadsheet sorts correctly.
 */
import { zoneOffsetMs } from './time.ts';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function isoInZone(instant: number, zone: string): string {
  const offset = zoneOffsetMs(instant, zone);
  const wall = new Date(instant + offset);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  return (
    `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}T` +
    `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
