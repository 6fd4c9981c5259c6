/**
 * API client of the CCEE/ONS XML exports (exportações): the history, generation and regeneration, and the
 * download link of a stored file.
 */
import { get, type Page, post, url } from './api.ts';

export interface ExportLayout {
  id: string;
  description: string;
  granularity: 'point-day' | 'point-range';
  quantityCodes: number[];
}

export interface ExportFile {
  id: number;
  layout: string;
  pointId: number;
  pointCode: string;
  dayFrom: string;
  dayTo: string;
  scope: string;
  status: 'produced' | 'failed';
  fileName: string | null;
  sha256: string | null;
  bytes: number | null;
  error: string | null;
  createdAt: string;
  createdBy: string;
  supersededBy: number | null;
  replaces: number | null;
  stale: boolean;
}

export interface ExportResult {
  layout: string;
  from: string;
  to: string;
  points: number;
  produced: {
    id: number;
    pointCode: string;
    dayFrom: string;
    dayTo: string;
    fileName: string;
    sha256: string;
    bytes: number;
  }[];
  failed: { id: number; pointCode: string; dayFrom: string; dayTo: string; message: string }[];
  skipped: { pointCode: string; dayFrom: string; dayTo: string }[];
  bytes: number;
}

export interface ExportQuery {
  layout?: string;
  point?: string;
  from?: string;
  to?: string;
  status?: 'produced' | 'failed';
  stale?: boolean;
  limit: number;
  offset: number;
}

export interface GenerateBody {
  layout: string;
  from: string;
  to: string;
  points?: string[];
  tag?: string;
  all?: boolean;
}

export const listExportLayouts = () => get<ExportLayout[]>('/exports/layouts');

export const listExports = (q: ExportQuery) =>
  get<Page<ExportFile>>('/exports', { ...q, stale: q.stale === undefined ? undefined : String(q.stale) });

export const generateExports = (body: GenerateBody) => post<ExportResult>('/exports', body);

export const regenerateExport = (id: number) => post<ExportResult>(`/exports/${id}/regenerate`, {});

export const exportFileUrl = (id: number) => url(`/exports/${id}/file`);
