/**
 * The process side of line leases (store/leases.ts): a session asks for its keys (its line and its meter) and gets
 * all of them or none. Requests and releases made in the same tick go to the database as one statement each, and one
 * timer renews everything this process holds, so leasing costs a few statements per batch of sessions rather than
 * several per session. Releases run before acquisitions in each round, so a key handed from one session to the next
 * in this process is never deleted after being taken again.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../logging.ts';
import { releaseAllLeases, releaseLeases, renewLeases, tryAcquireLeases } from '../store/leases.ts';
import type { Db } from '../store/registry.ts';

export interface LeaseClient {
  /** All keys or none: true when every key is now held by this process. */
  acquire(keys: string[]): Promise<boolean>;
  release(keys: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface LineLeasesOptions {
  /** Identifies this process in line_lease (default host:pid:random). */
  holder?: string;
  /** Lease lifetime without renewal (default 60 s): how long a crashed process blocks its lines. */
  ttlMs?: number;
  /** Renewal period (default ttl / 3). */
  renewEveryMs?: number;
  logger?: Logger;
}

export const lineKey = (group: string): string => `line:${group}`;
export const meterKey = (meterId: number): string => `meter:${meterId}`;

interface AcquireRequest {
  keys: string[];
  resolve: (ok: boolean) => void;
  reject: (e: unknown) => void;
}

interface ReleaseRequest {
  keys: string[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function defaultHolder(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export class LineLeases implements LeaseClient {
  readonly holder: string;
  readonly ttlMs: number;
  private readonly held = new Set<string>();
  private acquires: AcquireRequest[] = [];
  private releases: ReleaseRequest[] = [];
  private draining: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private renewing = false;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly opts: LineLeasesOptions = {},
  ) {
    this.holder = opts.holder ?? defaultHolder();
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.timer = setInterval(() => void this.renew(), opts.renewEveryMs ?? Math.max(50, this.ttlMs / 3));
    this.timer.unref();
  }

  /** Keys this process holds now. */
  get heldKeys(): string[] {
    return [...this.held];
  }

  acquire(keys: string[]): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve, reject) => {
      this.acquires.push({ keys, resolve, reject });
      this.kick();
    });
  }

  release(keys: string[]): Promise<void> {
    for (const k of keys) this.held.delete(k);
    return new Promise((resolve, reject) => {
      this.releases.push({ keys, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.releases.length > 0 || this.acquires.length > 0) {
        const releases = this.releases;
        this.releases = [];
        if (releases.length > 0) {
          try {
            await releaseLeases(
              this.db,
              releases.flatMap((r) => r.keys),
              this.holder,
            );
            for (const r of releases) r.resolve();
          } catch (e) {
            for (const r of releases) r.reject(e);
          }
        }
        const acquires = this.acquires;
        this.acquires = [];
        if (acquires.length > 0) {
          let got: Set<string>;
          try {
            got = new Set(
              await tryAcquireLeases(
                this.db,
                acquires.flatMap((a) => a.keys),
                this.holder,
                this.ttlMs,
              ),
            );
          } catch (e) {
            for (const a of acquires) a.reject(e);
            continue;
          }
          const giveBack: string[] = [];
          for (const a of acquires) {
            if (a.keys.every((k) => got.has(k))) {
              for (const k of a.keys) this.held.add(k);
              a.resolve(true);
            } else {
              giveBack.push(...a.keys.filter((k) => got.has(k)));
              a.resolve(false);
            }
          }
          if (giveBack.length > 0) this.releases.push({ keys: giveBack, resolve: () => {}, reject: () => {} });
        }
      }
    } finally {
      this.draining = null;
    }
  }

  /** Resolves when every request made so far has reached the database. */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Renews now instead of at the next timer tick. */
  renewNow(): Promise<void> {
    return this.renew();
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    try {
      const keys = [...this.held];
      const kept = new Set(await renewLeases(this.db, keys, this.holder, this.ttlMs));
      const lost = keys.filter((k) => !kept.has(k) && this.held.has(k));
      if (lost.length > 0) {
        // Only after our lease expired and another process took the line: the database was unreachable too long.
        this.opts.logger?.warn({ lost }, 'line leases lost while held (renewal came too late)');
      }
    } catch (e) {
      this.opts.logger?.warn({ err: e }, 'line lease renewal failed');
    } finally {
      this.renewing = false;
    }
  }

  /** Stops renewing and gives back every lease of this holder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    while (this.draining) await this.draining;
    this.held.clear();
    await releaseAllLeases(this.db, this.holder).catch((e) => {
      this.opts.logger?.warn({ err: e }, 'could not release line leases at close (they will expire)');
    });
  }
}

/** Leases for a single process with no database (tests and one-shot tools): every acquire succeeds. */
export const localLeases: LeaseClient = {
  acquire: async () => true,
  release: async () => {},
  close: async () => {},
};
