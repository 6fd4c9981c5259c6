/**
 * The layout contract: a layout is an XSD in the repository plus a builder that maps the current final series of
 * one metering point to one XML document. The export pipeline (service.ts) knows nothing about any particular
 * layout: adding CCEE's official passive-collection schema later means adding a layout folder and registering it,
 * not touching the pipeline.
 */
import { FronteiraError } from '../../domain/errors.ts';
import { type FinalDay, QUALITY_NAMES, Quality } from '../../vee/types.ts';

/** Which final series feed the channels every default layout writes (the same codes as virtual meters' CHANNELS). */
export const EXPORT_CHANNELS = {
  C: { quantityCode: 1, unit: 'kWh' },
  G: { quantityCode: 14, unit: 'kWh' },
  QC: { quantityCode: 10, unit: 'kvarh' },
  QG: { quantityCode: 15, unit: 'kvarh' },
} as const;
export type ExportChannel = keyof typeof EXPORT_CHANNELS;
export const EXPORT_CHANNEL_NAMES = Object.keys(EXPORT_CHANNELS) as ExportChannel[];
export const EXPORT_QUANTITY_CODES: readonly number[] = EXPORT_CHANNEL_NAMES.map(
  (c) => EXPORT_CHANNELS[c].quantityCode,
);

/** One file's worth of input: one point, its principal meter, and its current finals over [from, to]. */
export interface LayoutInput {
  pointCode: string;
  /** Serial of the principal meter the day's series came from (notes.principalMeterId), when known. */
  meterSerial: string | null;
  from: string;
  to: string;
  /** Current finals of the point in [from, to], any of the layout's quantity codes, any order. */
  finals: readonly FinalDay[];
}

export interface Layout {
  /** Stable id, used in the CLI/API and stored with each file: lower-case, digits and dashes. */
  id: string;
  description: string;
  /** Absolute path of the XSD every produced file is validated against. */
  xsdPath: string;
  /** Upper-case tag opening the file name (naming.ts). */
  fileTag: string;
  /** 'point-day': one file per point and operating day; 'point-range': one file per point for the requested days. */
  granularity: 'point-day' | 'point-range';
  /** Quantity codes the builder reads. */
  quantityCodes: readonly number[];
  /** The document; throws FRONTEIRA_E_EXPORT_INVALID naming the point, day and slot when the data cannot be written. */
  build(input: LayoutInput): string;
}

export function exportInvalid(message: string, details: Record<string, unknown>): FronteiraError {
  return new FronteiraError('FRONTEIRA_E_EXPORT_INVALID', message, details);
}

/**
 * Checks the per-slot contract the builders rely on: a value exactly where the slot is not missing. A NaN under
 * quality A/S/E/M, a number under N, an unknown quality code or an infinite value mean the stored final is corrupt,
 * and writing it would ship a lie to CCEE; the error names the point, day, quantity and slot.
 */
export function checkFinalForExport(layoutId: string, f: FinalDay): void {
  const where = { layout: layoutId, point: f.pointCode, day: f.day, quantityCode: f.quantityCode, version: f.version };
  const series = `${f.pointCode} ${f.day} quantity ${f.quantityCode} v${f.version}`;
  if (f.value.length !== f.slots || f.quality.length !== f.slots || f.source.length !== f.slots) {
    throw exportInvalid(`${layoutId}: ${series}: arrays do not hold ${f.slots} slots`, where);
  }
  for (let k = 0; k < f.slots; k++) {
    const q = f.quality[k];
    const v = f.value[k];
    if (q >= QUALITY_NAMES.length) {
      throw exportInvalid(`${layoutId}: ${series}: slot ${k} has unknown quality code ${q}`, { ...where, slot: k });
    }
    if (q === Quality.N) {
      if (!Number.isNaN(v)) {
        throw exportInvalid(`${layoutId}: ${series}: slot ${k} is missing (N) but holds ${v}`, { ...where, slot: k });
      }
    } else if (!Number.isFinite(v)) {
      throw exportInvalid(
        `${layoutId}: ${series}: slot ${k} has quality ${QUALITY_NAMES[q]} but value ${v} (corrupt final series)`,
        { ...where, slot: k },
      );
    }
  }
}

/** The finals of one point grouped per day and channel (only the export channels; other quantities ignored). */
export function finalsByDay(finals: readonly FinalDay[]): Map<string, Partial<Record<ExportChannel, FinalDay>>> {
  const out = new Map<string, Partial<Record<ExportChannel, FinalDay>>>();
  for (const f of finals) {
    const channel = EXPORT_CHANNEL_NAMES.find((c) => EXPORT_CHANNELS[c].quantityCode === f.quantityCode);
    if (!channel) continue;
    let day = out.get(f.day);
    if (!day) {
      day = {};
      out.set(f.day, day);
    }
    day[channel] = f;
  }
  return out;
}
