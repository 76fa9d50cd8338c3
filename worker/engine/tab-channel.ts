/**
 * What the tabs of one replica tell each other over a BroadcastChannel. Every tab
 * has its own worker and merge state on the same IndexedDB; ops travel here after
 * they are durable, so a tab only merges them in memory (and catches up from the
 * log when it may have missed a message, say on becoming leader).
 */
import type { Op } from '../../src/core/op.ts'
import type { SyncStatus } from './status.ts'

export type TabMessage =
  /** Ops this tab committed: local writes (`pending`) or ops it pulled from the server. */
  | { type: 'ops'; ops: Op[]; pending: boolean }
  /** Pending ops the server acknowledged (the leader tells the others). */
  | { type: 'acked'; ids: string[] }
  /** Ops taken out of the replica (rejected or forged); the others rebuild the space. */
  | { type: 'removed'; space: string; ids: string[] }
  /** The leader's view of the connection, for every tab's status. */
  | { type: 'status'; status: SyncStatus }
  /** A tab asks the leader to sync now and answer `synced` with the same ref. */
  | { type: 'sync'; ref: string }
  | { type: 'synced'; ref: string; error?: { code: string; message: string } }

export interface TabChannel {
  post(message: TabMessage): void
  close(): void
}

export function openTabChannel(name: string, onMessage: (message: TabMessage) => void): TabChannel {
  if (typeof BroadcastChannel === 'undefined') return { post() {}, close() {} }
  const channel = new BroadcastChannel(`syncline:${name}`)
  channel.onmessage = event => onMessage(event.data as TabMessage)
  return {
    post: message => channel.postMessage(message),
    close: () => channel.close(),
  }
}
