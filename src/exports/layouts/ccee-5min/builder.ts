/**
 * Layout "ccee-5min": one metering point, one operating day, 288 five-minute intervals labelled by their END
 * (00:05 … next day 00:00, local time with offset), active and reactive energy in both directions, each value with
 * its VEE quality and origin. Structure in schema.xsd; which parts follow CCEE material in the README section.
 */
import { fileURLToPath } from 'node:url';
import { dayStartMs } from '../../../vee/slots.ts';
import { type FinalDay, QUALITY_NAMES } from '../../../vee/types.ts';
import {
  checkFinalForExport,
  EXPORT_CHANNEL_NAMES,
  EXPORT_CHANNELS,
  EXPORT_QUANTITY_CODES,
  exportInvalid,
  finalsByDay,
  type Layout,
  type LayoutInput,
} from '../layout.ts';
import { escapeXml, formatDecimal, isoWithOffset } from '../xml-text.ts';

export const LAYOUT_ID = 'ccee-5min';
const INTERVAL_S = 300;
const NS = 'urn:fronteira:leiaute:ccee-5min:1';

/** Source code (vee/types.ts Source) → origem. */
export const ORIGEM = ['nenhuma', 'principal', 'retaguarda', 'estimativa', 'manual'] as const;

const stampCache = new Map<string, string[]>();

/** Interval-end stamps of a day, shared by every point of the day (10,000 points read the same 288 strings). */
function endStamps(day: string, slots: number): string[] {
  const key = `${day}|${slots}`;
  let stamps = stampCache.get(key);
  if (!stamps) {
    const start = dayStartMs(day);
    stamps = Array.from({ length: slots }, (_, k) => isoWithOffset(start + (k + 1) * INTERVAL_S * 1000));
    if (stampCache.size > 400) stampCache.clear();
    stampCache.set(key, stamps);
  }
  return stamps;
}

function valueXml(tag: string, f: FinalDay, k: number, unit: string): string {
  const q = f.quality[k];
  const origem = ORIGEM[f.source[k]] ?? 'nenhuma';
  const valor = q === 0 ? '' : `<valor>${formatDecimal(f.value[k])}</valor>`;
  return `<${tag} qualidade="${QUALITY_NAMES[q]}" origem="${origem}">${valor}<unidadeMedida>${unit}</unidadeMedida></${tag}>`;
}

export function build5min(input: LayoutInput): string {
  if (input.from !== input.to) {
    throw exportInvalid(`${LAYOUT_ID}: one file holds one operating day, got ${input.from}..${input.to}`, {
      layout: LAYOUT_ID,
      point: input.pointCode,
    });
  }
  const day = input.from;
  const where = { layout: LAYOUT_ID, point: input.pointCode, day };
  const series = finalsByDay(input.finals).get(day) ?? {};
  const present = EXPORT_CHANNEL_NAMES.filter((c) => series[c]);
  if (present.length === 0) throw exportInvalid(`${LAYOUT_ID}: ${input.pointCode} ${day}: no final series`, where);
  let slots = 0;
  for (const c of present) {
    const f = series[c] as FinalDay;
    if (f.intervalS !== INTERVAL_S) {
      throw exportInvalid(
        `${LAYOUT_ID}: ${input.pointCode} ${day}: channel ${c} has ${f.intervalS} s intervals, the layout needs 300 s`,
        { ...where, channel: c },
      );
    }
    if (slots !== 0 && f.slots !== slots) {
      throw exportInvalid(`${LAYOUT_ID}: ${input.pointCode} ${day}: channels disagree on the slot count`, where);
    }
    slots = f.slots;
    checkFinalForExport(LAYOUT_ID, f);
  }
  const stamps = endStamps(day, slots);
  const code = escapeXml(input.pointCode);
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<medicaoCincoMinutos xmlns="${NS}" versaoLeiaute="1">\n`,
    `<pontoMedicao><codigo>${code}</codigo></pontoMedicao>\n`,
    `<medidor><codigo>${code}P</codigo>`,
    input.meterSerial ? `<numeroSerie>${escapeXml(input.meterSerial)}</numeroSerie>` : '',
    '</medidor>\n',
    `<dataReferencia>${day}</dataReferencia>\n<intervaloSegundos>${INTERVAL_S}</intervaloSegundos>\n<series>\n`,
  ];
  for (const c of present) {
    const f = series[c] as FinalDay;
    parts.push(`<serie canal="${c}" grandeza="${f.quantityCode}" versao="${f.version}"/>\n`);
  }
  parts.push('</series>\n<medidas>\n');
  const C = series.C;
  const G = series.G;
  const QC = series.QC;
  const QG = series.QG;
  const kWh = EXPORT_CHANNELS.C.unit;
  const kvarh = EXPORT_CHANNELS.QC.unit;
  for (let k = 0; k < slots; k++) {
    let s = `<medida><data>${stamps[k]}</data>`;
    if (C || G) {
      s += '<energiaAtiva>';
      if (C) s += valueXml('consumo', C, k, kWh);
      if (G) s += valueXml('geracao', G, k, kWh);
      s += '</energiaAtiva>';
    }
    if (QC || QG) {
      s += '<energiaReativa>';
      if (QC) s += valueXml('consumo', QC, k, kvarh);
      if (QG) s += valueXml('geracao', QG, k, kvarh);
      s += '</energiaReativa>';
    }
    parts.push(`${s}</medida>\n`);
  }
  parts.push('</medidas>\n</medicaoCincoMinutos>\n');
  return parts.join('');
}

export const ccee5min: Layout = {
  id: LAYOUT_ID,
  description:
    'Medição de 5 minutos por ponto e dia operativo: energia ativa e reativa, consumo (C) e geração (G), ' +
    'fim de intervalo com fuso -03:00, qualidade e origem de cada intervalo (leiaute próprio, vocabulário CCEE)',
  xsdPath: fileURLToPath(new URL('./schema.xsd', import.meta.url)),
  fileTag: 'CCEE5MIN',
  granularity: 'point-day',
  quantityCodes: EXPORT_QUANTITY_CODES,
  build: build5min,
};
