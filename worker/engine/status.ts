/**
 * The sync status an app sees (API.md `client.status`). The leader tab's sync loop
 * owns the connection fields; every tab adds its own `leader` and counts.
 */
import type { ErrorInfo } from '../../src/core/errors.ts'

export interface Progress {
  space: string
  done: number
  total: number
}

/** What the sync loop reports (the leader's view). */
export interface SyncStatus {
  online: boolean
  connected: boolean
  lastSyncedAt: number | null
  progress: Progress | null
  error: ErrorInfo | null
  outboxOps: number
}

/** What the app sees. */
export interface Status extends SyncStatus {
  leader: boolean
  pendingOps: number
}

export const OFFLINE_STATUS: SyncStatus = {
  online: false,
  connected: false,
  lastSyncedAt: null,
  progress: null,
  error: null,
  outboxOps: 0,
}
