/** Cold start from the live snapshot with progress (ARCHITECTURE.md flows; TARGETS.md compact pages). */
import { describe, expect, it } from 'vitest'
import type { Op } from '../../../src/core/op.ts'
import { TestDevice } from '../../../server/testing/test-device.ts'
import { startServer, TEST_SCHEMA } from '../../../server/testing/test-server.ts'
import type { SyncEvent, SyncProgress } from './status.ts'
import { openReplica, syncLoop, TestNetwork } from './testing.ts'

describe('sync loop: cold start of a space', () => {
  it('reads the 10,000 live ops of 12,000 in snapshot pages, with progress, and ends with all data', async () => {
    const server = await startServer()
    const writer = await TestDevice.connect(server.url)
    const space = 'big'
    await writer.putSchema(space, TEST_SCHEMA)
    const ops: Op[] = []
    for (let i = 0; i < 10_000; i++) ops.push(await writer.op(space, 'items', `r${i}`, 'create', { n: 0 }))
    // Updates of the same field supersede 2,000 creates: the snapshot skips those.
    for (let i = 0; i < 2000; i++) ops.push(await writer.op(space, 'items', `r${i}`, 'update', { n: 1 }))
    for (let i = 0; i < ops.length; i += 1000) {
      const pushed = await writer.push(ops.slice(i, i + 1000))
      expect(pushed.status).toBe(200)
    }

    const replica = await openReplica()
    const network = new TestNetwork()
    const loop = syncLoop(replica, server.url, { network, spaces: [space], snapshotPageSize: 1000 })
    const progress: SyncProgress[] = []
    const events: SyncEvent[] = []
    loop.subscribe(status => {
      if (status.progress) progress.push(status.progress)
    })
    loop.onEvent(event => events.push(event))
    await loop.sync()

    expect(progress.length).toBe(10)
    expect(progress.every(p => p.space === space && p.total === 10_000)).toBe(true)
    expect(progress.map(p => p.done)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1000))
    expect(loop.status.progress).toBeNull()
    const items = replica.list(space, 'items')
    expect(items).toHaveLength(10_000)
    expect(replica.get(space, 'items', 'r0')).toEqual({ n: 1 })
    expect(replica.get(space, 'items', 'r1999')).toEqual({ n: 1 })
    expect(replica.get(space, 'items', 'r2000')).toEqual({ n: 0 })
    expect(replica.cursor(space)).toBe(12_000)
    // The snapshot went in compact pages, then one normal pull found nothing more.
    expect(network.count(`GET /v1/spaces/${space}/ops`)).toBe(11)
    await loop.verified()
    expect(events).toEqual([])
    expect(replica.list(space, 'items')).toHaveLength(10_000)
  })
})
