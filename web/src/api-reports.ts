/**
 * Report downloads (GET /reports/:kind): fetched as a file so a refused request (400/404) shows its message instead
 * of saving an error as the report, then handed to the browser as a download under the server's file name.
 */
import { ApiError, url } from './api.ts';
import { t } from './i18n/pt-BR.ts';

export type ReportKind = 'compare' | 'completeness' | 'energy' | 'series';
export type ReportFormat = 'pdf' | 'xlsx' | 'csv';

export const REPORT_FORMATS: Record<ReportKind, ReportFormat[]> = {
  compare: ['pdf', 'xlsx', 'csv'],
  completeness: ['pdf', 'xlsx', 'csv'],
  energy: ['pdf', 'xlsx', 'csv'],
  series: ['csv'],
};

export interface ReportQuery {
  kind: ReportKind;
  format: ReportFormat;
  points?: string;
  tag?: string;
  from: string;
  to: string;
  channel?: string;
}

export function reportUrl(q: ReportQuery): string {
  const { kind, ...query } = q;
  return url(`/reports/${kind}`, query);
}

/** Downloads the report; resolves with the file name, rejects with an ApiError. */
export async function downloadReport(q: ReportQuery): Promise<string> {
  let res: Response;
  try {
    res = await fetch(reportUrl(q), { credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', t.errors.network);
  }
  if (!res.ok) {
    const e = ((await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? '');
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `relatorio.${q.format}`;
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return name;
}
