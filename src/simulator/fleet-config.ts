/**
 * A deterministic fleet of simulated metering points and meters: the same options (seed, now...) give the same
 * points, serials, ports, load shapes, outages, clock errors and faults on every machine. Specs are plain data and
 * cheap (10 000 meters in a few ms); a `SimulatedMeter` is built only when a meter is needed (`meterFromSpec`).
 */
import { FronteiraError } from '../domain/errors.ts';
import { hash01, hashString } from '../domain/random.ts';
import { instantToWall } from '../domain/time.ts';
import type { ChannelConstant } from '../protocols/abnt14522/commands/parameters.ts';
import { formatWall, type WallTime } from '../protocols/abnt14522/fields.ts';
import { DIRECT_GROUP_CODES, REVERSE_GROUP_CODES } from '../protocols/abnt14522/quantities.ts';
import type { MeterFaults } from './faults.ts';
import { type LoadShape, loadShapeTraits } from './load-shapes.ts';
import {
  defaultConstants,
  type MeterRole,
  type OutagePeriod,
  SimulatedMeter,
  type SimulatedMeterConfig,
} from './meter-model.ts';

export interface FleetOptions {
  meters: number;
  seed: number | string;
  /** Meter i listens on basePort + i; 0 (default) leaves every port 0, to be assigned when listening. */
  basePort?: number;
  host?: string;
  /** TRUE wall time the fleet starts (Brasília); default: today's midnight, from the system clock. */
  now?: WallTime;
  faults?: 'none' | 'some';
}

export interface CustomerInfo {
  name: string;
  /** What the installation does (metalurgia, shopping, hospital, UFV...). */
  activity: string;
  /** CCEE category of the agent. */
  category: 'consumidor livre' | 'consumidor especial' | 'gerador';
  uf: string;
}

export interface PointSpec {
  /** 13 characters: UF + 'SIMU' + shape letter + 6-digit index. */
  code: string;
  shape: LoadShape;
  seed: number;
  capacityKw: number;
  latitudeDeg: number;
  customer: CustomerInfo;
  /** Power interruptions, TRUE time; shared by the point's meters. */
  outages: OutagePeriod[];
  /** Indexes into FleetSpec.meters. */
  meterIndexes: number[];
}

export interface MeterSpec {
  index: number;
  serial: string;
  role: MeterRole;
  pointCode: string;
  host: string;
  port: number;
  /** `tcp://host:port`. */
  address: string;
  config: SimulatedMeterConfig;
  faults: MeterFaults | null;
}

export interface FleetSpec {
  seed: number;
  now: WallTime;
  host: string;
  basePort: number;
  points: PointSpec[];
  meters: MeterSpec[];
}

export interface RegistryChannelGroup {
  group: number;
  quantityCodes: number[];
  constants: ChannelConstant[];
}

export interface RegistryMeter {
  serial: string;
  address: string;
  role: MeterRole;
  pointCode: string;
  channelGroups: RegistryChannelGroup[];
  massMemoryIntervalSeconds: number;
  demandIntervalMinutes: number;
  shape: LoadShape;
  capacityKw: number;
  faults: MeterFaults | null;
}

export interface RegistryFile {
  version: 1;
  /** Brasília wall time 'YYYY-MM-DD HH:mm:ss'. */
  generatedAt: string;
  seed: number;
  points: {
    code: string;
    shape: LoadShape;
    capacityKw: number;
    customer: CustomerInfo;
    meters: string[];
  }[];
  meters: RegistryMeter[];
}

const DAY_MS = 86_400_000;
const MAX_METERS = 1_000_000;

