/**
 * The registry as the spreadsheet a utility keeps: one line per meter (its point's columns repeated on each of the
 * point's lines; a point without meters is one line with the meter columns empty), the meter's primary channel on the
 * same line, the channel map in one compact cell (channel-map.ts). Columns (header names are matched without case,
 * accents or spaces, so `Código Ponto` is `codigo_ponto`; their order is free and only `codigo_ponto` is mandatory):
 *
 *   point    codigo_ponto nome tipo segmento cliente subestacao tensao_kv carga_kw tags fuso_horario ponto_retirado_em
 *   meter    serie_medidor papel fabricante modelo intervalo_mm_s intervalo_demanda_min memoria_dias rtp rtc
 *            constantes_incluem_rtp_rtc canais valido_desde valido_ate
 *   channel  endereco serie_leitor grupo_concorrencia direcional empacotamento
 *
 * Reading: `;` or `,` delimiter (detected from the header), UTF-8 with or without BOM (Windows-1252 accepted when the
 * bytes are not UTF-8), decimal comma or point, dates `dd/mm/aaaa [hh:mm[:ss]]` (in the line's fuso_horario, Brasília
 * by default) or ISO, booleans sim/não. An empty cell clears an optional field (cliente, tensao_kv, valido_ate…),
 * empties a list (tags, canais), and leaves a field with a default as it is (or at its default for a new entity); a
 * column absent from the file leaves the field as it is. An empty valido_desde means the serial's latest version (or
 * "since always" for a new meter); an empty grupo_concorrencia means the address (one modem = one line). Writing:
 * every column, `;` delimiter, CRLF and a UTF-8 BOM, so Excel pt-BR opens it as a table.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { DEFAULT_ZONE } from '../domain/time.ts';
import { type Db, loadRegistry, type RegistrySnapshot } from '../store/registry.ts';
import { formatChannelMap } from './channel-map.ts';
import {
  CHANNEL_CHECKS,
  type ChannelValues,
  channelValuesOf,
  checkAddress,
  checkPointCode,
  checkSerial,
  checkValidFrom,
  DEFAULT_VALID_FROM,
  METER_CHECKS,
  type MeterValues,
  meterValuesOf,
  POINT_CHECKS,
  type PointValues,
  pointValuesOf,
} from './fields.ts';
import type { ChannelEntry, ImportProblem, MeterEntry, Origin, PointEntry, RegistryDocument } from './import.ts';
import { fold, formatBoolean, formatDateTime, formatDecimal, isValidZone, reasonOf } from './text.ts';

type Entity = 'point' | 'meter' | 'channel';
/** What an empty cell means: the field's null, an empty list, or "as it is / default". */
type Empty = 'null' | 'list' | 'keep';

interface Column {
  name: string;
  entity: Entity;
  field: string;
  empty: Empty;
  aliases?: string[];
}

const col = (name: string, entity: Entity, field: string, empty: Empty, aliases?: string[]): Column => ({
  name,
  entity,
  field,
  empty,
  aliases,
});

/** Every column, in the order an export writes them. */
export const CSV_COLUMNS: readonly Column[] = [
  col('codigo_ponto', 'point', 'code', 'keep', ['codigo', 'ponto', 'codigo_scde', 'ponto_medicao']),
  col('nome', 'point', 'name', 'keep', ['nome_ponto']),
  col('tipo', 'point', 'kind', 'keep', ['tipo_ponto']),
  col('segmento', 'point', 'segment', 'keep'),
  col('cliente', 'point', 'customer', 'null'),
  col('subestacao', 'point', 'substation', 'null', ['se']),
  col('tensao_kv', 'point', 'voltageKv', 'null', ['tensao']),
  col('carga_kw', 'point', 'loadCapacityKw', 'null', ['carga', 'capacidade_kw']),
  col('tags', 'point', 'tags', 'list', ['etiquetas']),
  col('fuso_horario', 'point', 'timezone', 'keep', ['fuso']),
  col('ponto_retirado_em', 'point', 'retiredAt', 'null', ['retirado_em']),
  col('serie_medidor', 'meter', 'serial', 'keep', ['serie', 'numero_serie', 'medidor']),
  col('papel', 'meter', 'role', 'keep', ['funcao']),
  col('fabricante', 'meter', 'manufacturer', 'null'),
  col('modelo', 'meter', 'model', 'null'),
  col('intervalo_mm_s', 'meter', 'mmIntervalS', 'keep'),
  col('intervalo_demanda_min', 'meter', 'demandIntervalMin', 'null'),
  col('memoria_dias', 'meter', 'memoryDays', 'keep'),
  col('rtp', 'meter', 'tpRatio', 'keep'),
  col('rtc', 'meter', 'tcRatio', 'keep'),
  col('constantes_incluem_rtp_rtc', 'meter', 'constantsIncludeRatios', 'keep'),
  col('canais', 'meter', 'channelMap', 'list', ['mapa_canais']),
  col('valido_desde', 'meter', 'validFrom', 'keep'),
  col('valido_ate', 'meter', 'validTo', 'null'),
  col('endereco', 'channel', 'address', 'keep'),
  col('serie_leitor', 'channel', 'readerSerial', 'keep'),
  col('grupo_concorrencia', 'channel', 'concurrencyGroup', 'keep'),
  col('direcional', 'channel', 'directional', 'keep'),
  col('empacotamento', 'channel', 'packing', 'keep'),
];

