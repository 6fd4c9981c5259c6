/**
 * The formula environment over the store: what `CODE.C`, `vm("name")`, `group("tag").C` and `group("tag")` mean
 * now. Built from one snapshot of the registry (points not retired and the quantity codes their meters map) and of
 * the active virtual meters; resolve() is then synchronous, as check.ts needs.
 *
 * - `CODE.CH`: a point not retired that is not virtual, having a meter whose channel_map carries the channel's
 *   quantity code. A virtual meter's point code is refused with a hint to write vm("name").
 * - `vm("name")`: an active virtual meter.
 * - `group("tag").CH`: the non-virtual points carrying the tag that measure CH (points of the tag without that
 *   channel are left out: they measure nothing of it), in code order.
 * - `group("tag")`: the active virtual meters carrying the tag, in name order.
 * Series keys (check.ts seriesKey): 'point:<pointId>/<quantityCode>' and 'virtual:<pointId of the virtual meter>'.
 */

import type { VeeDb } from '../store/vee-final.ts';
import type { VirtualMeterRow } from '../store/virtual.ts';
import { listVirtualRows, loadPointFacts, type PointFacts } from '../store/virtual.ts';
import {
  CHANNELS,
  type ChannelName,
  type FormulaEnv,
  isChannelName,
  type Reference,
  type Resolution,
  type ResolvedSeries,
} from './formula/index.ts';

/** What a series key of this environment stands for in the store. */
export interface SeriesRef {
  kind: 'point' | 'virtual';
  key: string;
  pointId: number;
  code: string;
  quantityCode: number;
  unit: string;
  label: string;
  /** Virtual meters: the name. */
  name?: string;
}

export interface EnvSnapshot {
  points: readonly PointFacts[];
  virtuals: readonly VirtualMeterRow[];
}

export interface StoreEnv extends FormulaEnv {
  readonly snapshot: EnvSnapshot;
  /** The series behind a key of CheckedFormula.dependencies / inputs (undefined: not of this environment). */
  series(key: string): SeriesRef | undefined;
  virtualByName(name: string): VirtualMeterRow | undefined;
  virtualByPoint(pointId: number): VirtualMeterRow | undefined;
  /** Active virtual meters in name order. */
  virtuals(): readonly VirtualMeterRow[];
  /** A copy of this environment without one virtual meter, or with it replaced/added (definition checks). */
  with(change: { drop?: string; put?: VirtualMeterRow }): StoreEnv;
}

export const pointSeriesKey = (pointId: number, quantityCode: number): string => `point:${pointId}/${quantityCode}`;
export const virtualSeriesKey = (pointId: number): string => `virtual:${pointId}`;

export async function loadEnvSnapshot(db: VeeDb): Promise<EnvSnapshot> {
  // One after the other: `db` may be a transaction's single client (pg refuses overlapping queries on one).
  const points = await loadPointFacts(db);
  const virtuals = await listVirtualRows(db);
  return { points, virtuals };
}

export async function loadStoreEnv(db: VeeDb): Promise<StoreEnv> {
  return storeEnv(await loadEnvSnapshot(db));
}

/** The meter's channel (rows are CHECKed to C|G|QC|QG; C only if a row were ever otherwise). */
export function channelOf(v: VirtualMeterRow): ChannelName {
  return isChannelName(v.channel) ? v.channel : 'C';
}

