/**
 * The service worker's answer to a page's `POST <server>/v1/push` (ARCHITECTURE.md,
 * push flow):
 *  - nothing queued for that server: the request goes on to the server; when it
 *    cannot get there (network down, server unreachable: no answer, 502-504), its ops
 *    are stored and the answer is `202 {queued}`;
 *  - ops already queued for that server: the new ones join them and a replay sends
 *    everything in hlc order, so nothing new overtakes what waits; the request gets
 *    the server's verdicts for its ops when the replay reached them, else `202 {queued}`.
 * The engine treats `202` as "in flight, not acknowledged"; the pages hear later what
 * the server acknowledged.
 */
import type { Op } from '../../src/core/op.ts'
import type { Outbox } from './outbox.ts'
import type { OutboxBatch, PushResult, QueuedAnswer } from './protocol.ts'
import type { ReplaySummary } from './replay.ts'

export interface PushHandlerDeps {
  outbox: Outbox
  replay(): Promise<ReplaySummary>
  waiters: Waiters
  /** The network (the service worker's own fetch, which no fetch handler sees). */
  forward(request: Request): Promise<Response>
  /** Remembers the session token of a push for replays. */
  remember(server: string, device: string, token: string): void
  /** Which device's session pushed `ops` (a device a page introduced, else the first author). */
  deviceOf(server: string, ops: readonly Op[]): string
  /** Ops were queued: tell the pages, and ask for a Background Sync. */
  queued(batch: OutboxBatch): Promise<void>
}

/** Status codes a proxy answers when the server behind it is down: the push waits. */
const UNREACHABLE = new Set([502, 503, 504])

export async function handlePush(request: Request, server: string, deps: PushHandlerDeps): Promise<Response> {
  let ops: Op[]
  try {
    const body = (await request.clone().json()) as { ops?: unknown }
    if (!Array.isArray(body.ops) || !body.ops.every(isOpLike)) return deps.forward(request)
    ops = body.ops
  } catch {
    // Not a push the outbox understands: the server answers it (with `malformed`).
    return deps.forward(request)
  }
  const device = deps.deviceOf(server, ops)
  const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
  if (token) deps.remember(server, device, token)
  const batch: OutboxBatch = { server, device, ops }

  if (!(await deps.outbox.holds(server))) {
    let res: Response | undefined
    try {
      res = await deps.forward(request)
    } catch {
      res = undefined
    }
    if (res && !UNREACHABLE.has(res.status)) return res
    await deps.outbox.add(batch)
    await deps.queued(batch)
    return queuedAnswer(ops.length)
  }

  const ticket = deps.waiters.wait(ops.map(op => op.id))
  try {
    await deps.outbox.add(batch)
    await deps.queued(batch)
    await deps.replay()
    const answer = ticket.answer()
    return answer
      ? Response.json({ results: answer.results, serverTime: answer.serverTime })
      : queuedAnswer(ops.length)
  } finally {
    ticket.done()
  }
}

function queuedAnswer(queued: number): Response {
  return Response.json({ queued } satisfies QueuedAnswer, { status: 202 })
}

function isOpLike(value: unknown): value is Op {
  const op = value as Partial<Op> | null
  return (
    typeof op === 'object' &&
    op !== null &&
    typeof op.id === 'string' &&
    typeof op.hlc === 'string' &&
    typeof op.author === 'string'
  )
}

interface Ticket {
  /** Every verdict, in the order of the request's ops, once the server gave all of them. */
  answer(): { results: PushResult[]; serverTime?: string } | undefined
  done(): void
}

/** Requests waiting for the verdicts on their ops while a replay sends them. */
export class Waiters {
  private readonly byId = new Map<string, Set<WaitingRequest>>()

  wait(ids: readonly string[]): Ticket {
    const request: WaitingRequest = { ids, results: new Map() }
    for (const id of ids) {
      let set = this.byId.get(id)
      if (!set) this.byId.set(id, (set = new Set()))
      set.add(request)
    }
    return {
      answer: () => {
        if (request.results.size < new Set(ids).size) return undefined
        return { results: ids.map(id => request.results.get(id)!), serverTime: request.serverTime }
      },
      done: () => {
        for (const id of ids) {
          const set = this.byId.get(id)
          set?.delete(request)
          if (set?.size === 0) this.byId.delete(id)
        }
      },
    }
  }

  /** Records verdicts for the requests waiting on them. */
  handOver(results: readonly PushResult[], serverTime?: string): void {
    for (const result of results) {
      const waiting = this.byId.get(result.id)
      if (!waiting) continue
      for (const request of waiting) {
        request.results.set(result.id, result)
        if (serverTime) request.serverTime = serverTime
      }
    }
  }
}

interface WaitingRequest {
  ids: readonly string[]
  results: Map<string, PushResult>
  serverTime?: string
}
