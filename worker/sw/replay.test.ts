/**
 * The replay (ARCHITECTURE.md, push flow): every queued op once, in hlc order, in
 * batches; only what the server acknowledged leaves the outbox; rejections are kept
 * with their codes; an unreachable server stops the replay and the next one resumes.
 */
import { describe, expect, it } from 'vitest'
import type { Op } from '../../src/core/op.ts'
import { memoryOutbox, type Outbox } from './outbox.ts'
import type { OutboxBatch, PushResult, Rejection } from './protocol.ts'
import { createReplayer, replayOnce, type ReplayDeps } from './replay.ts'
import type { PushOutcome } from './server-client.ts'
import { testOp } from './testing.ts'

const S = 'http://s.test'

/** A server that holds ops once each; `down` makes it unreachable; `reject` refuses ids with a code. */
function fakeServer() {
  const held: Op[] = []
  const sent: OutboxBatch[] = []
  const state = {
    down: false,
    downAfter: Infinity,
    reject: new Map<string, string>(),
    noSession: new Set<string>(),
  }
  const push = async (batch: OutboxBatch): Promise<PushOutcome> => {
    if (state.down || sent.length >= state.downAfter) return { kind: 'unreachable', message: 'offline' }
    if (state.noSession.has(batch.device)) return { kind: 'no-session', message: 'no key' }
    sent.push(batch)
    const results: PushResult[] = batch.ops.map(op => {
      const code = state.reject.get(op.id)
      if (code) return { id: op.id, status: 'rejected', error: { code: code as 'drift', message: code } }
      if (held.some(h => h.id === op.id)) return { id: op.id, status: 'duplicate', seq: 1 }
      held.push(op)
      return { id: op.id, status: 'accepted', seq: held.length }
    })
    return { kind: 'answered', results, serverTime: 'now' }
  }
  return { held, sent, state, push }
}

function deps(outbox: Outbox, server: ReturnType<typeof fakeServer>, maxOps = 1000) {
  const reports: { device: string; acked: PushResult[]; rejected: Rejection[] }[] = []
  const d: ReplayDeps = {
    outbox,
    push: server.push,
    handOver: () => {},
    report: async (_server, device, acked, rejected) => void reports.push({ device, acked, rejected }),
    limits: { maxOps },
  }
  return { deps: d, reports }
}

const times = (ops: readonly Op[]) => ops.map(op => op.fields!.time)

describe('replay: every queued op once, in hlc order, in batches', () => {
  it('sends ops of all stored batches and tabs interleaved by hlc, and empties the outbox', async () => {
    const outbox = memoryOutbox()
    await outbox.add({ server: S, device: 'd', ops: [testOp(1, 'A'), testOp(4, 'A'), testOp(6, 'A')] })
    await outbox.add({ server: S, device: 'd', ops: [testOp(2, 'B'), testOp(3, 'B'), testOp(5, 'B')] })
    await outbox.add({ server: S, device: 'd', ops: [testOp(4, 'A')] })
    const server = fakeServer()
    const { deps: d, reports } = deps(outbox, server, 4)
    const summary = await replayOnce(d)
    expect(times(server.held)).toEqual([1, 2, 3, 4, 5, 6])
    expect(server.sent.map(b => b.ops.length)).toEqual([4, 2])
    expect(summary).toMatchObject({ pushes: 2, acked: 6, rejected: 0, left: false })
    expect(await outbox.batches()).toEqual([])
    expect(reports.flatMap(r => r.acked.map(a => a.status))).toEqual(Array(6).fill('accepted'))
  })

  it('an op the server already holds is acknowledged as duplicate and leaves the outbox', async () => {
    const outbox = memoryOutbox()
    const server = fakeServer()
    server.held.push(testOp(1))
    await outbox.add({ server: S, device: 'd', ops: [testOp(1), testOp(2)] })
    const { deps: d, reports } = deps(outbox, server)
    await replayOnce(d)
    expect(reports[0]!.acked.map(r => r.status)).toEqual(['duplicate', 'accepted'])
    expect(await outbox.batches()).toEqual([])
  })
})

