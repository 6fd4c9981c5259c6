/**
 * Fault injection for one simulated meter. Link faults are played by the meter's protocol state machine
 * (protocols/abnt14522/meter-link.ts); transport faults by the simulator's server around it. All counts are per
 * connection unless said otherwise, so a reader that reconnects meets the same faults again.
 */
export interface MeterLinkFaults {
  /** 1-based indexes, within one connection, of response blocks sent once with a corrupted CRC (resends are good). */
  badCrcBlocks?: number[];
  /** Blocks whose every transmission is corrupted (a storm that must exhaust the reader's 7 NAKs). */
  persistentBadCrcBlocks?: number[];
  /** NAK this many good commands before accepting one (per command). */
  nakStorm?: number;
  /** Answer each command with this many WAITs (an ENQ after each) before the response. */
  waitBurst?: number;
  /** Ignore this many ACKs in the connection (the meter then re-sends ENQ and the reader must ACK again). */
  dropAcks?: number;
  /** Period of idle ENQs in ms (slow ENQ when large). */
  enqIntervalMs?: number;
  /** Never send ENQ (a dead or mis-wired meter). */
  noEnq?: boolean;
}

export interface MeterTransportFaults {
  /** Write responses in chunks of this many bytes (1 = byte by byte). */
  fragmentBytes?: number;
  /** Close the connection after sending this many response blocks. */
  disconnectAfterBlocks?: number;
  /** Refuse connections during these daily windows of meter wall-clock time ('HH:mm'-'HH:mm'). */
  unreachableDaily?: { from: string; to: string }[];
  /** Refuse connections between these instants (epoch ms). */
  unreachable?: { from: number; to: number }[];
  /** Pace writes at this line speed (bits per second, 10 bits per byte), e.g. 9600. */
  pacingBaud?: number;
}

export type MeterFaults = MeterLinkFaults & MeterTransportFaults;
