/**
 * Opaque secrets: session cookies and API tokens are random strings; only their SHA-256 is stored, so a leaked
 * database does not hand out live credentials.
 */
import { createHash, randomBytes } from 'node:crypto';

export const API_TOKEN_PREFIX = 'frt_';

export function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

export function newCsrfSecret(): string {
  return randomBytes(18).toString('base64url');
}

/** `frt_` + 43 base64url characters; the prefix lets secret scanners and log filters spot one. */
export function newApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function looksLikeApiToken(s: string): boolean {
  return /^frt_[A-Za-z0-9_-]{43}$/.test(s);
}
