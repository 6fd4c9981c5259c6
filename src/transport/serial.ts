/**
 * Serial transport (RS-232/RS-485 or an optical head, spec §2): 9600 8N1 by default. DTR is raised on open because
 * optical heads and some RS-232 interfaces are powered from it ([NANSEN]).
 */
import { SerialPort } from 'serialport';
import { FronteiraError } from '../domain/errors.ts';
import { StreamTransport } from './stream-transport.ts';

export interface SerialOptions {
  path: string;
  baudRate?: number;
  dtr?: boolean;
}

export class SerialTransport extends StreamTransport {
  constructor(
    readonly port: SerialPort,
    label: string,
  ) {
    super(label);
    port.on('data', (chunk: Buffer) => this.received(chunk));
    port.on('error', (err: Error) => {
      this.finish(new FronteiraError('FRONTEIRA_E_TRANSPORT_IO', `${label}: ${err.message}`));
    });
    port.on('close', () => {
      this.finish(
        this.closedLocally ? undefined : new FronteiraError('FRONTEIRA_E_TRANSPORT_CLOSED', `${label}: port closed`),
      );
    });
  }

  protected write(bytes: Uint8Array): void {
    this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  protected release(): void {
    if (this.port.isOpen) this.port.close(() => {});
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
