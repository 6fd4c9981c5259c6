import { Type } from '@sinclair/typebox';
import { collectStream as collect } from '../../domain/collect-stream.ts';
import type { ManualEdit } from '../../store/vee-edits.ts';
import type { FinalVersion } from '../../store/vee-final.ts';
import type { PointDayComparison } from '../../vee/compare.ts';
import {
  type ComparisonLevel,
  type ComparisonRow,
  writeComparisonCsv,
  writeComparisonXlsx,
} from '../../vee/compare-report.ts';
import type { FinalDay } from '../../vee/types.ts';
import { QUALITY_NAMES } from '../../vee/types.ts';
import { NumOrNull } from '../schemas.ts';
import { Iso, iso, isoOf, OrNull } from '../views/common.ts';

export const EditSchema = Type.Object({
  id: Type.Integer(),
  pointId: Type.Integer(),
  quantityCode: Type.Integer(),
  day: Type.String(),
  firstSlot: Type.Integer(),
  lastSlot: Type.Integer(),
  kind: Type.String(),
  values: OrNull(Type.Array(Type.Number())),
  comment: Type.String(),
  createdBy: Type.String(),
  createdAt: Iso,
  reversedAt: OrNull(Iso),
  reversedBy: OrNull(Type.String()),
  reverseComment: OrNull(Type.String()),
});

export function editView(e: ManualEdit) {
  return {
    id: e.id,
    pointId: e.pointId,
    quantityCode: e.quantityCode,
    day: e.day,
    firstSlot: e.firstSlot,
    lastSlot: e.lastSlot,
    kind: e.kind,
    values: e.values,
    comment: e.comment,
    createdBy: e.createdBy,
    createdAt: isoOf(new Date(e.createdAt)),
    reversedAt: e.reversedAt === null ? null : isoOf(new Date(e.reversedAt)),
    reversedBy: e.reversedBy,
    reverseComment: e.reverseComment,
  };
}

export const QualityCountsSchema = Type.Object({
  N: Type.Integer(),
  A: Type.Integer(),
  S: Type.Integer(),
  E: Type.Integer(),
  M: Type.Integer(),
});

export function countsOf(f: FinalDay) {
  const c = { N: 0, A: 0, S: 0, E: 0, M: 0 };
  for (let k = 0; k < f.slots; k++) c[QUALITY_NAMES[f.quality[k]] ?? 'N']++;
  return c;
}

export const FinalSummarySchema = Type.Object({
  quantityCode: Type.Integer(),
  unit: Type.String(),
  version: Type.Integer(),
  locked: Type.Boolean(),
  energy: Type.Number(),
  counts: QualityCountsSchema,
});

export function finalSummaryView(f: FinalDay) {
  let energy = 0;
  for (let k = 0; k < f.slots; k++) if (!Number.isNaN(f.value[k])) energy += f.value[k];
  return {
    quantityCode: f.quantityCode,
    unit: f.unit,
    version: f.version,
    locked: f.locked,
    energy,
    counts: countsOf(f),
  };
}

export const VersionSchema = Type.Object({
  id: Type.Integer(),
  version: Type.Integer(),
  current: Type.Boolean(),
  cause: Type.String(),
  createdAt: Iso,
  supersededAt: OrNull(Iso),
  lockedAt: OrNull(Iso),
  lockedBy: OrNull(Type.String()),
  counts: QualityCountsSchema,
});

export function versionView(v: FinalVersion) {
  return {
    id: v.id,
    version: v.version,
    current: v.current,
    cause: v.cause,
    createdAt: isoOf(v.createdAt),
    supersededAt: iso(v.supersededAt),
    lockedAt: iso(v.lockedAt),
    lockedBy: v.lockedBy,
    counts: countsOf(v.final),
  };
}

const numOrNull = (x: number) => (Number.isNaN(x) ? null : x);

/** A type list rather than anyOf: the serializer checks it with typeof instead of validating each element. */

export const ComparisonDaySchema = Type.Object({
  day: Type.String(),
  messages: Type.Array(Type.String()),
  quantities: Type.Array(
    Type.Object({
      quantityCode: Type.Integer(),
      unit: Type.String(),
      intervalS: Type.Integer(),
      slots: Type.Integer(),
      day: Type.Object({
        principal: NumOrNull,
        retaguarda: NumOrNull,
        diff: NumOrNull,
        pct: NumOrNull,
        beyond: Type.Boolean(),
        compared: Type.Integer(),
        missingPrincipal: Type.Integer(),
        missingRetaguarda: Type.Integer(),
      }),
      longestBeyondHours: Type.Integer(),
      usedCounts: Type.Record(Type.String(), Type.Integer()),
      hours: Type.Array(
        Type.Object({
          hour: Type.String(),
          principal: NumOrNull,
          retaguarda: NumOrNull,
          diff: NumOrNull,
          pct: NumOrNull,
          beyond: Type.Boolean(),
          compared: Type.Integer(),
          slots: Type.Integer(),
        }),
      ),
      beyond: Type.Array(
        Type.Object({
          slot: Type.Integer(),
          end: Type.String(),
          principal: Type.Number(),
          retaguarda: Type.Number(),
          diff: Type.Number(),
          pct: Type.Number(),
          used: Type.String(),
        }),
      ),
      principal: Type.Array(NumOrNull),
      retaguarda: Type.Array(NumOrNull),
      diff: Type.Array(NumOrNull),
    }),
  ),
});

export function comparisonDayView(c: PointDayComparison) {
  return {
    day: c.day,
    messages: c.messages,
    quantities: c.quantities.map((q) => ({
      quantityCode: q.quantityCode,
      unit: q.unit,
      intervalS: q.intervalS,
      slots: q.slots,
      day: q.day,
      longestBeyondHours: q.longestBeyondHours,
      usedCounts: q.usedCounts,
      hours: q.hours,
      beyond: q.beyond,
      principal: Array.from(q.principal, numOrNull),
      retaguarda: Array.from(q.retaguarda, numOrNull),
      diff: Array.from(q.diff, numOrNull),
    })),
  };
}

export function comparisonCsv(rows: readonly ComparisonRow[], level: ComparisonLevel): Promise<Buffer> {
  return collect((out) => writeComparisonCsv(rows, out, { level }));
}

export function comparisonXlsx(rows: readonly ComparisonRow[]): Promise<Buffer> {
  return collect((out) => writeComparisonXlsx(rows, out));
}
