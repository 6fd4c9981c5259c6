/**
 * The registry file `fronteira simulate` writes (simulator/fleet-config.ts RegistryFile) as a registry document:
 * points with kind and segment from the customer's CCEE category, meters with the channel map of their channel
 * groups, one TCP channel each (its own concurrency group). Same validation and upsert as a CSV import.
 */
import { DEFAULT_ZONE } from '../domain/time.ts';
import type { RegistryFile } from '../simulator/fleet-config.ts';
import type { ChannelMapEntry } from '../store/schema.ts';
import {
  checkAddress,
  checkPointCode,
  checkSerial,
  METER_CHECKS,
  type MeterValues,
  POINT_CHECKS,
  type PointKind,
  type PointValues,
  type Segment,
} from './fields.ts';
import type { ImportProblem, MeterEntry, Origin, RegistryDocument } from './import.ts';
import { reasonOf } from './text.ts';

const CATEGORIES: Record<string, { kind: PointKind; segment: Segment }> = {
  'consumidor livre': { kind: 'consumidor_livre', segment: 'livre' },
  'consumidor especial': { kind: 'consumidor_especial', segment: 'livre' },
  gerador: { kind: 'geracao', segment: 'geracao' },
};

/** JSON paths of the fields, for messages (`meters[3].role`). */
const POINT_PATHS: Record<string, string> = {
  code: 'code',
  name: 'customer.name',
  kind: 'customer.category',
  segment: 'customer.category',
  customer: 'customer.name',
  loadCapacityKw: 'capacityKw',
  tags: 'shape',
};
const METER_PATHS: Record<string, string> = {
  serial: 'serial',
  pointCode: 'pointCode',
  role: 'role',
  mmIntervalS: 'massMemoryIntervalSeconds',
  demandIntervalMin: 'demandIntervalMinutes',
  channelMap: 'channelGroups',
  address: 'address',
};

function jsonOrigin(prefix: string, paths: Record<string, string>): Origin {
  return { line: null, label: prefix, column: (field) => `${prefix}.${paths[field] ?? field}` };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Channel groups → channel map entries (channel 3g+i+1 holds quantityCodes[i] with constants[i]). */
function channelMapOf(groups: unknown): unknown {
  if (!Array.isArray(groups)) return groups;
  const entries: unknown[] = [];
  for (const g of groups) {
    if (!isObject(g) || !Array.isArray(g.quantityCodes) || !Array.isArray(g.constants)) return 'not channel groups';
    g.quantityCodes.forEach((code, i) => {
      const k = (g.constants as unknown[])[i];
      entries.push({
        group: g.group,
        channel: typeof g.group === 'number' ? 3 * g.group + i + 1 : undefined,
        quantityCode: code,
        numerator: isObject(k) ? k.numerator : undefined,
        denominator: isObject(k) ? k.denominator : undefined,
      } satisfies Partial<Record<keyof ChannelMapEntry, unknown>>);
    });
  }
  return entries;
}

/** Reads a simulator registry file (parsed JSON). Never throws for bad content: problems are in the document. */
export function readSimulatorRegistry(json: unknown, source = 'registry.json'): RegistryDocument {
  const problems: ImportProblem[] = [];
  const doc: RegistryDocument = { source, points: [], meters: [], problems };
  const problem = (column: string, reason: string) => problems.push({ line: null, column, reason });
  if (!isObject(json) || json.version !== 1 || !Array.isArray(json.points) || !Array.isArray(json.meters)) {
    problem('version', 'not a fronteira simulate registry file (version 1 with points and meters)');
    return doc;
  }
  const file = json as unknown as RegistryFile;
  const ctx = { zone: DEFAULT_ZONE };
  const pointOfSerial = new Map<string, string>();

  file.points.forEach((p, i) => {
    const origin = jsonOrigin(`points[${i}]`, POINT_PATHS);
    const fail = (field: string, e: unknown) => {
      const reason = reasonOf(e);
      if (reason === null) throw e;
      problem(origin.column(field), reason);
    };
    if (!isObject(p) || !isObject(p.customer)) {
      problem(origin.label, 'is not a point with a customer');
      return;
    }
    let code: string;
    try {
      code = checkPointCode('code', p.code);
    } catch (e) {
      fail('code', e);
      return;
    }
    const category = CATEGORIES[String(p.customer.category)];
    if (!category) {
      problem(origin.column('kind'), `unknown customer category '${String(p.customer.category)}'`);
      return;
    }
    const raw: Partial<Record<keyof PointValues, unknown>> = {
      name: p.customer.name,
      customer: p.customer.name,
      loadCapacityKw: p.capacityKw,
      tags: ['simulado', p.shape, p.customer.uf].filter((t) => typeof t === 'string' && t !== ''),
    };
    const values: Partial<PointValues> = { ...category };
    for (const [field, v] of Object.entries(raw)) {
      try {
        (values as Record<string, unknown>)[field] = POINT_CHECKS[field as keyof PointValues](field, v, ctx);
      } catch (e) {
        fail(field, e);
      }
    }
    doc.points.push({ code, values, origin });
    if (Array.isArray(p.meters)) for (const s of p.meters) pointOfSerial.set(String(s), code);
  });

  file.meters.forEach((m, i) => {
    const origin = jsonOrigin(`meters[${i}]`, METER_PATHS);
    const fail = (field: string, e: unknown) => {
      const reason = reasonOf(e);
      if (reason === null) throw e;
      problem(origin.column(field), reason);
    };
    if (!isObject(m)) {
      problem(origin.label, 'is not a meter');
      return;
    }
    let serial: string;
    let pointCode: string;
    try {
      serial = checkSerial('serial', m.serial);
    } catch (e) {
      fail('serial', e);
      return;
    }
    try {
      pointCode = checkPointCode('pointCode', m.pointCode);
    } catch (e) {
      fail('pointCode', e);
      return;
    }
    const listed = pointOfSerial.get(serial);
    if (listed !== undefined && listed !== pointCode) {
      problem(origin.column('pointCode'), `meter ${serial} is listed under point ${listed}, not ${pointCode}`);
    }
    const raw: Partial<Record<keyof MeterValues, unknown>> = {
      role: m.role,
      manufacturer: 'Fronteira',
      model: 'simulador',
      mmIntervalS: m.massMemoryIntervalSeconds,
      demandIntervalMin: m.demandIntervalMinutes,
      channelMap: channelMapOf(m.channelGroups),
    };
    const values: Partial<Omit<MeterValues, 'pointCode'>> = {};
    for (const [field, v] of Object.entries(raw)) {
      try {
        (values as Record<string, unknown>)[field] = METER_CHECKS[field as keyof MeterValues](field, v, ctx);
      } catch (e) {
        fail(field, e);
      }
    }
    const entry: MeterEntry = { serial, pointCode, values, origin };
    try {
      const { address, kind } = checkAddress('address', m.address);
      entry.channel = { address, kind, values: { concurrencyGroup: address }, origin };
    } catch (e) {
      fail('address', e);
    }
    doc.meters.push(entry);
  });
  return doc;
}
