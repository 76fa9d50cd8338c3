/**
 * Errors are values with codes (PROTOCOL.md §9). Every layer speaks these codes:
 * the core returns them, the server sends them as `{error:{code,message}}`, and
 * the client throws them as `SynclineError`.
 */

/** Codes an op can be rejected with, in the order validation checks them (§3). */
export const OP_ERROR_CODES = [
  'malformed',
  'bad_id',
  'bad_signature',
  'drift',
  'unknown_collection',
  'bad_action',
  'bad_field',
  'owned',
  'forbidden',
] as const
export type OpErrorCode = (typeof OP_ERROR_CODES)[number]

/** Every code: the op codes, the other codes of §9, and three that only a client or a stopping server uses. */
export type ErrorCode =
  | OpErrorCode
  /** No session, or an expired or unknown token (401). */
  | 'unauthenticated'
  /** No such route, or no such space (404). */
  | 'not_found'
  /** A collection declared differently from the space's schema (409). */
  | 'schema_conflict'
  /** A body, push, or list past a limit (413). */
  | 'too_large'
  /** Too many requests (429). */
  | 'rate_limited'
  /** The browser refused to store more (disk or quota full); nothing already written is lost. */
  | 'quota_exceeded'
  /** The server could not be reached or did not settle the request (503 when a server sends it). */
  | 'unavailable'
  /** The client is closed, or the server is shutting down (503). */
  | 'closed'

/** The wire form of an error. */
export interface ErrorInfo {
  code: ErrorCode
  message: string
}

/** An error with a code from PROTOCOL.md §9; what every Syncline API throws. */
export class SynclineError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SynclineError'
    this.code = code
  }

  toJSON(): ErrorInfo {
    return { code: this.code, message: this.message }
  }
}

/** HTTP status for each code (§9); 422 for op validation codes. */
export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case 'malformed':
      return 400
    case 'unauthenticated':
      return 401
    case 'forbidden':
      return 403
    case 'not_found':
      return 404
    case 'schema_conflict':
      return 409
    case 'too_large':
      return 413
    case 'rate_limited':
      return 429
    case 'unavailable':
    case 'closed':
      return 503
    default:
      return 422
  }
}

/** A result that is either a value or a coded error: what validation returns. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo }

export function ok<T>(value: T): Result<T> {
  return { ok: true, value }
}

export function fail<T = never>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } }
}
