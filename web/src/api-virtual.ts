/**
 * API client of the virtual meters (medidores virtuais) and the summaries (resumos): response shapes and the calls
 * the two pages make. A preview answers in the interval JSON's day shape, so series.ts toTyped draws it.
 */
import { get, type IntervalDay, type Page, patch, post, request, url } from './api.ts';

export const VIRTUAL_CHANNELS = ['C', 'G', 'QC', 'QG'] as const;
export type VirtualChannel = (typeof VIRTUAL_CHANNELS)[number];

export interface VirtualInput {
  kind: 'point' | 'virtual';
  /** Point code of the input's series (the virtual meter's own point for kind 'virtual'). */
  code: string;
  quantityCode: number;
  /** As the formula names it: CODE.C or vm("name"). */
  label: string;
  name?: string;
  intervalsUrl: string;
}

export interface VirtualMeter {
  id: number;
  name: string;
  /** Code of the virtual point holding the results (its page shows them like any point's). */
  code: string;
  channel: VirtualChannel;
  quantityCode: number;
  unit: string;
  formula: string;
  description: string | null;
  tags: string[];
  segment: string;
  version: number;
  status: 'active' | 'retired';
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  retiredAt: string | null;
  intervalsUrl: string;
}

export interface VirtualMeterDetail extends VirtualMeter {
  inputs: VirtualInput[];
  groups: string[];
  dependents: string[];
  history: {
    version: number;
    formula: string;
    channel: string;
    description: string | null;
    tags: string[];
    at: string;
    by: string;
    comment: string | null;
  }[];
  problem: string | null;
}

export interface PreviewDay extends IntervalDay {
  /** Index into inputs of the input that made the slot non-actual; null when actual or none. */
  reasonInput: (number | null)[];
}

export interface Preview {
  unit: string;
  channel: VirtualChannel | null;
  resolution: '5min' | 'hour';
  from: string;
  to: string;
  inputs: VirtualInput[];
  days: PreviewDay[];
  total: number | null;
  counts: Record<string, number>;
  divZeroCount: number;
}

export interface ComputeReport {
  name: string;
  from: string;
  to: string;
  meters: number;
  pointDays: number;
  changed: number;
  unchanged: number;
  staleLocked: number;
}

export interface VirtualMeterInput {
  name?: string;
  channel?: VirtualChannel;
  formula?: string;
  description?: string | null;
  tags?: string[];
  segment?: string;
  comment?: string;
}

export const listVirtualMeters = (status: 'active' | 'retired' | 'all' = 'active') =>
  get<Page<VirtualMeter>>('/virtual-meters', { status, limit: 1000 });
export const getVirtualMeter = (name: string) => get<VirtualMeterDetail>(`/virtual-meters/${encodeURIComponent(name)}`);
export const createVirtualMeter = (body: VirtualMeterInput) => post<VirtualMeterDetail>('/virtual-meters', body);
export const updateVirtualMeter = (name: string, body: VirtualMeterInput) =>
  patch<VirtualMeterDetail>(`/virtual-meters/${encodeURIComponent(name)}`, body);
export const retireVirtualMeter = (name: string, comment?: string) =>
  request<VirtualMeter>(`/virtual-meters/${encodeURIComponent(name)}`, { method: 'DELETE', query: { comment } });
export const computeVirtualMeter = (name: string, from: string, to: string) =>
  post<ComputeReport>(`/virtual-meters/${encodeURIComponent(name)}/compute`, { from, to });

/** The request of a live preview (the page drops answers to text the user has typed past). */
export const previewFormula = (body: {
  formula: string;
  channel: VirtualChannel;
  from: string;
  to: string;
  name?: string;
}) => post<Preview>('/virtual-meters/preview', body);

// ---------------------------------------------------------------------------------------------------------------
// Summaries

export type SummaryBy = 'segment' | 'tag';
export type SummaryResolution = 'hour' | 'day' | 'month';

/** Totals of one group and channel over a period (or the whole range), with the completeness of the inputs. */
export interface SummaryFigures {
  group: string;
  channel: string;
  quantityCode: number;
  unit: string;
  energy: number;
  expectedSlots: number;
  actual: number;
  substituted: number;
  estimated: number;
  manual: number;
  missing: number;
  /** 0…1 */
  completeness: number;
  points: number;
}

export interface SummaryRow extends SummaryFigures {
  /** YYYY-MM, YYYY-MM-DD or the hour start YYYY-MM-DDTHH:00-03:00. */
  period: string;
  pointsWithData: number;
  pointsWithoutData: number;
}

export interface Summary {
  by: SummaryBy;
  name: string | null;
  resolution: SummaryResolution;
  from: string;
  to: string;
  channels: string[];
  includeVirtual: boolean;
  totals: SummaryFigures[];
  rows: SummaryRow[];
}

export interface SummaryQuery {
  by: SummaryBy;
  /** One segment or tag; empty = every group. */
  name?: string;
  resolution: SummaryResolution;
  from: string;
  to: string;
  /** 'C,G'…; empty = all. */
  channels?: string;
  includeVirtual?: boolean;
}

export const getSummary = (q: SummaryQuery) => get<Summary>('/summaries', { ...q });
export const summaryUrl = (q: SummaryQuery, format: 'csv' | 'xlsx') => url('/summaries', { ...q, format });
