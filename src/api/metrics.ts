/**
 * Prometheus metrics for /metrics: Node process defaults, HTTP request durations by route and status, and
 * Fronteira gauges computed from the store when scraped (so they cost nothing between scrapes).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ProfileMemo } from '../profiles/memo.ts';
import type { Store } from '../store/pool.ts';

export interface ApiMetrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** A whole-month answer (src/profiles/month-cache.ts) and where its body came from. */
  observeMonthProfile(layer: string, source: 'memory' | 'stored' | 'built'): void;
}

async function count(store: Store, sql: string): Promise<number> {
  const r = await store.pool.query<{ n: string | number }>(sql);
  return Number(r.rows[0]?.n ?? 0);
}

export function createMetrics(store: Store, memo?: ProfileMemo): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = new Histogram({
    name: 'fronteira_http_request_duration_seconds',
    help: 'API request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const profiles = new Counter({
    name: 'fronteira_month_profile_answers_total',
    help: "Whole-month 5-min answers by layer and where the body came from: this process's memory, the stored copy, or built from the data",
    labelNames: ['layer', 'source'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'fronteira_month_profile_memory_bytes',
    help: 'Month bodies kept in this API process (src/profiles/memo.ts)',
    registers: [registry],
    collect() {
      this.set(memo?.usedBytes ?? 0);
    },
  });
  new Gauge({
    name: 'fronteira_open_gaps',
    help: 'Gaps not yet recovered or given up (pending or retrying)',
    registers: [registry],
    async collect() {
      this.set(await count(store, "SELECT count(*) AS n FROM gap WHERE state IN ('pending', 'retrying')"));
    },
  });
  new Gauge({
    name: 'fronteira_open_gap_intervals',
    help: 'Intervals inside open gaps',
    registers: [registry],
    async collect() {
      this.set(
        await count(store, "SELECT coalesce(sum(intervals), 0) AS n FROM gap WHERE state IN ('pending', 'retrying')"),
      );
    },
  });
  new Gauge({
    name: 'fronteira_vee_dirty_point_days',
    help: 'Point-days waiting for VEE to run',
    registers: [registry],
    async collect() {
      this.set(await count(store, 'SELECT count(*) AS n FROM vee_dirty'));
    },
  });
  new Gauge({
    name: 'fronteira_tasks_pending',
    help: 'Tasks requested and not yet finished',
    registers: [registry],
    async collect() {
      this.set(await count(store, "SELECT count(*) AS n FROM task WHERE status IN ('pending', 'running')"));
    },
  });
  new Gauge({
    name: 'fronteira_failing_meters',
    help: 'Meters whose last collection attempts failed',
    registers: [registry],
    async collect() {
      this.set(await count(store, 'SELECT count(*) AS n FROM meter_collect_state WHERE failures > 0'));
    },
  });
  return {
    registry,
    observeRequest(method, route, status, seconds) {
      http.observe({ method, route, status: String(status) }, seconds);
    },
    observeMonthProfile(layer, source) {
      profiles.inc({ layer, source });
    },
  };
}
