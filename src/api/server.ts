/**
 * The API over HTTP for `fronteira serve` / `start`: builds the app on the platform's store (and engine, for "read
 * now" and tasks) and listens. `--http-port` / `--http-host` are declared here so both commands share them.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { Engine } from '../collect/engine.ts';
import { FronteiraError } from '../domain/errors.ts';
import type { Logger } from '../logging.ts';
import type { Store } from '../store/pool.ts';
import { buildApp, DEFAULT_PROFILE_MEMORY_MB } from './app.ts';

export interface ApiServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default 127.0.0.1: exposing the API on a network is a choice (`--http-host 0.0.0.0`). */
  host?: string;
  engine?: Engine;
  logger?: Logger | false;
  /**
   * Secure flag of the session cookie. Default: true except when listening on loopback, where browsers are reached
   * over plain http://localhost; behind a TLS reverse proxy keep it true.
   */
  cookieSecure?: boolean;
  trustProxy?: boolean | string;
  /** Memory for the month bodies served last, MB (default 256; 0 for none). */
  profileMemoryMb?: number;
}

export interface ApiServer {
  /** http://host:port, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function startApiServer(store: Store, opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = await buildApp({
    store,
    engine: opts.engine,
    logger: opts.logger,
    cookieSecure: opts.cookieSecure ?? !LOOPBACK.has(host),
    trustProxy: opts.trustProxy,
    profileMemoryMb: opts.profileMemoryMb,
  });
  try {
    await app.listen({ port: opts.port, host });
  } catch (e) {
    await app.close().catch(() => {});
    throw new FronteiraError(
      'FRONTEIRA_E_UNAVAILABLE',
      `API cannot listen on ${host}:${opts.port}: ${(e as Error).message}`,
      { host, port: opts.port },
      { cause: e },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { url: `http://${shown}:${port}`, close: () => app.close() };
}

function portOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

export interface HttpFlags {
  httpPort?: number;
  httpHost: string;
}

/** `--http-port <n>` (no API without it) and `--http-host <addr>` (default 127.0.0.1). */
export function addHttpOptions(cmd: Command): Command {
  return cmd
    .option('--http-port <n>', 'serve the REST API and web UI on this port (default: no API)', portOption)
    .option('--http-host <addr>', 'address the API listens on', '127.0.0.1')
    .option(
      '--profile-memory-mb <n>',
      'memory for the stored month profiles this API process served last, MB (0 = none)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65_536) {
          throw new FronteiraError('FRONTEIRA_E_VALIDATION', `--profile-memory-mb: '${v}' is not 0–65536`, {
            flag: '--profile-memory-mb',
          });
        }
        return n;
      },
      DEFAULT_PROFILE_MEMORY_MB,
    );
}
