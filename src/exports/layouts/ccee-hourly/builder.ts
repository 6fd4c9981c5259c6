/**
 * Layout "ccee-hourly": the hourly consolidated measurement of one metering point over the requested days, shaped
 * like the `medida` records of CCEE's public ListarMedida service (periodo inicio/fim, subTipo, status,
 * consumoAtivo, geracaoAtiva, consumoReativo, geracaoReativo). Hour values are SUMS of the intervals of the hour.
 *
 * Status per hour (CCEE publishes HCC = coleta diária and HIF = hora faltante; the meaning of HEC is not public, so
 * ours is our own definition, documented in the README and schema.xsd):
 * - HCC: every interval of every exported channel in the hour is actual (quality A, read from the principal meter);
 * - HEC: no interval missing, but at least one is substituted (S), estimated (E) or manual (M);
 * - HIF: at least one interval of some channel is missing (N), or the day has no final series at all. A channel
 *   with a missing interval has NO value element for that hour: a partial sum would read as a measured total.
 */
import { fileURLToPath } from 'node:url';
import { addDays } from '../../../domain/time.ts';
import { dayStartMs } from '../../../vee/slots.ts';
import { type FinalDay, Quality } from '../../../vee/types.ts';
import {
  checkFinalForExport,
  EXPORT_CHANNEL_NAMES,
  EXPORT_CHANNELS,
  EXPORT_QUANTITY_CODES,
  type ExportChannel,
  exportInvalid,
  finalsByDay,
  type Layout,
  type LayoutInput,
} from '../layout.ts';
import { escapeXml, formatDecimal, isoWithOffset } from '../xml-text.ts';

export const LAYOUT_ID = 'ccee-hourly';
const NS = 'urn:fronteira:leiaute:ccee-horaria:1';
const HOUR_MS = 3_600_000;
/** Longest range one file may cover (a year: the file stays well under 10 MB). */
export const MAX_DAYS = 366;

const ELEMENT: Record<ExportChannel, string> = {
  C: 'consumoAtivo',
  G: 'geracaoAtiva',
  QC: 'consumoReativo',
  QG: 'geracaoReativo',
};

export type HourStatus = 'HCC' | 'HEC' | 'HIF';

interface HourCell {
  /** Sum of the hour, or null when some interval of the hour is missing. */
  sum: number | null;
  /** Some interval was S, E or M. */
  filled: boolean;
}

function hourCells(f: FinalDay, hours: number): HourCell[] {
  if (3600 % f.intervalS !== 0) {
    throw exportInvalid(`${LAYOUT_ID}: ${f.pointCode} ${f.day}: ${f.intervalS} s intervals do not divide an hour`, {
      layout: LAYOUT_ID,
      point: f.pointCode,
      day: f.day,
      quantityCode: f.quantityCode,
    });
  }
  const perHour = 3600 / f.intervalS;
  const cells: HourCell[] = Array.from({ length: hours }, () => ({ sum: 0, filled: false }));
  for (let k = 0; k < f.slots; k++) {
    const cell = cells[Math.floor(k / perHour)];
    if (!cell) break;
    const q = f.quality[k];
    if (q === Quality.N) cell.sum = null;
    else {
      if (cell.sum !== null) cell.sum += f.value[k];
      if (q !== Quality.A) cell.filled = true;
    }
  }
  return cells;
}

export function buildHourly(input: LayoutInput): string {
  const where = { layout: LAYOUT_ID, point: input.pointCode, from: input.from, to: input.to };
  const byDay = finalsByDay(input.finals);
  if (byDay.size === 0) {
    throw exportInvalid(`${LAYOUT_ID}: ${input.pointCode} ${input.from}..${input.to}: no final series`, where);
  }
  const days: string[] = [];
  for (let d = input.from; d <= input.to; d = addDays(d, 1)) {
    days.push(d);
    if (days.length > MAX_DAYS) throw exportInvalid(`${LAYOUT_ID}: more than ${MAX_DAYS} days in one file`, where);
  }
  const code = escapeXml(input.pointCode);
  const start = dayStartMs(input.from);
  const end = dayStartMs(addDays(input.to, 1));
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<medicaoHoraria xmlns="${NS}" versaoLeiaute="1">\n`,
    `<pontoMedicao><codigo>${code}</codigo></pontoMedicao>\n`,
    `<medidor><codigo>${code}P</codigo>`,
    input.meterSerial ? `<numeroSerie>${escapeXml(input.meterSerial)}</numeroSerie>` : '',
    '</medidor>\n',
    `<periodo><inicio>${isoWithOffset(start)}</inicio><fim>${isoWithOffset(end)}</fim></periodo>\n`,
    `<unidadeMedidaAtiva>${EXPORT_CHANNELS.C.unit}</unidadeMedidaAtiva>`,
    `<unidadeMedidaReativa>${EXPORT_CHANNELS.QC.unit}</unidadeMedidaReativa>\n<series>\n`,
  ];
  for (const day of days) {
    const series = byDay.get(day) ?? {};
    for (const c of EXPORT_CHANNEL_NAMES) {
      const f = series[c];
      if (f) parts.push(`<serie data="${day}" canal="${c}" grandeza="${f.quantityCode}" versao="${f.version}"/>\n`);
    }
  }
  parts.push('</series>\n<medidas>\n');
  for (const day of days) {
    const series = byDay.get(day) ?? {};
    const dayStart = dayStartMs(day);
    const hours = Math.round((dayStartMs(addDays(day, 1)) - dayStart) / HOUR_MS);
    const cells: Partial<Record<ExportChannel, HourCell[]>> = {};
    for (const c of EXPORT_CHANNEL_NAMES) {
      const f = series[c];
      if (!f) continue;
      checkFinalForExport(LAYOUT_ID, f);
      cells[c] = hourCells(f, hours);
    }
    const present = EXPORT_CHANNEL_NAMES.filter((c) => cells[c]);
    for (let h = 0; h < hours; h++) {
      let missing = present.length === 0;
      let filled = false;
      let values = '';
      for (const c of present) {
        const cell = (cells[c] as HourCell[])[h];
        if (cell.sum === null) missing = true;
        else values += `<${ELEMENT[c]}>${formatDecimal(cell.sum)}</${ELEMENT[c]}>`;
        if (cell.filled) filled = true;
      }
      const status: HourStatus = missing ? 'HIF' : filled ? 'HEC' : 'HCC';
      const t = dayStart + h * HOUR_MS;
      parts.push(
        `<medida><periodo><inicio>${isoWithOffset(t)}</inicio><fim>${isoWithOffset(t + HOUR_MS)}</fim></periodo>` +
          `<subTipo>B</subTipo><status>${status}</status>${values}</medida>\n`,
      );
    }
  }
  parts.push('</medidas>\n</medicaoHoraria>\n');
  return parts.join('');
}

export const cceeHourly: Layout = {
  id: LAYOUT_ID,
  description:
    'Medição horária consolidada por ponto (consumoAtivo, geracaoAtiva, consumoReativo, geracaoReativo) com status ' +
    'por hora HCC/HEC/HIF, um arquivo por ponto para o período pedido (leiaute próprio, vocabulário CCEE)',
  xsdPath: fileURLToPath(new URL('./schema.xsd', import.meta.url)),
  fileTag: 'CCEEHORA',
  granularity: 'point-range',
  quantityCodes: EXPORT_QUANTITY_CODES,
  build: buildHourly,
};
