/**
 * What travels between the simulated replicas and the server: the same requests and
 * answers as the HTTP routes and the live socket (PROTOCOL.md §6-7), as plain JSON.
 * No object is ever shared between two actors: requests are copied through JSON when
 * sent, as the wire would, and the server builds each answer from stored rows.
 */
import type { Op } from '../../../src/core/op.ts'
import type { ReconcileRequestWire } from '../../../src/core/sketch/index.ts'
import type { PushResult } from '../sync/push.ts'

export interface SeqOp {
  seq: number
  op: Op
}

/**
 * A request of a replica: `ref` pairs it with its answer (the replica keeps what it
 * sent, as a client does); `sentNs` is the replica's wall clock when it left (skew samples).
 */
export type ToServer = { ref: number; sentNs: string } & (
  | { kind: 'push'; ops: Op[] }
  | { kind: 'pull'; space: string; after: number; live: boolean }
  | { kind: 'reconcile'; space: string; request: ReconcileRequestWire }
  | { kind: 'ids'; space: string }
  | { kind: 'fetch'; space: string; ids: string[] }
  | { kind: 'subscribe'; space: string; after: number }
)

/** The server's answers to requests, and its live messages. */
export type ToReplica =
  | { kind: 'pushed'; ref: number; results: PushResult[]; serverTime: string }
  | {
      kind: 'page'
      ref: number
      after: number
      ops: SeqOp[]
      head: number
      horizon: number
      more: boolean
      resync: boolean
      serverTime: string
    }
  | { kind: 'absent'; ref: number }
  | { kind: 'reconciled'; ref: number; reply: unknown; serverTime: string }
  | { kind: 'ids'; ref: number; ids: string[] }
  | { kind: 'fetched'; ref: number; ops: SeqOp[] }
  | { kind: 'live'; space: string; entries: SeqOp[] }
  | { kind: 'resync'; space: string }

/** A message in flight on one replica's link, for the incarnation of the replica that sent or will get it. */
export interface Envelope<T> {
  id: number
  replica: number
  incarnation: number
  body: T
}

export function wireCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** One line for the trace. */
export function describe(body: ToServer | ToReplica): string {
  switch (body.kind) {
    case 'push':
      return `push ${body.ops.length} ops`
    case 'pull':
      return `pull after ${body.after}${body.live ? ' live' : ''}`
    case 'subscribe':
      return `subscribe after ${body.after}`
    case 'fetch':
      return `fetch ${body.ids.length} ids`
    case 'pushed':
      return `pushed [${body.results.map(r => `${r.id.slice(0, 8)} ${r.status === 'rejected' ? r.error?.code : `${r.status} ${r.seq}`}`).join(', ')}]`
    case 'page':
      return `page after ${body.after} ${body.ops.map(o => o.seq).join(',')} head ${body.head}${body.more ? ' more' : ''}${body.resync ? ' resync' : ''}`
    case 'live':
      return `live ${body.entries.map(o => o.seq).join(',')}`
    case 'reconciled':
      return `reconciled ${(body.reply as { status?: string }).status}`
    default:
      return body.kind
  }
}
