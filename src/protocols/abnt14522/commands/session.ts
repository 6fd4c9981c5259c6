/**
 * Password sessions (spec §7.10): 0x13 asks for a 10-byte seed, 0x11 sends the token computed from it. Names [C],
 * layouts [S] ([FITEC]). The token algorithm is vendor-specific and lives elsewhere; these codecs move bytes only.
 */
import type { CommandSpec, NoRequest } from './types.ts';
import { noRequest } from './types.ts';
import { requireBytes, requireInt } from './writes.ts';

export const TOKEN_LENGTH = 10;

export interface SeedResponse {
  /** Offsets 5–14. */
  seed: Uint8Array;
}

export const cmd13: CommandSpec<NoRequest, SeedResponse> = {
  code: 0x13,
  name: 'Pedido de string para cálculo de senha',
  kind: 'read',
  composite: false,
  ...noRequest,
  encodeResponse(w, res) {
    w.raw(5, requireBytes(w.context, 'seed', res.seed, TOKEN_LENGTH));
  },
  decodeResponse(r) {
    return { seed: r.raw(5, TOKEN_LENGTH) };
  },
};

export interface PasswordRequest {
  /** Offsets 4–13: the token computed from the seed ("criptografia"). */
  passwordToken: Uint8Array;
  /** Offsets 14–23: the read-password token. */
  readToken: Uint8Array;
  /** Offset 24: user number (raw byte). */
  user: number;
}

export interface PasswordResponse {
  /** Offset 5 (non-zero = accepted; the exact encoding is [S]). */
  passwordValid: boolean;
  /** Offset 6. */
  readPasswordValid: boolean;
  /** Offset 7, raw. */
  user: number;
}

export const cmd11: CommandSpec<PasswordRequest, PasswordResponse> = {
  code: 0x11,
  name: 'Envio de senha',
  kind: 'write',
  composite: false,
  encodeRequest(w, req) {
    w.raw(4, requireBytes(w.context, 'password token', req.passwordToken, TOKEN_LENGTH));
    w.raw(14, requireBytes(w.context, 'read token', req.readToken, TOKEN_LENGTH));
    w.u8(24, requireInt(w.context, 'user', req.user, 0, 255), 'user');
  },
  decodeRequest(r) {
    return { passwordToken: r.raw(4, TOKEN_LENGTH), readToken: r.raw(14, TOKEN_LENGTH), user: r.u8(24) };
  },
  encodeResponse(w, res) {
    w.u8(5, res.passwordValid ? 1 : 0);
    w.u8(6, res.readPasswordValid ? 1 : 0);
    w.u8(7, requireInt(w.context, 'user', res.user, 0, 255), 'user');
  },
  decodeResponse(r) {
    return { passwordValid: r.u8(5) !== 0, readPasswordValid: r.u8(6) !== 0, user: r.u8(7) };
  },
};
