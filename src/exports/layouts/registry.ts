/**
 * The layouts the export pipeline can produce, by id. The two defaults are registered here; an official CCEE or ONS
 * schema becomes one more `registerLayout` call (its own folder with XSD and builder), never a pipeline change.
 */
import { FronteiraError } from '../../domain/errors.ts';
import { ccee5min } from './ccee-5min/builder.ts';
import { cceeHourly } from './ccee-hourly/builder.ts';
import type { Layout } from './layout.ts';

const layouts = new Map<string, Layout>();

export function registerLayout(layout: Layout): void {
  if (!/^[a-z0-9][a-z0-9-]{1,39}$/.test(layout.id)) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `layout id '${layout.id}' must be lower-case letters, digits, -`,
      {
        field: 'id',
      },
    );
  }
  if (!/^[A-Z0-9]{2,12}$/.test(layout.fileTag)) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `layout ${layout.id}: file tag '${layout.fileTag}' is not A-Z0-9`,
      {
        field: 'fileTag',
      },
    );
  }
  if (layouts.has(layout.id)) {
    throw new FronteiraError('FRONTEIRA_E_CONFLICT', `layout ${layout.id} is already registered`, {
      layout: layout.id,
    });
  }
  layouts.set(layout.id, layout);
}

/** Removes a layout (tests register throw-away layouts). */
export function unregisterLayout(id: string): void {
  if (id === ccee5min.id || id === cceeHourly.id) return;
  layouts.delete(id);
}

export function getLayout(id: string): Layout {
  const l = layouts.get(id);
  if (!l) {
    throw new FronteiraError(
      'FRONTEIRA_E_VALIDATION',
      `unknown layout '${id}' (known: ${[...layouts.keys()].join(', ')})`,
      {
        field: 'layout',
      },
    );
  }
  return l;
}

export function listLayouts(): Layout[] {
  return [...layouts.values()];
}

registerLayout(ccee5min);
registerLayout(cceeHourly);
