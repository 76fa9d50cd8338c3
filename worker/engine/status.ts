/**
 * The sync status an app sees (API.md `client.status`). The leader tab's sync loop
 * owns the connection fields and tells the other tabs; each tab adds whether it leads.
 */
import type { ErrorInfo } from '../../src/core/errors.ts'
import type { SyncStatus as LoopStatus, ReconcileReport } from './sync/status.ts'

export type { ReconcileReport }

export interface Progress {
  space: string
  done: number
  total: number
}

export interface Status {
  /** The server answered the last request. */
  online: boolean
  /** The live WebSocket is open. */
  connected: boolean
  /** This tab talks to the server (the others follow it). */
  leader: boolean
  /** Sync is paused by the app (`client.pause()`). */
  paused: boolean
  /** Local ops the server has not acknowledged. */
  pendingOps: number
  /** Ops the service worker holds for replay. */
  outboxOps: number
  /** Wall-clock ms when everything was last pushed and pulled. */
  lastSyncedAt: number | null
  /** A cold start or resync in progress. */
  progress: Progress | null
  /** The latest reconcile round (an integrity check on every connection): space, outcome, when. */
  lastReconcile: ReconcileReport | null
  /** The last sync error (cleared by the next success). */
  error: ErrorInfo | null
}

/** The leader's part of the status, as it travels between tabs. */
export type SharedStatus = Omit<Status, 'leader'>

export const INITIAL_STATUS: SharedStatus = {
  online: false,
  connected: false,
  paused: false,
  pendingOps: 0,
  outboxOps: 0,
  lastSyncedAt: null,
  progress: null,
  lastReconcile: null,
  error: null,
}

/** The sync loop's status in the shape tabs share (errors as plain coded values). */
export function fromLoop(status: LoopStatus, base: SharedStatus): SharedStatus {
  return {
    ...base,
    online: status.online,
    connected: status.connected,
    pendingOps: status.pendingOps,
    lastSyncedAt: status.lastSyncedAt,
    progress: status.progress,
    lastReconcile: status.lastReconcile,
    error: status.error ? { code: status.error.code, message: status.error.message } : null,
  }
}
