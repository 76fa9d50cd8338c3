/** Two replicas converge through the server (ARCHITECTURE.md flows: push, pull, live). */
import { describe, expect, it } from 'vitest'
import { startServer } from '../../../server/testing/test-server.ts'
import { openReplica, statusUntil, syncLoop, TestNetwork, until } from './testing.ts'

describe('sync loop: two replicas converge both ways via the server', () => {
  it('pushing over the live socket while it is up', async () => {
    const server = await startServer()
    const a = await openReplica()
    const b = await openReplica()
    const space = await a.createSpace()
    const netA = new TestNetwork()
    const netB = new TestNetwork()
    const loopA = syncLoop(a, server.url, { network: netA })
    const loopB = syncLoop(b, server.url, { network: netB, spaces: [space] })
    loopA.start()
    await statusUntil(loopA, s => s.connected && s.pendingOps === 0)
    loopB.start()
    await statusUntil(loopB, s => s.connected)
    const fetchPushes = netA.count('POST /v1/push') + netB.count('POST /v1/push')

    await a.write(space, 'items', 'milk', 'create', { title: 'Milk' })
    await b.write(space, 'items', 'bread', 'create', { title: 'Bread' })
    await b.write(space, 'items', 'milk', 'update', { done: true })
    const complete = (r: typeof a) => () =>
      r.get(space, 'items', 'milk')?.done === true && r.get(space, 'items', 'bread')?.title === 'Bread'
    await Promise.all([until(a, complete(a)), until(b, complete(b))])
    expect(a.list(space, 'items')).toEqual(b.list(space, 'items'))
    expect(a.get(space, 'items', 'milk')).toEqual({ title: 'Milk', done: true })
    await Promise.all([
      statusUntil(loopA, s => s.pendingOps === 0),
      statusUntil(loopB, s => s.pendingOps === 0),
    ])
    // Those writes went over the socket: no fetch push since both were connected.
    expect(netA.count('POST /v1/push') + netB.count('POST /v1/push')).toBe(fetchPushes)
    expect(a.summary(space).id).toBe(b.summary(space).id)
  })

  it('pushing through fetch when there is no socket (sync() alone)', async () => {
    const server = await startServer()
    const a = await openReplica()
    const b = await openReplica()
    const space = await a.createSpace()
    const netA = new TestNetwork()
    const loopA = syncLoop(a, server.url, { network: netA })
    const loopB = syncLoop(b, server.url, { spaces: [space] })
    await a.write(space, 'items', 'x', 'create', { by: 'a' })
    await loopA.sync()
    await b.write(space, 'items', 'y', 'create', { by: 'b' })
    await loopB.sync()
    await loopA.sync()
    expect(netA.count('POST /v1/push')).toBeGreaterThan(0)
    expect(netA.sockets).toHaveLength(0)
    for (const r of [a, b]) {
      expect(r.list(space, 'items')).toEqual([
        ['x', { by: 'a' }],
        ['y', { by: 'b' }],
      ])
      expect(r.pendingCount).toBe(0)
    }
    expect(loopA.status).toMatchObject({ online: true, pendingOps: 0, error: null })
    expect(loopA.status.lastSyncedAt).not.toBeNull()
    await Promise.all([loopA.verified(), loopB.verified()])
    expect(a.summary(space).id).toBe(b.summary(space).id)
  })
})
