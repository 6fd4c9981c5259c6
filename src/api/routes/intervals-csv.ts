/**
 * Interval series as CSV for a spreadsheet (Excel pt-BR): `;` delimiter, decimal comma, CRLF, UTF-8 BOM, instants
 * ISO 8601 with the point's offset. One line per slot (5 min) or per hour/day with counts per quality.
 */

import { isoInZone } from '../../domain/iso-zone.ts';
import { aggregate, type Layer, type Resolution, type Series } from '../../profiles/series.ts';
import { formatDecimalBR } from '../../vee/compare-report.ts';
import { QUALITY_NAMES } from '../../vee/types.ts';

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? formatDecimalBR(v, 6) : v;
  return /[;"\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const EXTRA_COLUMNS: Record<Layer, string[]> = {
  raw: ['flags'],
  validated: ['flags', 'severity', 'rules'],
  final: ['method', 'reason', 'source'],
};

/** The series columns, as text (a channel or quantity number is not a decimal). */
function keyOf(pointCode: string, layer: Layer, s: Series): (string | null | undefined)[] {
  return [
    pointCode,
    layer,
    s.meterSerial,
    s.role,
    s.channel === undefined ? null : String(s.channel),
    s.quantityCode === null ? null : String(s.quantityCode),
    s.unit,
  ];
}

export function intervalsCsv(
  pointCode: string,
  layer: Layer,
  resolution: Resolution,
  series: readonly Series[],
  zone: string,
): string {
  const lines: string[] = [];
  const head = ['ponto', 'camada', 'medidor', 'papel', 'canal', 'grandeza', 'unidade'];
  if (resolution === '5min') {
    const extra = EXTRA_COLUMNS[layer];
    lines.push([...head, 'fim', 'valor', 'qualidade', ...extra].join(';'));
    for (const s of series) {
      const key = keyOf(pointCode, layer, s);
      for (const d of s.days) {
        for (let k = 0; k < d.slots; k++) {
          const v = d.value[k];
          const row = [
            ...key,
            isoInZone(d.firstEnd + k * d.intervalS * 1000, zone),
            Number.isNaN(v) ? null : v,
            QUALITY_NAMES[d.quality[k]] ?? 'N',
            ...extra.map((c) => {
              const x = d.extra[c]?.[k];
              return typeof x === 'number' ? String(x) : x;
            }),
          ];
          lines.push(row.map(cell).join(';'));
        }
      }
    }
  } else {
    lines.push(
      [...head, resolution === 'hour' ? 'fim_hora' : 'dia', 'valor', ...QUALITY_NAMES.map((q) => `qtd_${q}`)].join(';'),
    );
    for (const s of series) {
      for (const r of aggregate(s, resolution, zone)) {
        const row = [
          ...keyOf(pointCode, layer, s),
          resolution === 'hour' ? isoInZone(r.at, zone) : r.day,
          r.value,
          ...QUALITY_NAMES.map((q) => String(r.counts[q])),
        ];
        lines.push(row.map(cell).join(';'));
      }
    }
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
