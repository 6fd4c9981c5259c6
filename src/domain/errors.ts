/**
 * The single error catalogue. Every error Fronteira raises on purpose carries a stable code from here, an HTTP
 * status (so the API can map it without a second table) and a message that names what was wrong.
 * Codes are part of the public contract: never rename one, add new ones instead.
 */
export const errorCatalogue = {
  // Protocol codec (ABNT NBR 14522)
  FRONTEIRA_E_ABNT_FRAME_LENGTH: { status: 400, title: 'Frame has the wrong length' },
  FRONTEIRA_E_ABNT_CRC: { status: 400, title: 'Frame CRC does not match' },
  FRONTEIRA_E_ABNT_BCD: { status: 400, title: 'Invalid BCD digit' },
  FRONTEIRA_E_ABNT_DATE: { status: 400, title: 'Invalid date or time' },
  FRONTEIRA_E_ABNT_UNEXPECTED_CODE: { status: 502, title: 'Unexpected response code' },
  FRONTEIRA_E_ABNT_PARAMETER: { status: 400, title: 'Invalid command parameter' },
  FRONTEIRA_E_ABNT_MASS_MEMORY: { status: 502, title: 'Inconsistent mass-memory transfer' },
  FRONTEIRA_E_ABNT_NOT_IMPLEMENTED: { status: 502, title: 'Meter does not implement the command (0x39)' },
  FRONTEIRA_E_ABNT_OCCURRENCE: { status: 502, title: 'Meter reported an occurrence (0x40)' },
  // Link layer
  FRONTEIRA_E_LINK_NO_ENQ: { status: 504, title: 'Meter sent no ENQ' },
  FRONTEIRA_E_LINK_NO_RESPONSE: { status: 504, title: 'Meter did not answer the command' },
  FRONTEIRA_E_LINK_NAK_LIMIT: { status: 502, title: 'Too many NAKs' },
  FRONTEIRA_E_LINK_CRC_LIMIT: { status: 502, title: 'Too many blocks with a bad CRC' },
  FRONTEIRA_E_LINK_WAIT_LIMIT: { status: 504, title: 'Too many WAITs' },
  FRONTEIRA_E_LINK_WAIT_TIMEOUT: { status: 504, title: 'Meter stayed silent after WAIT' },
  FRONTEIRA_E_LINK_ABORTED: { status: 502, title: 'Composite transfer aborted' },
  FRONTEIRA_E_LINK_BUSY: { status: 409, title: 'Link already has an exchange in progress' },
  FRONTEIRA_E_LINK_CONFIG: { status: 400, title: 'Invalid link or transport setting' },
  // Transport
  FRONTEIRA_E_TRANSPORT_URL: { status: 400, title: 'Invalid meter address' },
  FRONTEIRA_E_TRANSPORT_CONNECT: { status: 504, title: 'Could not connect to the meter' },
  FRONTEIRA_E_TRANSPORT_CLOSED: { status: 502, title: 'Connection closed by the peer' },
  FRONTEIRA_E_TRANSPORT_IO: { status: 502, title: 'Transport I/O error' },
  // Store and registry
  FRONTEIRA_E_STORE_UNAVAILABLE: { status: 503, title: 'Store unavailable' },
  FRONTEIRA_E_STORE_MIGRATION: { status: 500, title: 'Store migration failed' },
  FRONTEIRA_E_NOT_FOUND: { status: 404, title: 'Not found' },
  FRONTEIRA_E_CONFLICT: { status: 409, title: 'Conflicts with existing data' },
  FRONTEIRA_E_VALIDATION: { status: 400, title: 'Invalid input' },
  FRONTEIRA_E_IMPORT: { status: 400, title: 'Import rejected' },
  // Sessions, CLI and files
  FRONTEIRA_E_SESSION_SEQUENCE: { status: 400, title: 'Unknown or invalid reading sequence' },
  FRONTEIRA_E_SESSION_ABORTED: { status: 499, title: 'Session aborted' },
  FRONTEIRA_E_SESSION_WRITE_NOT_APPLIED: { status: 502, title: 'Meter acknowledged a write but did not apply it' },
  FRONTEIRA_E_CLI_ARGUMENT: { status: 400, title: 'Invalid command-line argument' },
  FRONTEIRA_E_FILE_FORMAT: { status: 400, title: 'Invalid file content' },
  FRONTEIRA_E_SIMULATOR: { status: 500, title: 'Simulator configuration error' },
  // Domain helpers
  FRONTEIRA_E_DOMAIN_ARGUMENT: { status: 400, title: 'Invalid argument to a domain helper' },
  // Virtual meters
  FRONTEIRA_E_FORMULA: { status: 400, title: 'Invalid virtual-meter formula' },
  // Exports (CCEE/ONS XML files)
  FRONTEIRA_E_EXPORT_INVALID: { status: 422, title: 'Export file not produced: data or schema check failed' },
  // API
  FRONTEIRA_E_AUTH: { status: 401, title: 'Authentication required or failed' },
  FRONTEIRA_E_FORBIDDEN: { status: 403, title: 'Not allowed for this role' },
  FRONTEIRA_E_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  FRONTEIRA_E_INTERNAL: { status: 500, title: 'Internal error' },
  FRONTEIRA_E_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class FronteiraError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FronteiraError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

export function isFronteiraError(e: unknown, code?: ErrorCode): e is FronteiraError {
  return e instanceof FronteiraError && (code === undefined || e.code === code);
}
