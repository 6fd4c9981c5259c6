/**
 * What every stream-based transport (socket, serial port) does the same way: bytes that arrive before the handlers
 * are set are kept, the end of the connection is reported exactly once (no error after a local close, a typed error
 * otherwise), and sending after the end is a no-op.
 */
import type { FronteiraError } from '../domain/errors.ts';
import type { ByteTransport } from './transport.ts';

export abstract class StreamTransport implements ByteTransport {
  private onBytes: ((b: Uint8Array) => void) | null = null;
  private onClose: ((e?: FronteiraError) => void) | null = null;
  private pending: Uint8Array[] = [];
  private ended: FronteiraError | undefined | null = null;
  protected closedLocally = false;
  closed = false;

  constructor(readonly label: string) {}

  /** Writes to the underlying stream (only called while open). */
  protected abstract write(bytes: Uint8Array): void;
  /** Releases the underlying stream (called once, when the connection ends for any reason). */
  protected abstract release(): void;

  /** For subclasses: bytes arrived. */
  protected received(chunk: Uint8Array): void {
    if (this.onBytes) this.onBytes(chunk);
    else this.pending.push(chunk);
  }

  /** For subclasses: the stream ended (error undefined after a local close). */
  protected finish(error: FronteiraError | undefined): void {
    if (this.ended !== null) return;
    this.closed = true;
    this.ended = error;
    this.release();
    const cb = this.onClose;
    if (cb) {
      this.onClose = null;
      cb(error);
    }
  }

  send(bytes: Uint8Array): void {
    if (!this.closed) this.write(bytes);
  }

  setHandlers(onBytes: (bytes: Uint8Array) => void, onClose: (error?: FronteiraError) => void): void {
    this.onBytes = onBytes;
    this.onClose = onClose;
    const queued = this.pending;
    this.pending = [];
    for (const chunk of queued) onBytes(chunk);
    if (this.ended !== null) {
      this.onClose = null;
      onClose(this.ended);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closedLocally = true;
    this.finish(undefined);
  }
}