const BY_NAME = new Map<string, Column>();
for (const c of CSV_COLUMNS) {
  BY_NAME.set(c.name, c);
  for (const a of c.aliases ?? []) BY_NAME.set(a, c);
}

export interface CsvReadResult {
  document: RegistryDocument;
  delimiter: ';' | ',';
  encoding: 'utf-8' | 'windows-1252';
}

/** Text of the file: UTF-8 (BOM dropped), or Windows-1252 when the bytes are not valid UTF-8 (Excel's "CSV"). */
export function decodeText(input: string | Uint8Array): { text: string; encoding: 'utf-8' | 'windows-1252' } {
  let text: string;
  let encoding: 'utf-8' | 'windows-1252' = 'utf-8';
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      text = new TextDecoder('windows-1252').decode(input);
      encoding = 'windows-1252';
    }
  }
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, encoding };
}

/** `;` or `,`: whichever the header line (outside quotes) has more of; `;` when it has neither. */
export function detectDelimiter(text: string): ';' | ',' {
  let semi = 0;
  let comma = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) {
      if (semi + comma > 0) break;
    } else if (!quoted && ch === ';') semi++;
    else if (!quoted && ch === ',') comma++;
  }
  return comma > semi ? ',' : ';';
}

function csvOrigin(line: number, columnOf: Map<string, string>): Origin {
  return {
    line,
    label: `line ${line}`,
    column: (field) => columnOf.get(field) ?? CSV_COLUMNS.find((c) => c.field === field)?.name ?? field,
  };
}

/** Reads a registry spreadsheet. Never throws for bad content: every problem is in `document.problems`. */
export function readRegistryCsv(input: string | Uint8Array, source = 'registry.csv'): CsvReadResult {
  const { text, encoding } = decodeText(input);
  const delimiter = detectDelimiter(text);
  const problems: ImportProblem[] = [];
  const document: RegistryDocument = { source, points: [], meters: [], problems };
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    if (e instanceof CsvError) {
      const line = typeof (e as { lines?: number }).lines === 'number' ? (e as { lines?: number }).lines! : null;
      problems.push({ line, column: '-', reason: `unreadable CSV: ${e.message}` });
      return { document, delimiter, encoding };
    }
    throw e;
  }
  if (records.length === 0) {
    problems.push({ line: 1, column: '-', reason: 'the file is empty (a header line with codigo_ponto is needed)' });
    return { document, delimiter, encoding };
  }

  // Header.
  const header = records[0];
  const headerLine = header.info.lines;
  /** Per header cell: its column, 'bad' (already reported on the header), or null (no name). */
  const columns: (Column | 'bad' | null)[] = [];
  const columnOf = new Map<string, string>();
  for (const raw of header.record) {
    const name = fold(raw);
    const c = BY_NAME.get(name);
    if (name === '') {
      columns.push(null);
      continue;
    }
    if (!c) {
      problems.push({
        line: headerLine,
        column: raw,
        reason: `unknown column (known: ${CSV_COLUMNS.map((k) => k.name).join(', ')})`,
      });
      columns.push('bad');
      continue;
    }
    if (columnOf.has(c.field)) {
      problems.push({ line: headerLine, column: raw, reason: `column ${c.name} appears twice` });
      columns.push('bad');
      continue;
    }
    columnOf.set(c.field, c.name);
    columns.push(c);
  }
  if (!columnOf.has('code')) {
    problems.push({ line: headerLine, column: 'codigo_ponto', reason: 'the header has no codigo_ponto column' });
    return { document, delimiter, encoding };
  }

  for (const { record, info } of records.slice(1)) {
    // info.lines is where the record ends; a quoted cell may span lines.
    const line = info.lines - record.reduce((n, cell) => n + (cell.match(/\r\n|\n|\r/g)?.length ?? 0), 0);
    if (record.every((c) => c === '')) continue;
    readLine(record, line, columns, columnOf, document);
  }
  return { document, delimiter, encoding };
}

