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
    if (this.pacer.delivery === 'bytes') this.pacer.activate(this);
    // Whole frames: the pacer need only look at this channel when its first frame is due (later ones follow it).
    else if (this.items.length === 1) this.pacer.schedule(this, this.freeAt);
  }

  /** When the first queued frame has wholly crossed the line (performance.now() time). */
  get nextDueAt(): number {
    const it = this.items[0];
    return it ? it.startAt + it.bytes.length * this.pacer.byteMs : Number.POSITIVE_INFINITY;
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
  /**
   * 'frames': channels by the tick slot, floor(due / tickMs), in which their first frame is due. A tick looks only at
   * the slots that have come, not at every busy channel: thousands of links each waiting ~70–270 ms for a frame
   * would otherwise be walked at every 4 ms tick.
   */
  private readonly slots = new Map<number, PacedChannel[]>();
  /** Lowest slot that may hold channels. */
  private lowSlot = Number.POSITIVE_INFINITY;
  /** While a tick runs, its own slot: nothing may be put in a slot the tick has already passed. */
  private slotFloor = Number.NEGATIVE_INFINITY;
  /** Channels waiting in `slots`. */
  private scheduled = 0;
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
    this.start();
  }

  /** Looks at `ch` at the first tick at or after `dueAt` (performance.now() time). */
  schedule(ch: PacedChannel, dueAt: number): void {
    const slot = Math.max(Math.floor(dueAt / this.tickMs), this.slotFloor);
    const list = this.slots.get(slot);
    if (list) list.push(ch);
    else this.slots.set(slot, [ch]);
    this.scheduled++;
    if (slot < this.lowSlot) this.lowSlot = slot;
    this.start();
  }

  private start(): void {
    if (this.timer === null) {
      this.timer = setInterval(this.tick, this.tickMs);
      this.timer.unref?.();
    }
  }

  private readonly tick = (): void => {
    const now = performance.now();
    for (const ch of this.active) if (!ch.flush(now)) this.active.delete(ch);
    if (this.scheduled > 0) this.deliverSlots(now);
    if (this.active.size === 0 && this.scheduled === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  };

  private deliverSlots(now: number): void {
    const cur = Math.floor(now / this.tickMs);
    // A channel put back while this runs (its next frame, or one not quite due) waits at least for this slot.
    this.slotFloor = cur;
    for (let s = this.lowSlot; s <= cur; s++) {
      const list = this.slots.get(s);
      if (!list) continue;
      this.slots.delete(s);
      this.scheduled -= list.length;
      for (let i = 0; i < list.length; i++) {
        const ch = list[i];
        if (ch.flush(now)) this.schedule(ch, ch.nextDueAt);
      }
    }
    this.lowSlot = this.scheduled > 0 ? cur : Number.POSITIVE_INFINITY;
    this.slotFloor = Number.NEGATIVE_INFINITY;
  }
}
