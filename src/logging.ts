/**
 * Structured logs (pino). JSON lines for machines by default; pino-pretty for people when stdout is a terminal or
 * FRONTEIRA_LOG_PRETTY=1. Password fields are redacted wherever they appear in logged objects (a channel row, a
 * task's params), because a collector logs registry rows routinely and a leaked meter password is hard to rotate.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** pino level; default FRONTEIRA_LOG_LEVEL or 'info'. */
  level?: string;
  /** Human output; default: stdout is a TTY or FRONTEIRA_LOG_PRETTY=1 (FRONTEIRA_LOG_PRETTY=0 forces JSON). */
  pretty?: boolean;
  /** Where lines go (default stdout); tests pass a stream to capture them. */
  destination?: DestinationStream;
}

/** Paths pino censors: a password key at the top or up to three objects deep. */
export const REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  '*.*.password',
  '*.*.*.password',
  'passwd',
  '*.passwd',
  'secret',
  '*.secret',
  '*.*.secret',
];

function wantsPretty(opts: LoggerOptions): boolean {
  if (opts.pretty !== undefined) return opts.pretty;
  const env = process.env.FRONTEIRA_LOG_PRETTY;
  if (env === '1' || env === 'true') return true;
  if (env === '0' || env === 'false') return false;
  return opts.destination === undefined && process.stdout.isTTY === true;
}

export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  const options = {
    name,
    level: opts.level ?? process.env.FRONTEIRA_LOG_LEVEL ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  };
  if (wantsPretty(opts)) {
    // In-process and synchronous: a worker-thread transport would lose the last lines when a CLI exits quickly.
    const stream = pretty({
      colorize: opts.destination === undefined && process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      sync: true,
      destination: opts.destination ?? 1,
    });
    return pino(options, stream);
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything (library defaults, tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
