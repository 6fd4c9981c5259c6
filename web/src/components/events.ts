/** One line of text for a meter event's detail (the detail is free-form JSON per kind). */
import type { MeterEvent } from '../api.ts';
import { fmtNum } from '../format.ts';

export function eventText(e: MeterEvent): string {
  const d = e.detail;
  if (typeof d.driftSeconds === 'number') return `${fmtNum(d.driftSeconds, 1)} s`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    if (v === null || v === undefined) continue;
    const s = typeof v === 'number' ? fmtNum(v, 3) : typeof v === 'object' ? JSON.stringify(v) : String(v);
    parts.push(`${k}: ${s}`);
    if (parts.length >= 4) break;
  }
  return parts.join(' · ');
}
