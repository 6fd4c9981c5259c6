/**
 * TCP transport: a transparent serial-over-TCP modem or serial server (spec §11.1), or the simulator. Bytes are
 * passed through untouched; Nagle is off because the protocol is a ping-pong of small blocks.
 */
import net from 'node:net';
import { FronteiraError } from '../domain/errors.ts';
import { StreamTransport } from './stream-transport.ts';

export interface TcpConnectOptions {
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/** Wraps a connected socket (client side or a server's accepted socket). */
export class SocketTransport extends StreamTransport {
  constructor(
    readonly socket: net.Socket,
    label: string,
  ) {
    super(label);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.finish(
        new FronteiraError('FRONTEIRA_E_TRANSPORT_IO', `${label}: ${err.code ?? err.message}`, { cause: err.code }),
      );
    });
    socket.on('close', () => {
      this.finish(
        this.closedLocally
          ? undefined
          : new FronteiraError('FRONTEIRA_E_TRANSPORT_CLOSED', `${label}: connection closed by the peer`),
      );
    });
  }

  protected write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  protected release(): void {
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

export function connectTcp(host: string, port: number, opts: TcpConnectOptions = {}): Promise<SocketTransport> {
  const label = `tcp://${host}:${port}`;
  const timeoutMs = opts.connectTimeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let timer: NodeJS.Timeout | undefined;
    const fail = (message: string, details: Record<string, unknown> = {}) => {
      cleanup();
      socket.destroy();
      reject(
        new FronteiraError('FRONTEIRA_E_TRANSPORT_CONNECT', `${label}: ${message}`, { address: label, ...details }),
      );
    };
    const onError = (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ECONNREFUSED'
          ? 'connection refused (nothing listening, or the modem is busy)'
          : err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH'
            ? 'host unreachable'
            : err.code === 'ENOTFOUND'
              ? 'host name not found'
              : (err.code ?? err.message);
      fail(why, { errno: err.code });
    };
    const onAbort = () => fail('aborted');
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      socket.off('error', onError);
      socket.off('connect', onConnect);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const onConnect = () => {
      cleanup();
      resolve(new SocketTransport(socket, label));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    timer = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