function readLine(
  record: string[],
  line: number,
  columns: (Column | 'bad' | null)[],
  columnOf: Map<string, string>,
  doc: RegistryDocument,
): void {
  const origin = csvOrigin(line, columnOf);
  const problem = (column: string, reason: string) => doc.problems.push({ line, column, reason });
  const cells = new Map<string, string>();
  record.forEach((cell, i) => {
    const c = columns[i];
    if (c === 'bad') return;
    if (c) cells.set(c.field, cell);
    else if (cell !== '') problem(`#${i + 1}`, 'a value in a column without a header name');
  });
  const cellOf = (field: string) => cells.get(field) ?? '';
  const failed = (field: string, e: unknown) => {
    const reason = reasonOf(e);
    if (reason === null) throw e;
    problem(origin.column(field), reason);
  };

  let code: string;
  try {
    code = checkPointCode('code', cellOf('code'));
  } catch (e) {
    if (cellOf('code') === '') problem('codigo_ponto', 'is required');
    else failed('code', e);
    return;
  }
  const zoneCell = cellOf('timezone');
  const ctx = { zone: zoneCell !== '' && isValidZone(zoneCell) ? zoneCell : DEFAULT_ZONE };

  /** Fields of one entity present on this line, checked; empty cells per the column's rule. */
  const fieldsOf = <V>(
    entity: Entity,
    checks: Record<string, (f: string, v: unknown, c: { zone: string }) => unknown>,
  ) => {
    const out: Partial<V> = {};
    for (const c of CSV_COLUMNS) {
      if (c.entity !== entity || !cells.has(c.field) || !(c.field in checks)) continue;
      const cell = cellOf(c.field);
      if (cell === '' && c.empty === 'keep') continue;
      if (cell === '' && c.empty === 'null') {
        (out as Record<string, unknown>)[c.field] = null;
        continue;
      }
      try {
        (out as Record<string, unknown>)[c.field] = checks[c.field](c.field, cell, ctx);
      } catch (e) {
        failed(c.field, e);
      }
    }
    return out;
  };

  const point: PointEntry = { code, values: fieldsOf<PointValues>('point', POINT_CHECKS), origin };
  doc.points.push(point);

  const serialCell = cellOf('serial');
  const channelFields = CSV_COLUMNS.filter((c) => c.entity === 'channel');
  if (serialCell === '') {
    for (const c of CSV_COLUMNS) {
      if ((c.entity === 'meter' || c.entity === 'channel') && cellOf(c.field) !== '') {
        problem(c.name, 'a meter column is filled but serie_medidor is empty');
      }
    }
    return;
  }
  let serial: string;
  try {
    serial = checkSerial('serial', serialCell);
  } catch (e) {
    failed('serial', e);
    return;
  }
  let validFrom: Date | undefined;
  if (cellOf('validFrom') !== '') {
    try {
      validFrom = checkValidFrom('validFrom', cellOf('validFrom'), ctx);
    } catch (e) {
      failed('validFrom', e);
      return;
    }
  }
  const meter: MeterEntry = {
    serial,
    pointCode: code,
    validFrom,
    values: fieldsOf<MeterValues>('meter', METER_CHECKS),
    origin,
  };
  doc.meters.push(meter);

  const addressCell = cellOf('address');
  if (addressCell === '') {
    for (const c of channelFields) {
      if (c.field !== 'address' && cellOf(c.field) !== '')
        problem(c.name, 'a channel column is filled but endereco is empty');
    }
    return;
  }
  try {
    const { address, kind } = checkAddress('address', addressCell);
    const values = fieldsOf<ChannelValues>('channel', CHANNEL_CHECKS);
    if (values.concurrencyGroup === undefined && cells.has('concurrencyGroup')) values.concurrencyGroup = address;
    const channel: ChannelEntry = { address, kind, values, origin };
    meter.channel = channel;
  } catch (e) {
    failed('address', e);
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** The registry as rows of cells (header first), in CSV_COLUMNS order. */
export function registryRows(snapshot: RegistrySnapshot): string[][] {
  const rows: string[][] = [CSV_COLUMNS.map((c) => c.name)];
  const metersByPoint = new Map<number, typeof snapshot.meters>();
  const versions = new Map<string, number>();
  for (const m of snapshot.meters) {
    metersByPoint.set(m.point_id, [...(metersByPoint.get(m.point_id) ?? []), m]);
    versions.set(m.serial, (versions.get(m.serial) ?? 0) + 1);
  }
  const channelsByMeter = new Map<number, typeof snapshot.channels>();
  for (const c of snapshot.channels) channelsByMeter.set(c.meter_id, [...(channelsByMeter.get(c.meter_id) ?? []), c]);
  const num = (n: number | null) => (n === null ? '' : formatDecimal(n));
  for (const p of [...snapshot.points].sort((a, b) => a.code.localeCompare(b.code))) {
    const pv = pointValuesOf(p);
    const zone = pv.timezone;
    const date = (d: Date | null) => (d === null ? '' : formatDateTime(d, zone));
    const pointCells: Record<string, string> = {
      code: p.code,
      name: pv.name,
      kind: pv.kind,
      segment: pv.segment,
      customer: pv.customer ?? '',
      substation: pv.substation ?? '',
      voltageKv: num(pv.voltageKv),
      loadCapacityKw: num(pv.loadCapacityKw),
      tags: pv.tags.join(','),
      timezone: pv.timezone,
      retiredAt: date(pv.retiredAt),
    };
    const meters = (metersByPoint.get(p.id) ?? []).sort(
      (a, b) => a.role.localeCompare(b.role) || a.valid_from.getTime() - b.valid_from.getTime() || a.id - b.id,
    );
    const lines: Record<string, string>[] = meters.length === 0 ? [{}] : [];
    for (const m of meters) {
      const mv = meterValuesOf(m, p.code);
      const alone = versions.get(m.serial) === 1 && m.valid_from.getTime() === DEFAULT_VALID_FROM.getTime();
      const cells: Record<string, string> = {
        serial: m.serial,
        role: mv.role,
        manufacturer: mv.manufacturer ?? '',
        model: mv.model ?? '',
        mmIntervalS: String(mv.mmIntervalS),
        demandIntervalMin: mv.demandIntervalMin === null ? '' : String(mv.demandIntervalMin),
        memoryDays: String(mv.memoryDays),
        tpRatio: num(mv.tpRatio),
        tcRatio: num(mv.tcRatio),
        constantsIncludeRatios: formatBoolean(mv.constantsIncludeRatios),
        channelMap: formatChannelMap(mv.channelMap),
        validFrom: alone ? '' : date(m.valid_from),
        validTo: date(mv.validTo),
      };
      const primary = (channelsByMeter.get(m.id) ?? [])
        .filter((c) => c.enabled)
        .sort((a, b) => b.priority - a.priority || a.id - b.id)[0];
      if (primary) {
        const cv = channelValuesOf(primary);
        Object.assign(cells, {
          address: primary.address,
          readerSerial: cv.readerSerial,
          concurrencyGroup: cv.concurrencyGroup,
          directional: formatBoolean(cv.directional),
          packing: cv.packing,
        });
      }
      lines.push(cells);
    }
    for (const cells of lines) {
      const all = { ...pointCells, ...cells };
      rows.push(CSV_COLUMNS.map((c) => all[c.field] ?? ''));
    }
  }
  return rows;
}

/** The registry as CSV text: `;`, CRLF, with a UTF-8 BOM (Excel pt-BR). */
export function registryToCsv(snapshot: RegistrySnapshot): string {
  return stringify(registryRows(snapshot), { delimiter: ';', bom: true, record_delimiter: 'windows' });
}

export async function exportRegistryCsv(db: Db): Promise<string> {
  return registryToCsv(await loadRegistry(db));
}
