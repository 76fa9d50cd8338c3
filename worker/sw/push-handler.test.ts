/**
 * The service worker's answer to a push (ARCHITECTURE.md, push flow): through to the
 * server when it can, `202 {queued}` when it cannot, and behind the queue (never
 * overtaking it) while ops wait.
 */
import { describe, expect, it } from 'vitest'
import type { Op } from '../../src/core/op.ts'
import { memoryOutbox, type Outbox } from './outbox.ts'
import type { OutboxBatch, PushResult } from './protocol.ts'
import { handlePush, type PushHandlerDeps, Waiters } from './push-handler.ts'
import { replayOnce, type ReplaySummary } from './replay.ts'
import { testOp } from './testing.ts'

const S = 'http://s.test'

const pushRequest = (ops: unknown, token = 'tok') =>
  new Request(`${S}/v1/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ops }),
  })

function setup(outbox: Outbox = memoryOutbox()) {
  const sentToServer: Op[][] = []
  const remembered: string[] = []
  const queued: OutboxBatch[] = []
  const waiters = new Waiters()
  const net = { forward: async (_r: Request): Promise<Response> => Response.json({ results: [] }) }
  /** The server behind the replay: accepts everything while `up`. */
  const server = { up: true }
  const replay = (): Promise<ReplaySummary> =>
    replayOnce({
      outbox,
      push: async batch => {
        if (!server.up) return { kind: 'unreachable', message: 'down' }
        sentToServer.push(batch.ops)
        return {
          kind: 'answered',
          serverTime: 'T',
          results: batch.ops.map((op, i): PushResult => ({ id: op.id, status: 'accepted', seq: i + 1 })),
        }
      },
      handOver: (results, serverTime) => waiters.handOver(results, serverTime),
      report: async () => {},
    })
  const deps: PushHandlerDeps = {
    outbox,
    replay,
    waiters,
    forward: r => net.forward(r),
    remember: (server, device, token) => remembered.push(`${server} ${device} ${token}`),
    deviceOf: (_server, ops) => ops[0]!.author,
    queued: async batch => void queued.push(batch),
  }
  return { deps, outbox, net, server, sentToServer, remembered, queued }
}

describe('push through the service worker: nothing queued', () => {
  it('goes on to the server, and the server’s answer comes back unchanged', async () => {
    const s = setup()
    const answer = Response.json({ results: [{ id: 'x', status: 'accepted', seq: 1 }] })
    let forwarded: Request | undefined
    s.net.forward = async r => ((forwarded = r), answer)
    const res = await handlePush(pushRequest([testOp(1)]), S, s.deps)
    expect(res).toBe(answer)
    expect(await forwarded!.json()).toEqual({ ops: [testOp(1)] })
    expect(await s.outbox.batches()).toEqual([])
    expect(s.remembered).toEqual([`${S} dev tok`])
  })

  it('when the network fails, stores the ops and answers 202 {queued}', async () => {
    const s = setup()
    s.net.forward = async () => {
      throw new TypeError('Failed to fetch')
    }
    const res = await handlePush(pushRequest([testOp(2), testOp(1)]), S, s.deps)
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ queued: 2 })
    const stored = [{ server: S, device: 'dev', ops: [testOp(2), testOp(1)] }]
    expect(await s.outbox.batches()).toEqual(stored)
    expect(s.queued).toEqual(stored)
  })

  it('a proxy’s 502/503/504 (server down behind it) queues too; the server’s 4xx does not', async () => {
    for (const status of [502, 503, 504]) {
      const s = setup()
      s.net.forward = async () => new Response('down', { status })
      expect((await handlePush(pushRequest([testOp(1)]), S, s.deps)).status).toBe(202)
    }
    const s = setup()
    s.net.forward = async () => Response.json({ error: { code: 'malformed', message: 'm' } }, { status: 400 })
    expect((await handlePush(pushRequest([testOp(1)]), S, s.deps)).status).toBe(400)
    expect(await s.outbox.batches()).toEqual([])
  })

  it('a body that is no push of ops goes to the server to judge', async () => {
    const s = setup()
    s.net.forward = async () => new Response('judged', { status: 400 })
    for (const body of [[{ nope: 1 }], 'x']) {
      const res = await handlePush(pushRequest(body), S, s.deps)
      expect(await res.text()).toBe('judged')
    }
    expect(await s.outbox.batches()).toEqual([])
  })
})

describe('push through the service worker: ops already queued', () => {
  it('new ops join the queue and everything goes in hlc order; the request gets its verdicts', async () => {
    const s = setup()
    await s.outbox.add({ server: S, device: 'dev', ops: [testOp(1), testOp(3)] })
    s.net.forward = async () => {
      throw new Error('must not overtake the queue')
    }
    const res = await handlePush(pushRequest([testOp(4), testOp(2)]), S, s.deps)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      results: [
        { id: testOp(4).id, status: 'accepted', seq: 4 },
        { id: testOp(2).id, status: 'accepted', seq: 2 },
      ],
      serverTime: 'T',
    })
    expect(s.sentToServer.map(ops => ops.map(op => op.fields!.time))).toEqual([[1, 2, 3, 4]])
    expect(await s.outbox.batches()).toEqual([])
  })

  it('when the replay cannot reach the server, the request is answered 202 and its ops wait', async () => {
    const s = setup()
    s.server.up = false
    await s.outbox.add({ server: S, device: 'dev', ops: [testOp(1)] })
    const res = await handlePush(pushRequest([testOp(2)]), S, s.deps)
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ queued: 1 })
    expect((await s.outbox.batches()).flatMap(b => b.ops.map(op => op.fields!.time))).toEqual([1, 2])
  })
})
