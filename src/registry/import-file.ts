/**
 * `fronteira registry import FILE`: a simulator registry (JSON) or a spreadsheet (CSV), told apart by content.
 */
import { FronteiraError } from '../domain/errors.ts';
import { decodeText, readRegistryCsv } from './csv.ts';
import { type ImportReport, importDocument, importError, type RegistryDocument } from './import.ts';
import type { RegistryContext } from './rows.ts';
import { readSimulatorRegistry } from './simulator-import.ts';

export type RegistryFileFormat = 'csv' | 'simulator-json';

/** Reads a registry file of either format; bad content ends up in `document.problems`. */
export function readRegistryFile(
  input: string | Uint8Array,
  source: string,
): { format: RegistryFileFormat; document: RegistryDocument } {
  const { text } = decodeText(input);
  if (/^\s*[{[]/.test(text)) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new FronteiraError('FRONTEIRA_E_FILE_FORMAT', `${source}: not valid JSON: ${(e as Error).message}`);
    }
    return { format: 'simulator-json', document: readSimulatorRegistry(json, source) };
  }
  return { format: 'csv', document: readRegistryCsv(input, source).document };
}

/** Validates the whole file, then applies it in one transaction (or only reports, with `dryRun`). */
export async function importRegistryFile(
  ctx: RegistryContext,
  input: string | Uint8Array,
  opts: { source?: string; dryRun?: boolean } = {},
): Promise<ImportReport & { format: RegistryFileFormat }> {
  const source = opts.source ?? 'registry';
  const { format, document } = readRegistryFile(input, source);
  if (document.problems.length > 0 && document.points.length === 0 && document.meters.length === 0) {
    throw importError(source, document.problems);
  }
  const report = await importDocument(ctx, document, { dryRun: opts.dryRun });
  return { ...report, format };
}