/** States where simulated points live, with a representative latitude (for solar plants). */
const UFS: { uf: string; lat: number; weight: number }[] = [
  { uf: 'SP', lat: -23.0, weight: 24 },
  { uf: 'MG', lat: -19.5, weight: 14 },
  { uf: 'RJ', lat: -22.5, weight: 8 },
  { uf: 'PR', lat: -25.0, weight: 8 },
  { uf: 'RS', lat: -29.5, weight: 8 },
  { uf: 'SC', lat: -27.2, weight: 6 },
  { uf: 'BA', lat: -12.5, weight: 6 },
  { uf: 'GO', lat: -16.4, weight: 5 },
  { uf: 'PE', lat: -8.3, weight: 4 },
  { uf: 'CE', lat: -4.5, weight: 4 },
  { uf: 'ES', lat: -20.0, weight: 3 },
  { uf: 'MT', lat: -14.0, weight: 3 },
  { uf: 'MS', lat: -20.5, weight: 2 },
  { uf: 'PA', lat: -3.0, weight: 2 },
  { uf: 'RN', lat: -5.8, weight: 2 },
  { uf: 'PI', lat: -7.0, weight: 2 },
];

const SHAPE_MIX: { shape: LoadShape; share: number; minKw: number; maxKw: number; letter: string }[] = [
  { shape: 'industrial', share: 0.35, minKw: 500, maxKw: 30_000, letter: 'I' },
  { shape: 'commercial', share: 0.25, minKw: 100, maxKw: 3_000, letter: 'C' },
  { shape: 'free-consumer', share: 0.2, minKw: 500, maxKw: 10_000, letter: 'L' },
  { shape: 'solar', share: 0.12, minKw: 1_000, maxKw: 30_000, letter: 'S' },
  { shape: 'hydro', share: 0.08, minKw: 1_000, maxKw: 30_000, letter: 'H' },
];

const ACTIVITIES: Record<LoadShape, string[]> = {
  industrial: ['Metalúrgica', 'Têxtil', 'Alimentos', 'Química', 'Papel e Celulose', 'Plásticos', 'Autopeças'],
  commercial: ['Shopping', 'Supermercado', 'Edifício Comercial', 'Hotel', 'Atacadista'],
  'free-consumer': ['Hospital', 'Data Center', 'Shopping Center', 'Universidade'],
  solar: ['UFV'],
  hydro: ['PCH'],
};

const PLACE_WORDS = ['Aurora', 'Boa Vista', 'Cachoeira', 'Esperança', 'Horizonte', 'Ipê', 'Jatobá', 'Primavera'];

function pick<T>(items: readonly T[], u: number): T {
  return items[Math.min(items.length - 1, Math.floor(u * items.length))];
}

/** Log-uniform capacity rounded to 10 kW (100 kW for large plants). */
function capacity(minKw: number, maxKw: number, u: number): number {
  const kw = minKw * (maxKw / minKw) ** u;
  const step = kw >= 5000 ? 100 : 10;
  return Math.max(minKw, Math.min(maxKw, Math.round(kw / step) * step));
}

function faultFor(u: number, v: number): MeterFaults {
  const kinds: (() => MeterFaults)[] = [
    () => ({ badCrcBlocks: [2, 5 + Math.floor(v * 10)] }),
    () => ({ nakStorm: 1 + Math.floor(v * 3) }),
    () => ({ waitBurst: 2 + Math.floor(v * 4) }),
    () => ({ dropAcks: 1 + Math.floor(v * 3) }),
    () => ({ enqIntervalMs: 1000 + Math.floor(v * 2000) }),
    () => ({ fragmentBytes: v < 0.5 ? 1 : 7 }),
    () => ({ disconnectAfterBlocks: 3 + Math.floor(v * 10) }),
    () => {
      const from = 1 + Math.floor(v * 4);
      return { unreachableDaily: [{ from: `0${from}:00`, to: `0${from + 1}:30` }] };
    },
  ];
  return pick(kinds, u)();
}

function defaultNow(): WallTime {
  const wall = instantToWall(Date.now());
  return Math.floor(wall / DAY_MS) * DAY_MS;
}