export function storeEnv(snapshot: EnvSnapshot): StoreEnv {
  const byCode = new Map<string, PointFacts>();
  const byTag = new Map<string, PointFacts[]>();
  for (const p of snapshot.points) {
    byCode.set(p.code, p);
    if (p.kind === 'virtual') continue;
    for (const t of p.tags) {
      const l = byTag.get(t);
      if (l) l.push(p);
      else byTag.set(t, [p]);
    }
  }
  for (const l of byTag.values()) l.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const active = snapshot.virtuals
    .filter((v) => v.retiredAt === null)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const vByName = new Map(active.map((v) => [v.name, v]));
  const vByPoint = new Map(active.map((v) => [v.pointId, v]));
  const vByTag = new Map<string, VirtualMeterRow[]>();
  for (const v of active) {
    for (const t of v.tags) {
      const l = vByTag.get(t);
      if (l) l.push(v);
      else vByTag.set(t, [v]);
    }
  }
  const seriesByKey = new Map<string, SeriesRef>();

  const pointSeries = (p: PointFacts, ch: ChannelName): ResolvedSeries => {
    const qc = CHANNELS[ch].quantityCode;
    const key = pointSeriesKey(p.id, qc);
    const label = `${p.code}.${ch}`;
    if (!seriesByKey.has(key)) {
      seriesByKey.set(key, {
        kind: 'point',
        key,
        pointId: p.id,
        code: p.code,
        quantityCode: qc,
        unit: CHANNELS[ch].unit,
        label,
      });
    }
    return { kind: 'point', id: `${p.id}/${qc}`, unit: CHANNELS[ch].unit, label };
  };
  const virtualSeries = (v: VirtualMeterRow): ResolvedSeries => {
    const key = virtualSeriesKey(v.pointId);
    const label = `vm("${v.name}")`;
    if (!seriesByKey.has(key)) {
      seriesByKey.set(key, {
        kind: 'virtual',
        key,
        pointId: v.pointId,
        code: v.code,
        quantityCode: v.quantityCode,
        unit: v.unit,
        label,
        name: v.name,
      });
    }
    return { kind: 'virtual', id: v.pointId, unit: v.unit, label };
  };
  const measures = (p: PointFacts, ch: ChannelName) => p.quantityCodes.includes(CHANNELS[ch].quantityCode);

  const resolve = (ref: Reference): Resolution => {
    if (ref.kind === 'point') {
      const p = byCode.get(ref.code);
      if (!p) return null;
      if (p.kind === 'virtual') {
        const v = vByPoint.get(p.id);
        return {
          kind: 'missing',
          what: 'point',
          message: v ? `it is the virtual meter "${v.name}": write vm("${v.name}")` : 'it is a virtual point',
        };
      }
      if (!measures(p, ref.channel)) return { kind: 'missing', what: 'channel' };
      return pointSeries(p, ref.channel);
    }
    if (ref.kind === 'virtual') {
      const v = vByName.get(ref.name);
      return v ? virtualSeries(v) : null;
    }
    const pts = byTag.get(ref.name) ?? [];
    const vms = vByTag.get(ref.name) ?? [];
    if (ref.channel === null) {
      if (vms.length > 0) return { kind: 'group', id: `vm:${ref.name}`, members: vms.map(virtualSeries) };
      if (pts.length > 0) {
        return {
          kind: 'missing',
          what: 'group',
          message: `it holds points: name a channel, e.g. group("${ref.name}").C`,
        };
      }
      return null;
    }
    if (pts.length === 0) {
      if (vms.length > 0) {
        return {
          kind: 'missing',
          what: 'group',
          message: `it holds virtual meters: write group("${ref.name}") without a channel`,
        };
      }
      return null;
    }
    const ch = ref.channel;
    const members = pts.filter((p) => measures(p, ch)).map((p) => pointSeries(p, ch));
    if (members.length === 0) return { kind: 'missing', what: 'group', message: `none of its points measures ${ch}` };
    return { kind: 'group', id: `${ref.name}.${ch}`, members };
  };

  return {
    snapshot,
    resolve,
    series: (key) => seriesByKey.get(key),
    virtualByName: (name) => vByName.get(name),
    virtualByPoint: (id) => vByPoint.get(id),
    virtuals: () => active,
    with(change) {
      let virtuals = snapshot.virtuals.filter((v) => v.name !== change.drop || v.retiredAt !== null);
      if (change.put) {
        const put = change.put;
        virtuals = virtuals.filter((v) => v.id !== put.id && !(v.name === put.name && v.retiredAt === null));
        virtuals.push(put);
      }
      const points =
        change.put && !snapshot.points.some((p) => p.id === change.put!.pointId)
          ? [
              ...snapshot.points,
              { id: change.put.pointId, code: change.put.code, kind: 'virtual', tags: [], quantityCodes: [] },
            ]
          : snapshot.points;
      return storeEnv({ points, virtuals });
    },
  };
}
