/**
 * What the app sees of sync: a status object that changes (subscribe to it) and
 * events for ops that were taken out of the replica, each with the op and a coded
 * `SynclineError` (ARCHITECTURE.md: errors are values with codes, never swallowed).
 */
import type { SynclineError } from '../../../src/core/errors.ts'
import type { Op } from '../../../src/core/op.ts'
import type { ReconcileOutcome } from './reconcile.ts'

export interface SyncProgress {
  space: string
  /** Ops of the snapshot applied so far. */
  done: number
  /** Ops in the snapshot (the server's `total`). */
  total: number
}

/** The result of the latest reconcile round (PROTOCOL.md §6), run once per connection and space. */
export interface ReconcileReport {
  space: string
  /** `in-sync` (the usual), `diff` (ops exchanged), `fallback` (hash exchange), `absent` (no such space on the server yet). */
  outcome: ReconcileOutcome
  /** Wall-clock ms. */
  at: number
}

export interface SyncStatus {
  /** The server answered the last request. */
  online: boolean
  /** The live WebSocket is open. */
  connected: boolean
  /** Local ops the server has not acknowledged. */
  pendingOps: number
  /** Wall-clock ms of the last time every space was pushed and pulled to the head; null before. */
  lastSyncedAt: number | null
  /** A cold start or resync in progress. */
  progress: SyncProgress | null
  /** The latest reconcile round; null before the first. */
  lastReconcile: ReconcileReport | null
  /** The last error of the loop (cleared by the next success). */
  error: SynclineError | null
}

export type SyncEvent =
  /** A local op the server rejected (not for drift): taken out of the replica. */
  | { type: 'op-rejected'; op: Op; error: SynclineError }
  /** An op from the server whose signature (or id, or shape) failed: taken out of the replica. */
  | { type: 'op-invalid'; op: Op; error: SynclineError }
  /** A local op rejected for drift, replaced by the same change with a fresh timestamp. */
  | { type: 'op-restamped'; op: Op; fresh: Op }

export class StatusHub {
  private current: SyncStatus = {
    online: false,
    connected: false,
    pendingOps: 0,
    lastSyncedAt: null,
    progress: null,
    lastReconcile: null,
    error: null,
  }
  private readonly statusListeners = new Set<(status: SyncStatus) => void>()
  private readonly eventListeners = new Set<(event: SyncEvent) => void>()

  get status(): SyncStatus {
    return this.current
  }

  /** Merges `patch` into the status and tells subscribers when anything changed. */
  set(patch: Partial<SyncStatus>): void {
    let changed = false
    for (const key of Object.keys(patch) as (keyof SyncStatus)[]) {
      if (!Object.is(patch[key], this.current[key])) changed = true
    }
    if (!changed) return
    this.current = { ...this.current, ...patch }
    for (const listener of this.statusListeners) listener(this.current)
  }

  subscribe(listener: (status: SyncStatus) => void): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  emit(event: SyncEvent): void {
    for (const listener of this.eventListeners) listener(event)
  }

  onEvent(listener: (event: SyncEvent) => void): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }
}