describe('replay: interrupted and resumed', () => {
  it('going offline mid-replay keeps what was not acknowledged; the next replay sends it, each op once', async () => {
    const outbox = memoryOutbox()
    const ops = Array.from({ length: 10 }, (_, i) => testOp(10 - i))
    await outbox.add({ server: S, device: 'd', ops })
    const server = fakeServer()
    server.state.downAfter = 1
    const { deps: d } = deps(outbox, server, 4)
    const first = await replayOnce(d)
    expect(first).toMatchObject({ acked: 4, left: true, unreachable: [S] })
    expect(times(server.held)).toEqual([1, 2, 3, 4])
    expect((await outbox.batches()).flatMap(b => times(b.ops)).sort((a, b) => Number(a) - Number(b))).toEqual(
      [5, 6, 7, 8, 9, 10],
    )
    server.state.downAfter = Infinity
    const second = await replayOnce(d)
    expect(second).toMatchObject({ acked: 6, left: false })
    expect(times(server.held)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(server.sent.flatMap(b => b.ops).length).toBe(10)
  })

  it('ops the server gave no result for stay queued', async () => {
    const outbox = memoryOutbox()
    await outbox.add({ server: S, device: 'd', ops: [testOp(1), testOp(2)] })
    const summary = await replayOnce({
      ...deps(outbox, fakeServer()).deps,
      push: async () => ({ kind: 'answered', results: [{ id: testOp(1).id, status: 'accepted', seq: 1 }] }),
    })
    expect(summary.left).toBe(true)
    expect((await outbox.batches()).flatMap(b => times(b.ops))).toEqual([2])
  })

  it('one unreachable server does not hold back another', async () => {
    const outbox = memoryOutbox()
    await outbox.add({ server: 'http://down.test', device: 'd', ops: [testOp(1)] })
    await outbox.add({ server: S, device: 'd', ops: [testOp(2)] })
    const server = fakeServer()
    const summary = await replayOnce({
      ...deps(outbox, server).deps,
      push: batch =>
        batch.server === S ? server.push(batch) : Promise.resolve({ kind: 'unreachable', message: 'x' }),
    })
    expect(summary.unreachable).toEqual(['http://down.test'])
    expect(times(server.held)).toEqual([2])
    expect(await outbox.batches()).toEqual([{ server: 'http://down.test', device: 'd', ops: [testOp(1)] }])
  })

  it('a device without a session waits; other devices go on', async () => {
    const outbox = memoryOutbox()
    await outbox.add({ server: S, device: 'a', ops: [testOp(1, 'A'), testOp(3, 'A')] })
    await outbox.add({ server: S, device: 'b', ops: [testOp(2, 'B')] })
    const server = fakeServer()
    server.state.noSession.add('a')
    const summary = await replayOnce(deps(outbox, server).deps)
    expect(summary).toMatchObject({ left: true, acked: 1 })
    expect(times(server.held)).toEqual([2])
    expect((await outbox.batches()).flatMap(b => times(b.ops))).toEqual([1, 3])
  })
})

describe('replay: rejected ops are reported with their codes, never silently dropped', () => {
  it('keeps rejections for the engine and reports them', async () => {
    const outbox = memoryOutbox()
    await outbox.add({ server: S, device: 'd', ops: [testOp(1), testOp(2), testOp(3)] })
    const server = fakeServer()
    server.state.reject.set(testOp(2).id, 'drift')
    const { deps: d, reports } = deps(outbox, server)
    const summary = await replayOnce(d)
    expect(summary).toMatchObject({ acked: 2, rejected: 1, left: false })
    expect(await outbox.batches()).toEqual([])
    const rejection = { server: S, device: 'd', op: testOp(2), error: { code: 'drift', message: 'drift' } }
    expect(await outbox.rejections('d')).toEqual([rejection])
    expect(reports).toEqual([
      {
        device: 'd',
        acked: [expect.objectContaining({ id: testOp(1).id }), expect.objectContaining({ id: testOp(3).id })],
        rejected: [rejection],
      },
    ])
  })

  it('a batch the server refuses whole makes a rejection of each op with that code', async () => {
    const outbox = memoryOutbox()
    await outbox.add({ server: S, device: 'd', ops: [testOp(1), testOp(2)] })
    await replayOnce({
      ...deps(outbox, fakeServer()).deps,
      push: async () => ({ kind: 'refused', error: { code: 'forbidden', message: 'no access' } }),
    })
    expect((await outbox.rejections('d')).map(r => [r.op.id, r.error.code])).toEqual([
      [testOp(1).id, 'forbidden'],
      [testOp(2).id, 'forbidden'],
    ])
  })
})

describe('replayer: one replay at a time', () => {
  it('calls during a run fold into one more run, and no op is sent twice', async () => {
    const outbox = memoryOutbox()
    await outbox.add({ server: S, device: 'd', ops: [testOp(1), testOp(2)] })
    const server = fakeServer()
    let release!: () => void
    const gate = new Promise<void>(resolve => (release = resolve))
    const replayer = createReplayer({
      ...deps(outbox, server).deps,
      push: async batch => {
        await gate
        return server.push(batch)
      },
    })
    const first = replayer.run()
    await outbox.add({ server: S, device: 'd', ops: [testOp(2), testOp(3)] })
    const second = replayer.run()
    const third = replayer.run()
    expect(third).toBe(second)
    release()
    await Promise.all([first, second])
    expect(times(server.held)).toEqual([1, 2, 3])
    expect(server.sent.map(b => times(b.ops))).toEqual([[1, 2], [3]])
  })

  it('holds the shared lock while it runs', async () => {
    const outbox = memoryOutbox()
    await outbox.add({ server: S, device: 'd', ops: [testOp(1)] })
    const log: string[] = []
    const server = fakeServer()
    const replayer = createReplayer({
      ...deps(outbox, server).deps,
      push: async batch => {
        log.push('push')
        return server.push(batch)
      },
      exclusive: async job => {
        log.push('lock')
        const result = await job()
        log.push('unlock')
        return result
      },
    })
    await replayer.run()
    expect(log).toEqual(['lock', 'push', 'unlock'])
  })
})
