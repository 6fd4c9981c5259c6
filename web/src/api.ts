/**
 * The tiny client of the REST API: same-origin fetch with the session cookie, the CSRF token (from login or /me)
 * on unsafe methods, and failures as ApiError with the API's code and a pt-BR message to show.
 */
import { t } from './i18n/pt-BR.ts';

export const API = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${t.errors.byCode[code] ?? t.errors.generic(status)}${apiMessage ? ` (${apiMessage})` : ''}`);
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrf(token: string | null): void {
  csrfToken = token;
}

/** Called when a request answers 401 (the session ended): the shell shows the login page. */
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined | null>;

export function url(path: string, query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, x);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return `${API}${path}${s ? `?${s}` : ''}`;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  query?: Query;
  body?: unknown;
  /** Raw text body with this content type (CSV upload). */
  contentType?: string;
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (opts.body !== undefined) {
    if (opts.contentType) {
      headers['content-type'] = opts.contentType;
      body = String(opts.body);
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(url(path, opts.query), { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', t.errors.network);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)
      ?.error;
    const err = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? '', e?.details ?? {});
    if (res.status === 401 && path !== '/auth/login') onUnauthorized?.();
    throw err;
  }
  return json as T;
}

export const get = <T>(path: string, query?: Query) => request<T>(path, { query });
export const post = <T>(path: string, body?: unknown, query?: Query) =>
  request<T>(path, { method: 'POST', body: body ?? {}, query });
export const patch = <T>(path: string, body: unknown) => request<T>(path, { method: 'PATCH', body });

/** Response shapes the UI reads (see /docs/json). */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Me {
  id: number;
  username: string;
  displayName: string | null;
  role: 'admin' | 'analista' | 'leitura';
  csrfToken: string | null;
}

export interface Point {
  id: number;
  code: string;
  name: string;
  kind: string;
  segment: string;
  customer: string | null;
  substation: string | null;
  voltageKv: number | null;
  tags: string[];
  timezone: string;
  status: 'active' | 'retired';
}

export interface Channel {
  id: number;
  kind: string;
  address: string;
  enabled: boolean;
  concurrencyGroup: string;
}

export interface Meter {
  id: number;
  serial: string;
  role: 'principal' | 'retaguarda';
  manufacturer: string | null;
  model: string | null;
  mmIntervalS: number;
  demandIntervalMin: number | null;
  memoryDays: number;
  tpRatio: number;
  tcRatio: number;
  channelMap: { group: number; channel: number; quantityCode: number; numerator: number; denominator: number }[];
  validFrom: string;
  validTo: string | null;
  inService: boolean;
  channels: Channel[];
}

export interface PointDetail extends Point {
  meters: Meter[];
}

export interface PointCompleteness {
  code: string;
  name: string;
  segment: string;
  slots: number;
  filled: number;
  percent: number;
  days: { day: string; slots: number; filled: number; percent: number; meters: { serial: string; role: string }[] }[];
}

export interface Gap {
  id: number;
  pointCode: string;
  meterSerial: string;
  meterRole: string;
  firstEnd: string;
  lastEnd: string;
  intervals: number;
  state: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
}

export interface GapDetail extends Gap {
  history: { at: string; action: string; sessionId: number | null; result: string | null }[];
}

export interface Session {
  id: number;
  meterSerial: string;
  meterRole: string;
  pointCode: string;
  purpose: string;
  sequence: string;
  status: 'running' | 'ok' | 'failed';
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  intervals: number;
  driftS: number | null;
  failureStep: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  warnings: string[];
}

export interface Frame {
  index: number;
  direction: 'tx' | 'rx';
  at: string;
  step: number;
  length: number;
  code: number | null;
  name: string | null;
  hex: string;
  summary: string;
  error: string | null;
}

export interface SessionDetail extends Session {
  steps: Record<string, unknown>[];
  frameCount: number;
  frames: Frame[];
}

/** GET /meters/failing: a meter whose last reads failed. */
export interface FailingMeter {
  pointCode: string;
  pointName: string;
  meterSerial: string;
  role: string;
  failures: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  lastOkAt: string | null;
  lastSessionId: number | null;
}

/** GET /points/:code/instant: a stored snapshot of what a meter reported. */
export interface MeterSnapshot {
  meterSerial: string;
  role: string;
  group: number;
  at: string;
  sessionId: number | null;
  data: Record<string, unknown>;
}

export interface PointInstant {
  point: string;
  instant: MeterSnapshot[];
  registers: MeterSnapshot[];
}

export interface MeterEvent {
  id: number;
  meterSerial: string;
  pointCode: string;
  kind: string;
  at: string;
  endedAt: string | null;
  detail: Record<string, unknown>;
  sessionId: number | null;
}

export interface Task {
  id: number;
  kind: string;
  meterSerial: string;
  status: 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
  result: Record<string, unknown> | null;
  sessionId: number | null;
}

export interface IntervalDay {
  day: string;
  intervalS: number;
  slots: number;
  firstEnd: string;
  values: (number | null)[];
  quality: string[];
}

export interface IntervalSeries {
  meterSerial?: string;
  role?: string;
  channel?: number;
  quantityCode: number | null;
  unit: string;
  days?: IntervalDay[];
}

export interface Intervals {
  point: string;
  layer: string;
  series: IntervalSeries[];
}

export interface CompareQuantity {
  quantityCode: number;
  unit: string;
  intervalS: number;
  slots: number;
  day: {
    principal: number | null;
    retaguarda: number | null;
    diff: number | null;
    pct: number | null;
    beyond: boolean;
  };
  beyond: {
    slot: number;
    end: string;
    principal: number;
    retaguarda: number;
    diff: number;
    pct: number;
    used: string;
  }[];
  principal: (number | null)[];
  retaguarda: (number | null)[];
  diff: (number | null)[];
}

export interface Compare {
  point: string;
  days: { day: string; messages: string[]; quantities: CompareQuantity[] }[];
}

export interface FinalSummary {
  quantityCode: number;
  unit: string;
  version: number;
  locked: boolean;
  energy: number;
  counts: Record<string, number>;
}

export interface Edit {
  id: number;
  quantityCode: number;
  day: string;
  firstSlot: number;
  lastSlot: number;
  kind: string;
  values: number[] | null;
  comment: string;
  createdBy: string;
  createdAt: string;
  reversedAt: string | null;
}

export interface User {
  id: number;
  username: string;
  displayName: string | null;
  role: 'admin' | 'analista' | 'leitura';
  disabled: boolean;
  lastLoginAt: string | null;
}
