/**
 * Line-speed pacing for simulated serial links (e.g. 9600 baud, 10 bits per byte): each byte leaves when the line
 * would have finished sending the ones before it. One shared ticker serves every paced channel of a process, so
 * thousands of paced sessions cost one timer, not one per byte.
 *
 * Two ways to hand the bytes on. 'bytes': whatever is due at each tick, so a block trickles out in many small pieces
 * like on a direct serial line. 'frames': each pushed frame whole, at the moment its last byte has crossed the line,
 * like a serial-to-TCP modem that packs what its UART received into one segment when the line goes quiet. The frame
 * ends at the same time either way; 'frames' costs one socket write per frame instead of one per tick, which is what
 * lets one process pace thousands of links.
 */
export type PacedDelivery = 'bytes' | 'frames';

interface Item {
  bytes: Uint8Array;
  /** performance.now() when the first byte starts on the line. */
  startAt: number;
  sent: number;
}

export class PacedChannel {
  private readonly items: Item[] = [];
  private freeAt = 0;
  closed = false;

  constructor(
    private readonly pacer: LinePacer,
    private readonly sink: (bytes: Uint8Array) => void,
  ) {}

  push(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    const now = performance.now();
    const startAt = Math.max(now, this.freeAt);
    this.freeAt = startAt + bytes.length * this.pacer.byteMs;
    this.items.push({ bytes, startAt, sent: 0 });
    this.pacer.activate(this);
  }

  /** Delivers what is due; true while bytes remain queued. */
  flush(now: number): boolean {
    while (this.items.length > 0 && !this.closed) {
      const it = this.items[0];
      const due = Math.min(it.bytes.length, Math.floor((now - it.startAt) / this.pacer.byteMs));
      if (due <= it.sent || (due < it.bytes.length && this.pacer.delivery === 'frames')) return true;
      this.sink(it.bytes.subarray(it.sent, due));
      it.sent = due;
      if (it.sent < it.bytes.length) return true;
      this.items.shift();
    }
    return false;
  }

  /** Milliseconds until everything queued has left the line. */
  drainMs(): number {
    return Math.max(0, this.freeAt - performance.now());
  }

  close(): void {
    this.closed = true;
    this.items.length = 0;
  }
}

export class LinePacer {
  /** Milliseconds per byte (10 bits: start, 8 data, stop). */
  readonly byteMs: number;
  private readonly active = new Set<PacedChannel>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    readonly baud: number,
    private readonly tickMs = 4,
    readonly delivery: PacedDelivery = 'bytes',
  ) {
    this.byteMs = 10_000 / baud;
  }

  channel(sink: (bytes: Uint8Array) => void): PacedChannel {
    return new PacedChannel(this, sink);
  }

  activate(ch: PacedChannel): void {
    this.active.add(ch);
    if (this.timer === null) {
      this.timer = setInterval(this.tick, this.tickMs);
      this.timer.unref?.();
    }
  }

  private readonly tick = (): void => {
    const now = performance.now();
    for (const ch of this.active) if (!ch.flush(now)) this.active.delete(ch);
    if (this.active.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  };
}
