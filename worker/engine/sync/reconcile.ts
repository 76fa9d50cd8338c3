/**
 * The reconcile round on every (re)connect (PROTOCOL.md §6), an integrity check that
 * usually answers `in-sync` in one round trip: the replica's live op set against the
 * server's, by set sketch. A `diff` brings the live ops the replica lacks and names
 * the ones the server lacks (say, a replica whose pending set was lost), which are
 * pushed; a decode that fails asks for a larger sketch, and past what the replica
 * keeps, the round falls back to the hash exchange (`ids` pages, then `fetch`).
 */
import { SynclineError } from '../../../src/core/errors.ts'
import type { Op } from '../../../src/core/op.ts'
import {
  buildReconcileRequest,
  nextReconcileStep,
  parseReconcileReply,
} from '../../../src/core/sketch/index.ts'
import type { Replica } from '../replica.ts'
import type { HttpClient } from './http.ts'
import type { Pusher } from './push.ts'

export type ReconcileOutcome = 'in-sync' | 'diff' | 'fallback' | 'absent'

export interface ReconcileDeps {
  http: HttpClient
  replica: Replica
  pusher: Pusher
  /** Stores and merges ops from the server (no cursor change) and queues their checks. */
  applyOps(space: string, ops: Op[]): Promise<void>
}

/** Ids per `fetch` request (the server's default limit is 10,000). */
const FETCH_IDS = 1000

export async function reconcileSpace(deps: ReconcileDeps, space: string): Promise<ReconcileOutcome> {
  const summary = deps.replica.summary(space)
  const path = `/v1/spaces/${encodeURIComponent(space)}`
  let request = buildReconcileRequest(summary)
  for (;;) {
    let body: unknown
    try {
      body = (await deps.http.json('POST', `${path}/reconcile`, request)).body
    } catch (error) {
      if (error instanceof SynclineError && error.code === 'not_found') return 'absent'
      throw error
    }
    const reply = parseReconcileReply(body)
    if (!reply.ok) throw new SynclineError(reply.error.code, reply.error.message)
    const step = nextReconcileStep(reply.value, summary, request.cells)
    switch (step.action) {
      case 'done':
        return 'in-sync'
      case 'apply': {
        await deps.applyOps(space, step.ops as Op[])
        await pushServerLacks(deps, space, step.serverLacks)
        return 'diff'
      }
      case 'retry':
        request = step.request
        continue
      case 'fallback':
        await hashExchange(deps, space, path)
        return 'fallback'
    }
  }
}

async function pushServerLacks(deps: ReconcileDeps, space: string, ids: readonly string[]): Promise<void> {
  const ops: Op[] = []
  for (const id of ids) {
    const op = deps.replica.liveOp(space, id)
    if (op) ops.push(op)
  }
  if (ops.length) await deps.pusher.pushOps(ops)
}

/** The fallback: compare live op ids page by page, fetch what is missing here, push what is missing there. */
async function hashExchange(deps: ReconcileDeps, space: string, path: string): Promise<void> {
  const serverIds = new Set<string>()
  let after: string | undefined
  for (;;) {
    const page = (
      await deps.http.json<{ ids: string[]; more: boolean }>('POST', `${path}/ids`, after ? { after } : {})
    ).body
    for (const id of page.ids) serverIds.add(id)
    after = page.ids[page.ids.length - 1]
    if (!page.more || after === undefined) break
  }
  const local = deps.replica.liveOps(space)
  const localIds = new Set(local.map(op => op.id))
  const lacking = [...serverIds].filter(id => !localIds.has(id))
  for (let i = 0; i < lacking.length; i += FETCH_IDS) {
    const ids = lacking.slice(i, i + FETCH_IDS)
    const answer = await deps.http.json<{ ops: { seq: number; op: Op }[] }>('POST', `${path}/fetch`, { ids })
    await deps.applyOps(
      space,
      answer.body.ops.map(e => e.op),
    )
  }
  const serverLacks = local.filter(op => !serverIds.has(op.id))
  if (serverLacks.length) await deps.pusher.pushOps(serverLacks)
}
