/**
 * Serial transport (RS-232/RS-485 or an optical head, spec §2): 9600 8N1 by default. DTR is raised on open because
 * optical heads and some RS-232 interfaces are powered from it ([NANSEN]).
 */
import { SerialPort } from 'serialport';
import { FronteiraError } from '../domain/errors.ts';
import type { ByteTransport } from './transport.ts';

export interface SerialOptions {
  path: string;
  baudRate?: number;
  dtr?: boolean;
}

export class SerialTransport implements ByteTransport {
  private onBytes: ((b: Uint8Array) => void) | null = null;
  private onClose: ((e?: FronteiraError) => void) | null = null;
  private pending: Uint8Array[] = [];
  private ended: FronteiraError | undefined | null = null;
  private closedLocally = false;
  closed = false;

  constructor(
    readonly port: SerialPort,
    readonly label: string,
  ) {
    port.on('data', (chunk: Buffer) => {
      if (this.onBytes) this.onBytes(chunk);
      else this.pending.push(chunk);
    });
    port.on('error', (err: Error) => {
      this.finish(new FronteiraError('FRONTEIRA_E_TRANSPORT_IO', `${label}: ${err.message}`));
    });
    port.on('close', () => {
      this.finish(
        this.closedLocally ? undefined : new FronteiraError('FRONTEIRA_E_TRANSPORT_CLOSED', `${label}: port closed`),
      );
    });
  }

  private finish(error: FronteiraError | undefined): void {
    if (this.ended !== null) return;
    this.closed = true;
    this.ended = error;
    if (this.port.isOpen) this.port.close(() => {});
    const cb = this.onClose;
    if (cb) {
      this.onClose = null;
      cb(error);
    }
  }

  send(bytes: Uint8Array): void {
    if (this.closed) return;
    this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
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

export function openSerial(opts: SerialOptions): Promise<SerialTransport> {
  const baudRate = opts.baudRate ?? 9600;
  const label = `serial://${opts.path}?baud=${baudRate}`;
  return new Promise((resolve, reject) => {
    const port = new SerialPort({
      path: opts.path,
      baudRate,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      autoOpen: false,
    });
    port.open((err) => {
      if (err) {
        reject(new FronteiraError('FRONTEIRA_E_TRANSPORT_CONNECT', `${label}: cannot open port: ${err.message}`));
        return;
      }
      const t = new SerialTransport(port, label);
      if (opts.dtr === false) {
        resolve(t);
        return;
      }
      port.set({ dtr: true }, () => resolve(t)); // some pty/USB adapters refuse modem lines; that is not fatal
    });
  });
}
