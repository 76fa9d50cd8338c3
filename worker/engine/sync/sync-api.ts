/**
 * What the sync loop offers the engine (`SyncLoop`) and the options it takes: the
 * contract, apart from how `sync-loop.ts` keeps it.
 */
import type { AnyEd25519Backend } from '../../../src/core/ed25519.ts'
import type { Replica } from '../replica.ts'
import type { HashIds } from './id-hasher.ts'
import type { SyncIo } from './io.ts'
import type { SyncEvent, SyncStatus } from './status.ts'

export interface SyncOptions {
  replica: Replica
  /** The sync server, `https://host[:port]`. */
  url: string
  /** Ed25519 backend for checking ops from the server: WebCrypto in the browser. Default noble. */
  verifyBackend?: AnyEd25519Backend
  /** fetch, WebSocket, wall clock, timers, randomness; the platform's by default. */
  io?: Partial<SyncIo>
  /** Spaces to sync besides the ones the replica holds. */
  spaces?: readonly string[]
  /** How long `sync()` keeps trying to reach the server, ms. Default 30,000. */
  timeoutMs?: number
  /** Retry and reconnect delays, ms. Default 250 .. 30,000. */
  backoff?: { minMs?: number; maxMs?: number }
  /** How often the client pings the live socket; a socket silent that long is dropped. Default 15,000. */
  pingIntervalMs?: number
  /** Ops per pull page. Default 1,000 (one stored page). */
  pageSize?: number
  /** Ops per snapshot page (cold start). Default 5,000. */
  snapshotPageSize?: number
  /** Abort an HTTP request after this long, ms. Default 30,000. */
  requestTimeoutMs?: number
  /** Hashes the op ids of snapshot pages on another thread (`id-hasher.ts`). Default: on this one. */
  hashIds?: HashIds
  /** Snapshots of at least this many ops use `hashIds` (default HELPER_MIN_OPS). */
  helperMinOps?: number
}

export interface SyncLoop {
  /** The current status. */
  readonly status: SyncStatus
  /** Calls `listener` with every new status; returns the unsubscribe function. */
  subscribe(listener: (status: SyncStatus) => void): () => void
  /** Calls `listener` with every op taken out of the replica (and every re-stamp). */
  onEvent(listener: (event: SyncEvent) => void): () => void
  /** Syncs `space` too (a space the replica does not hold yet: cold start). */
  addSpace(space: string): void
  /** Starts syncing in the background: push, pull, live socket, reconnects. */
  start(): void
  /** Stops: closes the socket and timers (leadership moved to another tab). */
  stop(): Promise<void>
  /**
   * Resolves when every pending op is acknowledged and every space is pulled to the
   * server's head; rejects with `unavailable` when the server stays unreachable for
   * `timeoutMs`, or with the server's code for any other failure.
   */
  sync(options?: { timeoutMs?: number }): Promise<void>
  /** Resolves when the background signature checks of ops received so far are done. */
  verified(): Promise<void>
}
