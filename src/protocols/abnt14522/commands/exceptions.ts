/**
 * The two responses a meter sends instead of the normal answer (spec §7.9): 0x39 "comando não implementado" and
 * 0x40 "ocorrência no registrador". They are response-only codes; the request side exists only to satisfy the
 * CommandSpec shape (no reader sends them). Unknown occurrence codes are kept raw with a null name — vendors add
 * their own, and refusing them would hide the one thing the meter is trying to say.
 */
import { hex } from '../fields.ts';
import { type Coded, type CommandSpec, type NoRequest, noRequest } from './types.ts';
import { requireInt } from './writes.ts';

export type OccurrenceName =
  | 'battery-defective'
  | 'program-integrity'
  | 'clock-defective'
  | 'invalid-password'
  | 'watchdog-or-busy'
  | 'session-required-or-init-error'
  | 'already-initialised'
  | 'reset-in-protection-period'
  | 'invalid-parameter'
  | 'vendor-specific';

export interface OccurrenceInfo {
  name: OccurrenceName;
  /** Portuguese/English description as the sources give it. */
  description: string;
  /** Sources conflict on the meaning ([U] in §7.9). */
  uncertain: boolean;
}

export const OCCURRENCES: Readonly<Record<number, OccurrenceInfo>> = {
  48: { name: 'battery-defective', description: 'bateria defeituosa (battery defective)', uncertain: false },
  49: {
    name: 'program-integrity',
    description: 'erro de integridade do programa (program integrity error)',
    uncertain: false,
  },
  51: { name: 'clock-defective', description: 'relógio defeituoso (clock defective)', uncertain: false },
  54: { name: 'invalid-password', description: 'senha inválida / senha necessária (password)', uncertain: false },
  55: { name: 'watchdog-or-busy', description: 'atuação do watchdog [SMDI] ou ocupado [SAGA] [U]', uncertain: true },
  67: {
    name: 'session-required-or-init-error',
    description: 'sessão/senha necessária ou parametrização incompleta [FITEC], ou erro de inicialização [SAGA] [U]',
    uncertain: true,
  },
  68: {
    name: 'already-initialised',
    description: 'registrador já inicializado (already initialised)',
    uncertain: false,
  },
  69: {
    name: 'reset-in-protection-period',
    description: 'reposição de demanda dentro do período de proteção (reset inside the protection period)',
    uncertain: false,
  },
  70: {
    name: 'invalid-parameter',
    description: 'alteração com parâmetro inválido (alteration with an invalid parameter)',
    uncertain: false,
  },
  171: {
    name: 'vendor-specific',
    description: 'ocorrências específicas do fabricante (vendor-specific)',
    uncertain: false,
  },
};

export function occurrence(code: number): Coded<OccurrenceName> {
  return { code, name: OCCURRENCES[code]?.name ?? null };
}

/** "name (0xNN)" or "unknown occurrence 0xNN", for error messages and logs. */
export function describeOccurrence(code: number): string {
  const o = OCCURRENCES[code];
  return o ? `${o.name} (0x${hex(code)}: ${o.description})` : `unknown occurrence 0x${hex(code)}`;
}

export interface NotImplementedResponse {
  /** The command code the meter refused (offset 5). */
  command: number;
}

export const cmd39: CommandSpec<NoRequest, NotImplementedResponse> = {
  code: 0x39,
  name: 'Comando não implementado',
  kind: 'read',
  composite: false,
  ...noRequest,
  encodeResponse(w, res) {
    w.u8(5, requireInt(w.context, 'command', res.command, 0, 255), 'refused command code');
  },
  decodeResponse(r) {
    return { command: r.u8(5) };
  },
};

export interface OccurrenceResponse {
  /** Offset 5; name null when the code is not in the §7.9 table. */
  occurrence: Coded<OccurrenceName>;
  /** Offset 6. */
  subCode: number;
}

export const cmd40: CommandSpec<NoRequest, OccurrenceResponse> = {
  code: 0x40,
  name: 'Ocorrência no registrador',
  kind: 'read',
  composite: false,
  ...noRequest,
  encodeResponse(w, res) {
    w.u8(5, requireInt(w.context, 'occurrence code', res.occurrence?.code, 0, 255), 'occurrence code');
    w.u8(6, requireInt(w.context, 'sub-code', res.subCode, 0, 255), 'sub-code');
  },
  decodeResponse(r) {
    return { occurrence: occurrence(r.u8(5)), subCode: r.u8(6) };
  },
};
