/**
 * The sync loop's I/O, injected so the same code runs in a browser worker (the
 * platform's `fetch`, `WebSocket` and timers) and in Node tests (the `ws` package,
 * a failing `fetch`, a wall clock that runs ahead).
 */
import { msToNs } from '../../../src/core/uhlc.ts'

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/** What the loop uses of a WebSocket: the browser's API, which the `ws` package also has. */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: unknown) => void) | null
  onerror: ((event: unknown) => void) | null
}

export type SocketConstructor = new (url: string) => SocketLike

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface SyncIo {
  fetch: FetchLike
  WebSocket: SocketConstructor
  /** The local wall clock in ns, not skew-corrected (the replica's own `wallNs`). */
  wallNs: () => bigint
  timers: Timers
  /** A number in [0, 1), for backoff jitter. */
  random: () => number
}

/** `WebSocket.OPEN` in the browser and in `ws`. */
export const SOCKET_OPEN = 1

export function defaultIo(overrides: Partial<SyncIo> = {}): SyncIo {
  return {
    fetch: overrides.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    WebSocket: overrides.WebSocket ?? (globalThis.WebSocket as unknown as SocketConstructor),
    wallNs: overrides.wallNs ?? (() => msToNs(Date.now())),
    timers: overrides.timers ?? {
      setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
      clearTimeout: handle => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
    random: overrides.random ?? Math.random,
  }
}

/** Resolves after `ms` on the injected timers. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise(resolve => timers.setTimeout(resolve, ms))
}
