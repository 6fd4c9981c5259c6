import type { FieldReader, FieldWriter } from '../fields.ts';

/**
 * One command of the catalogue (spec §6): how its request payload and its response data are laid out, both ways,
 * so the reader (encode request / decode response) and the simulator (decode request / encode response) share one
 * definition. Decoders read whole frames through a FieldReader (offsets as in the spec); encoders fill a zeroed
 * frame through a FieldWriter. Code, serials and CRC are handled by frame.ts.
 */
export interface CommandSpec<Req, Res> {
  code: number;
  /** Name in the standard's Portuguese. */
  name: string;
  /** 'read' has no side effect; 'write' alters the meter; 'read-reset' reads and performs a demand reset (0x20). */
  kind: 'read' | 'write' | 'read-reset';
  /** Answered with several blocks (0x26, 0x27, 0x52). */
  composite: boolean;
  encodeRequest(w: FieldWriter, req: Req): void;
  decodeRequest(r: FieldReader): Req;
  encodeResponse(w: FieldWriter, res: Res): void;
  decodeResponse(r: FieldReader): Res;
}

/** A coded enum value: the raw code always, its meaning when the code is known. */
export interface Coded<N extends string = string> {
  code: number;
  name: N | null;
}

export function coded<N extends string>(code: number, names: Readonly<Record<number, N>>): Coded<N> {
  return { code, name: names[code] ?? null };
}

export type NoRequest = Record<string, never>;

export const noRequest = {
  encodeRequest(): void {},
  decodeRequest(): NoRequest {
    return {};
  },
};
