/** The reconcile round on every (re)connect (PROTOCOL.md §6). */
import { describe, expect, it } from 'vitest'
import type { Op } from '../../../src/core/op.ts'
import { TestDevice } from '../../../server/testing/test-device.ts'
import { startServer } from '../../../server/testing/test-server.ts'
import { openReplica, statusUntil, syncLoop, TestNetwork, until } from './testing.ts'

describe('sync loop: reconcile on connect', () => {
  it('finds an op the server lacks (the pending set was lost) and pushes it', async () => {
    const server = await startServer()
    const a = await openReplica()
    const space = await a.createSpace()
    const network = new TestNetwork()
    const loopA = syncLoop(a, server.url, { network })
    await loopA.sync()
    const lost = await a.write(space, 'items', 'lost', 'create', { v: 1 })
    // As if the pending record had been lost: the op is in the replica, not in the pending set.
    await a.acknowledge([{ id: lost.id, status: 'accepted' }])
    expect(a.pendingCount).toBe(0)
    await loopA.sync()
    const reader = await TestDevice.connect(server.url)
    const before = (await reader.pull(space)).body.ops as { op: Op }[]
    expect(before.map(e => e.op.id)).not.toContain(lost.id)

    const b = await openReplica()
    const loopB = syncLoop(b, server.url, { spaces: [space] })
    loopB.start()
    await statusUntil(loopB, s => s.connected)
    loopA.start()
    await until(b, () => b.get(space, 'items', 'lost') !== undefined)
    expect(network.count(`POST /v1/spaces/${space}/reconcile`)).toBeGreaterThanOrEqual(1)
    await statusUntil(loopA, s => s.lastReconcile?.outcome === 'diff')
    expect(loopA.status.lastReconcile).toMatchObject({ space })
    const after = (await reader.pull(space)).body.ops as { op: Op }[]
    expect(after.map(e => e.op.id)).toContain(lost.id)
  })

  it('brings the live ops a replica lacks although its cursor says it has them', async () => {
    const server = await startServer()
    const a = await openReplica()
    const space = await a.createSpace()
    await a.write(space, 'items', 'x', 'create', { v: 1 })
    await syncLoop(a, server.url).sync()

    const b = await openReplica()
    // A cursor past data it does not hold (say, a restored backup of the log).
    await b.applyRemote(space, [], 1_000)
    const loopB = syncLoop(b, server.url)
    loopB.start()
    await until(b, () => b.get(space, 'items', 'x') !== undefined)
    expect(b.get(space, 'items', 'x')).toEqual({ v: 1 })
    expect(b.summary(space).id).toBe(a.summary(space).id)
  })

  it('reports each round in the status: in-sync when nothing differs', async () => {
    const server = await startServer()
    const a = await openReplica()
    const space = await a.createSpace()
    await a.write(space, 'items', 'x', 'create', { v: 1 })
    await syncLoop(a, server.url).sync()
    const loop = syncLoop(a, server.url)
    expect(loop.status.lastReconcile).toBeNull()
    loop.start()
    const status = await statusUntil(loop, s => s.lastReconcile !== null)
    expect(status.lastReconcile).toMatchObject({ space, outcome: 'in-sync' })
  })
})
