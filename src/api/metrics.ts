/**
 * Prometheus metrics for /metrics: Node process defaults, HTTP request durations by route and status, and
 * Fronteira gauges computed from the store when scraped (so they cost nothing between scrapes).
 */
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/pool.ts';

export interface ApiMetrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

async function count(store: Store, sql: string): Promise<number> {
  const r = await store.pool.query<{ n: string | number }>(sql);
  return Number(r.rows[0]?.n ?? 0);
}

export function createMetrics(store: Store): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = new Histogram({
    name: 'fronteira_http_request_duration_seconds',
    help: 'API request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
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
  };
}