/** Builds the fleet's specs: deterministic in (meters, seed, basePort, host, now, faults). */
export function makeFleet(options: FleetOptions): FleetSpec {
  const { meters } = options;
  if (!Number.isInteger(meters) || meters < 1 || meters > MAX_METERS) {
    throw new FronteiraError('FRONTEIRA_E_SIMULATOR', `fleet: meters must be 1…${MAX_METERS}, got ${meters}`);
  }
  const basePort = options.basePort ?? 0;
  if (!Number.isInteger(basePort) || basePort < 0 || (basePort > 0 && basePort + meters - 1 > 65_535)) {
    throw new FronteiraError(
      'FRONTEIRA_E_SIMULATOR',
      `fleet: ports ${basePort}…${basePort + meters - 1} do not fit in 1…65535`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? defaultNow();
  if (!Number.isFinite(now)) throw new FronteiraError('FRONTEIRA_E_SIMULATOR', 'fleet: now must be a wall time');
  const seed = typeof options.seed === 'number' ? options.seed >>> 0 : hashString(options.seed);
  const faults = options.faults ?? 'none';
  const u = (...keys: number[]) => hash01(seed, ...keys);

  // Serials: a seed-dependent start plus a step coprime with 9·10^7, so every index gets a different 8-digit one.
  const serialStart = Math.floor(u(1) * 90_000_000);
  const serialOf = (i: number) => String(10_000_000 + ((serialStart + i * 7919) % 90_000_000));

  const points: PointSpec[] = [];
  const specs: MeterSpec[] = [];
  const totalWeight = UFS.reduce((s, x) => s + x.weight, 0);
  for (let p = 0; specs.length < meters; p++) {
    const shapeU = u(p, 2);
    let acc = 0;
    let mix = SHAPE_MIX[SHAPE_MIX.length - 1];
    for (const m of SHAPE_MIX) {
      acc += m.share;
      if (shapeU < acc) {
        mix = m;
        break;
      }
    }
    let w = u(p, 3) * totalWeight;
    let state = UFS[UFS.length - 1];
    for (const s of UFS) {
      w -= s.weight;
      if (w < 0) {
        state = s;
        break;
      }
    }
    const code = `${state.uf}SIMU${mix.letter}${String(p + 1).padStart(6, '0')}`;
    const pointSeed = Math.floor(u(p, 4) * 4_294_967_296);
    const capacityKw = capacity(mix.minKw, mix.maxKw, u(p, 5));
    const latitudeDeg = Math.round((state.lat + (u(p, 6) - 0.5) * 2) * 100) / 100;
    const point = { shape: mix.shape, seed: pointSeed, capacityKw, latitudeDeg };
    const traits = loadShapeTraits(point);
    const activity =
      traits.activity !== undefined
        ? traits.activity.replace(/^./, (c) => c.toUpperCase())
        : pick(ACTIVITIES[mix.shape], u(p, 7));
    const customer: CustomerInfo = {
      name: `${activity} ${pick(PLACE_WORDS, u(p, 8))} ${p + 1}`,
      activity,
      category:
        mix.shape === 'solar' || mix.shape === 'hydro'
          ? 'gerador'
          : capacityKw >= 500 && u(p, 9) < 0.7
            ? 'consumidor livre'
            : 'consumidor especial',
      uf: state.uf,
    };
    // About one point in six had outages in the last week: 1–3 interruptions of a minute to four hours.
    const outages: OutagePeriod[] = [];
    if (u(p, 10) < 0.16) {
      const count = 1 + Math.floor(u(p, 11) * 3);
      for (let o = 0; o < count; o++) {
        const start = now - Math.floor(((0.3 + u(p, 12, o) * 6.5) * DAY_MS) / 1000) * 1000;
        const duration = Math.floor(60 + u(p, 13, o) ** 2 * 4 * 3600) * 1000;
        outages.push({ start, end: Math.min(start + duration, now - 60_000) });
      }
    }
    const withBackup = u(p, 14) < 0.75 && specs.length + 2 <= meters;
    const roles: MeterRole[] = withBackup ? ['principal', 'retaguarda'] : ['principal'];
    const meterIndexes: number[] = [];
    for (const role of roles) {
      const i = specs.length;
      const serial = serialOf(i);
      const port = basePort > 0 ? basePort + i : 0;
      // One meter in five has a visibly wrong clock: seconds to minutes off, drifting a few ppm.
      const drifting = u(i, 20) < 0.2;
      const clock = drifting
        ? {
            offsetMs: Math.round((u(i, 21) < 0.5 ? -1 : 1) * (3 + u(i, 22) ** 2 * 300) * 1000),
            driftPpm: Math.round((u(i, 23) - 0.5) * 40 * 10) / 10,
          }
        : { offsetMs: Math.round((u(i, 21) - 0.5) * 1000), driftPpm: Math.round((u(i, 23) - 0.5) * 10) / 10 };
      const groups = [[...DIRECT_GROUP_CODES], [...REVERSE_GROUP_CODES]];
      const outagesCopy = outages.filter((o) => o.end > o.start).map((o) => ({ ...o }));
      const config: SimulatedMeterConfig = {
        serial,
        pointCode: code,
        role,
        point: { ...point },
        gainError: Math.round((u(i, 24) - 0.5) * 0.004 * 1e5) / 1e5,
        groups,
        constants: defaultConstants(point, groups, 300),
        massMemoryIntervalSeconds: 300,
        demandIntervalMinutes: 15,
        clock,
        outages: outagesCopy,
        memoryDays: 60,
        autoReset: { day: 1, hour: 0 },
        model: pick(['8451', '8452', '8621', '8721'], u(i, 25)),
        softwareVersion: pick(['0310', '0412', '0520'], u(i, 26)),
        readerSerial: String(100_000 + Math.floor(u(p, 27) * 900_000)),
        createdAt: now,
        installedAt: now - Math.floor((1 + u(p, 28) * 5) * 365) * DAY_MS,
        tariffType: capacityKw >= 300 ? 'azul' : 'verde',
      };
      const meterFaults = faults === 'some' && u(i, 30) < 0.2 ? faultFor(u(i, 31), u(i, 32)) : null;
      specs.push({
        index: i,
        serial,
        role,
        pointCode: code,
        host,
        port,
        address: `tcp://${host}:${port}`,
        config,
        faults: meterFaults,
      });
      meterIndexes.push(i);
    }
    points.push({
      code,
      shape: mix.shape,
      seed: pointSeed,
      capacityKw,
      latitudeDeg,
      customer,
      outages: outages.filter((o) => o.end > o.start),
      meterIndexes,
    });
  }
  return { seed, now, host, basePort, points, meters: specs };
}

/** The document a reader loads to know the fleet: addresses, roles, channel groups and constants. */
export function registryFile(fleet: FleetSpec): RegistryFile {
  return {
    version: 1,
    generatedAt: formatWall(fleet.now),
    seed: fleet.seed,
    points: fleet.points.map((p) => ({
      code: p.code,
      shape: p.shape,
      capacityKw: p.capacityKw,
      customer: { ...p.customer },
      meters: p.meterIndexes.map((i) => fleet.meters[i].serial),
    })),
    meters: fleet.meters.map((m) => {
      const groups = m.config.groups ?? [];
      const constants = m.config.constants ?? defaultConstants(m.config.point, groups, 300);
      return {
        serial: m.serial,
        address: m.address,
        role: m.role,
        pointCode: m.pointCode,
        channelGroups: groups.map((codes, g) => ({
          group: g,
          quantityCodes: [...codes],
          constants: constants[g].map((k) => ({ ...k })),
        })),
        massMemoryIntervalSeconds: m.config.massMemoryIntervalSeconds ?? 300,
        demandIntervalMinutes: m.config.demandIntervalMinutes ?? 15,
        shape: m.config.point.shape,
        capacityKw: m.config.point.capacityKw,
        faults: m.faults ? structuredClone(m.faults) : null,
      };
    }),
  };
}

export function meterFromSpec(spec: MeterSpec): SimulatedMeter {
  return new SimulatedMeter(spec.config);
}
