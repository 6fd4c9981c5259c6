/**
 * 0x28 "Leitura dos registros de alterações" (spec §7.6, item 3.1.2.1.7): 16 entries at offsets 5–164 plus
 * 9 "extended" entries at 165–254, 10 bytes each: command code, reader serial (3 B BCD), hh mm ss DD MM YY.
 * Layout [S] ([FITEC]), entry format [C]. The log records reads as well as writes, newest probably last [S].
 * Empty (all-zero) entries are skipped; a corrupt time becomes null plus a warning.
 */
import type { FieldReader, FieldWriter, WallTime } from '../fields.ts';
import { type CommandSpec, type NoRequest, noRequest } from './types.ts';
import { paramError, requireInt, requireWallTime } from './writes.ts';

/** Names of command codes as the standard and the vendor tools give them (spec §6, §7.6). */
export const COMMAND_NAMES: Readonly<Record<number, string>> = {
  17: 'Envio de senha',
  18: 'Programação de código de cliente',
  19: 'Pedido de string para cálculo de senha',
  20: 'Leitura das grandezas instantâneas',
  22: 'Cabeçalho de registro de MMS',
  23: 'Registro de MMS',
  32: 'Leitura de parâmetros com reposição de demanda',
  33: 'Leitura de parâmetros atuais',
  34: 'Leitura de parâmetros anteriores',
  35: 'Leitura dos registradores atuais',
  36: 'Leitura dos registradores anteriores',
  37: 'Leitura dos períodos de falta de energia',
  38: 'Leitura da memória de massa atual',
  39: 'Leitura da memória de massa anterior',
  40: 'Leitura dos registros de alterações',
  41: 'Alteração de data',
  42: 'EloNet encapsulado simples',
  43: 'EloNet encapsulado composto',
  48: 'Alteração de hora',
  49: 'Alteração do intervalo de demanda',
  50: 'Alteração dos feriados',
  51: 'Alteração das constantes',
  53: 'Alteração dos segmentos horários',
  54: 'Alteração da condição do horário reservado',
  55: 'Alteração da condição de ocorrência',
  56: 'Inicialização',
  57: 'Comando não implementado',
  64: 'Ocorrência no registrador',
  65: 'Leitura dos registradores parciais anteriores do 1º canal',
  66: 'Leitura dos registradores parciais anteriores do 2º canal',
  67: 'Leitura dos registradores parciais anteriores do 3º canal',
  68: 'Leitura dos registradores parciais atuais do 1º canal',
  69: 'Leitura dos registradores parciais atuais do 2º canal',
  70: 'Leitura dos registradores parciais atuais do 3º canal',
  71: 'Alteração da forma de cálculo da demanda',
  81: 'Leitura de parâmetros para memória de massa',
  82: 'Leitura da memória de massa',
  99: 'Alteração da reposição automática',
  100: 'Alteração do horário de verão',
  101: 'Alteração do 2º conjunto de segmentos horários',
  102: 'Alteração das grandezas dos canais',
  115: 'Alteração do intervalo da memória de massa',
  128: 'Leitura de parâmetros de medição',
  135: 'Código de instalação do consumidor',
  136: 'Leitura dos parâmetros de compensação de perdas',
  152: 'Comando estendido',
  153: 'Carga rápida de programa',
};

export function commandName(code: number): string | null {
  return COMMAND_NAMES[code] ?? null;
}

export interface AlterationEntry {
  /** 0-based: 0–15 main table, 16–24 extended table. */
  slot: number;
  extended: boolean;
  /** The command code that was logged. */
  code: number;
  codeName: string | null;
  /** 6 digits; '?' marks a non-BCD nibble (with a warning). */
  readerSerial: string;
  time: WallTime | null;
}

export interface Alterations {
  entries: AlterationEntry[];
}

export const ALTERATION_SLOTS = 25;
const MAIN_SLOTS = 16;
const ENTRY_LENGTH = 10;
const BASE = 5;

export function decodeAlterations(r: FieldReader): Alterations {
  const b = r.bytes;
  const entries: AlterationEntry[] = [];
  for (let slot = 0; slot < ALTERATION_SLOTS; slot++) {
    const off = BASE + ENTRY_LENGTH * slot;
    let empty = true;
    for (let i = off; i < off + ENTRY_LENGTH; i++) if (b[i] !== 0) empty = false;
    if (empty) continue;
    const code = b[off];
    entries.push({
      slot,
      extended: slot >= MAIN_SLOTS,
      code,
      codeName: commandName(code),
      readerSerial: r.digits(off + 1, 3, `alteration ${slot} reader serial`),
      time: r.dateTimeOrNull(off + 4, `alteration ${slot} time`),
    });
  }
  return { entries };
}

export function encodeAlterations(w: FieldWriter, v: Alterations): void {
  if (!Array.isArray(v.entries)) throw paramError(w.context, 'entries', 'not a list');
  const used = new Set<number>();
  for (const e of v.entries) {
    const slot = requireInt(w.context, 'alteration slot', e.slot, 0, ALTERATION_SLOTS - 1);
    if (used.has(slot)) throw paramError(w.context, 'alteration slot', `slot ${slot} used twice`);
    used.add(slot);
    const off = BASE + ENTRY_LENGTH * slot;
    const field = `alteration ${slot}`;
    w.u8(off, e.code, `${field} code`);
    w.digits(off + 1, 3, e.readerSerial, `${field} reader serial`);
    w.dateTime(off + 4, e.time === null ? null : requireWallTime(w.context, `${field} time`, e.time), `${field} time`);
  }
}

export const cmd28: CommandSpec<NoRequest, Alterations> = {
  code: 0x28,
  name: 'Leitura dos registros de alterações',
  kind: 'read',
  composite: false,
  ...noRequest,
  encodeResponse: encodeAlterations,
  decodeResponse: decodeAlterations,
};
