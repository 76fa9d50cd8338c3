/**
 * What the engine needs of a sync loop (worker/engine/sync/): the leader tab makes one
 * with its replica and hooks that tell the other tabs what happened.
 */
import type { ErrorInfo } from '../../src/core/errors.ts'
import type { Op } from '../../src/core/op.ts'
import type { Replica } from './replica.ts'
import type { SyncStatus } from './status.ts'

export interface SyncHooks {
  /** Pending ops the server acknowledged. */
  acked(ids: string[]): void
  /** Ops pulled from the server and stored. */
  pulled(ops: Op[]): void
  /** Ops taken out of the replica (rejected local ops, remote ops with bad signatures). */
  removed(space: string, ids: string[]): void
  /** A coded error for the app, with the op it concerns. */
  error(error: ErrorInfo, op?: Op): void
}

export interface SyncDriver {
  start(): void
  stop(): void
  /** Syncs this space too (a space opened by id, or just created). */
  addSpace(space: string): void
  /** New pending ops exist: push soon. */
  nudge(): void
  /** Resolves when everything pending is on the server and every space is pulled to its head. */
  sync(): Promise<void>
  onStatus(listener: (status: SyncStatus) => void): () => void
}

/** Makes the sync loop of `replica` against the server at `server` (its base URL). */
export type SyncFactory = (replica: Replica, server: string, hooks: SyncHooks) => SyncDriver
