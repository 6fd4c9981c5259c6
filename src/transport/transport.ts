/**
 * A byte pipe to one meter (or, in the simulator, to one reader). Transports move bytes and report the end of the
 * connection; they never look inside or reshape frames — framing is the link state machine's job, because TCP
 * splits and coalesces bytes at will and a serial line delivers whatever arrived.
 */
import type { FronteiraError } from '../domain/errors.ts';

export interface ByteTransport {
  /** Human-readable peer, e.g. 'tcp://10.0.0.5:4001' or 'serial:///dev/ttyUSB0?baud=9600'. */
  readonly label: string;
  /** Queues bytes for sending. Failures surface through the close handler, never as a throw from here. */
  send(bytes: Uint8Array): void;
  /**
   * Registers the handlers (once). Bytes arrive in arbitrary chunks. onClose is called exactly once: with no
   * argument after a local close(), with a FronteiraError when the peer or the I/O ended the connection.
   */
  setHandlers(onBytes: (bytes: Uint8Array) => void, onClose: (error?: FronteiraError) => void): void;
  /** Idempotent; releases the socket/port. */
  close(): void;
  readonly closed: boolean;
}
