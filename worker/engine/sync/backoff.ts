/**
 * Reconnect and retry delays: exponential with jitter, capped, reset on success.
 * "Equal jitter" (half fixed, half random) keeps a floor under each delay, so a flapping
 * server is not hammered, while many clients coming back at once still spread out.
 */

export interface BackoffOptions {
  /** First delay, ms. Default 250. */
  minMs?: number
  /** Largest delay, ms. Default 30,000. */
  maxMs?: number
  /** A number in [0, 1). */
  random?: () => number
}

export interface Backoff {
  /** The delay before the next attempt, ms; each call doubles the base up to the cap. */
  next(): number
  /** After a success: the next delay starts from the minimum again. */
  reset(): void
  /** Failures since the last reset. */
  readonly attempts: number
}

export function createBackoff(options: BackoffOptions = {}): Backoff {
  const minMs = options.minMs ?? 250
  const maxMs = Math.max(minMs, options.maxMs ?? 30_000)
  const random = options.random ?? Math.random
  let attempts = 0
  return {
    next() {
      const base = Math.min(maxMs, minMs * 2 ** Math.min(attempts, 30))
      attempts++
      return Math.round(base / 2 + (random() * base) / 2)
    },
    reset() {
      attempts = 0
    },
    get attempts() {
      return attempts
    },
  }
}
