/**
 * What crosses the boundaries of the service worker, in one file of types (as
 * Comlink's protocol.ts): the push answer it gives while it queues, the messages a
 * page sends it (through workbox-window's `messageSW`), and the reports it sends every
 * page. The engine's own wire (PROTOCOL.md §7) is unchanged: a queued push is the one
 * answer the server never gives, `202 {queued}`.
 */
import type { ErrorInfo } from '../../src/core/errors.ts'
import type { Op } from '../../src/core/op.ts'

/** The server's verdict on one op (PROTOCOL.md §7). */
export interface PushResult {
  id: string
  status: 'accepted' | 'duplicate' | 'rejected'
  seq?: number
  error?: ErrorInfo
}

/** The body of the `202` answer to a push the outbox took: how many of its ops it holds. */
export interface QueuedAnswer {
  queued: number
}

/** A push as the outbox keeps it: the ops, and whose session and which server they go to. */
export interface OutboxBatch {
  /** The server's base URL (the push URL without `/v1/push`). */
  server: string
  /** The device (base64url public key) whose session pushed them. */
  device: string
  ops: Op[]
}

/** An op the server rejected while no sender was waiting for the answer. */
export interface Rejection {
  server: string
  device: string
  op: Op
  error: ErrorInfo
}

/** A page introduces its replica, so the service worker can log in as its device. */
export interface HelloMessage {
  type: 'syncline:hello'
  /** The replica name: its seed is in IndexedDB `syncline:<name>`. */
  name: string
  server: string
  device: string
}

/** A page asks for a replay now (it saw `online`, or wants to drain the outbox). */
export interface ReplayMessage {
  type: 'syncline:replay'
}

/** The engine took these rejections (it pushes the ops again itself): forget them. */
export interface TakenMessage {
  type: 'syncline:taken'
  server: string
  ids: string[]
}

export type PageMessage = HelloMessage | ReplayMessage | TakenMessage

/**
 * What the service worker tells every page about one device: how many of its ops
 * are queued, what the server acknowledged since the last report, and the rejections
 * no sender has taken yet. Also the reply to `messageSW`.
 */
export interface OutboxReport {
  type: 'syncline:outbox'
  server: string
  device: string
  outboxOps: number
  acked: PushResult[]
  rejected: Rejection[]
}

export const PUSH_PATH = '/v1/push'
export const SYNC_TAG = 'syncline-outbox'

/** The server's base URL of a push URL, or undefined when `url` is no push. */
export function serverOfPush(url: string): string | undefined {
  const u = new URL(url)
  if (!u.pathname.endsWith(PUSH_PATH) || u.search) return undefined
  return u.origin + u.pathname.slice(0, -PUSH_PATH.length)
}
