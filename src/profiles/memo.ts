/**
 * The month bodies an API process served last, kept in its memory up to a byte budget (least recently used out
 * first). It only saves moving the body: every read still asks the database for the month's current fingerprint
 * (src/store/profile-cache.ts), which then leaves the stored body out when the process already holds that very
 * version, so a body here is never served after the data behind it changed.
 */
export interface MemoEntry {
  fingerprint: string;
  gzip: Buffer;
}

export class ProfileMemo {
  private readonly entries = new Map<string, MemoEntry>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  /** The entry, now the most recently used. */
  get(key: string): MemoEntry | undefined {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  set(key: string, entry: MemoEntry): void {
    this.delete(key);
    if (entry.gzip.length > this.maxBytes) return;
    this.entries.set(key, entry);
    this.bytes += entry.gzip.length;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.gzip.length;
    }
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.gzip.length;
  }
}
