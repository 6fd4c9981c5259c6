/**
 * CSV of any final series (a point's channel — virtual meters included, they are points): one line per interval
 * with its end instant (ISO 8601 with the point's offset, interval-end convention), value, quality, method, reason,
 * source and the version used. Streamed a point at a time through csv-stringify. (The API's interval CSV builds the
 * whole text in memory for one point; this one is for long ranges and many points.)
 */
import { operatingDayStart, zoneOffsetMs } from '../domain/time.ts';
import type { Db } from '../store/registry.ts';
import { getCurrentFinals } from '../store/vee-final.ts';
import { METHOD_NAMES, QUALITY_NAMES, reasonName, SOURCE_NAMES } from '../vee/types.ts';
import { type CsvColumn, type CsvValue, writeCsv } from './csv.ts';
import { channelLabel } from './format.ts';
import type { ReportPoint } from './points.ts';

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** '2026-11-20T00:05:00-03:00' */
export function isoWithOffset(instant: number, zone: string): string {
  const offset = zoneOffsetMs(instant, zone);
  const w = new Date(instant + offset);
  const abs = Math.abs(offset) / 60_000;
  return (
    `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}T` +
    `${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}` +
    `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

function reasonLabel(code: number): string {
  try {
    return reasonName(code);
  } catch {
    return String(code);
  }
}

export const SERIES_COLUMNS: CsvColumn[] = [
  { header: 'Ponto', kind: 'text' },
  { header: 'Canal', kind: 'text' },
  { header: 'Grandeza', kind: 'count' },
  { header: 'Unidade', kind: 'text' },
  { header: 'Data', kind: 'day' },
  { header: 'Fim do intervalo', kind: 'text' },
  { header: 'Valor', kind: 'energy' },
  { header: 'Qualidade', kind: 'text' },
  { header: 'Método', kind: 'text' },
  { header: 'Motivo', kind: 'text' },
  { header: 'Origem', kind: 'text' },
  { header: 'Versão', kind: 'count' },
];

export async function* seriesRows(
  db: Db,
  points: readonly ReportPoint[],
  from: string,
  to: string,
  quantityCodes?: readonly number[],
): AsyncGenerator<CsvValue[]> {
  for (const p of points) {
    const finals = await getCurrentFinals(db, [p.id], from, to, quantityCodes);
    for (const f of finals) {
      const start = operatingDayStart(f.day, p.timezone);
      const label = channelLabel(f.quantityCode);
      for (let k = 0; k < f.slots; k++) {
        const v = f.value[k];
        yield [
          p.code,
          label,
          f.quantityCode,
          f.unit,
          f.day,
          isoWithOffset(start + (k + 1) * f.intervalS * 1000, p.timezone),
          Number.isNaN(v) ? null : v,
          QUALITY_NAMES[f.quality[k]] ?? String(f.quality[k]),
          METHOD_NAMES[f.method[k]] ?? String(f.method[k]),
          reasonLabel(f.reason[k]),
          SOURCE_NAMES[f.source[k]] ?? String(f.source[k]),
          f.version,
        ];
      }
    }
  }
}

export async function writeSeriesCsv(
  db: Db,
  points: readonly ReportPoint[],
  from: string,
  to: string,
  out: NodeJS.WritableStream,
  quantityCodes?: readonly number[],
): Promise<void> {
  await writeCsv(SERIES_COLUMNS, seriesRows(db, points, from, to, quantityCodes), out);
}
