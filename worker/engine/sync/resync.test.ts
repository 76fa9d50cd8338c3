/** A client below the horizon resyncs from a live snapshot (PROTOCOL.md §7). */
import { describe, expect, it } from 'vitest'
import { msToNs } from '../../../src/core/uhlc.ts'
import { TestDevice } from '../../../server/testing/test-device.ts'
import { startServer, TEST_SCHEMA } from '../../../server/testing/test-server.ts'
import type { SyncProgress } from './status.ts'
import { openReplica, syncLoop } from './testing.ts'

describe('sync loop: resync below the horizon', () => {
  it('a replica whose cursor fell below the horizon reads the live snapshot and ends equal', async () => {
    let shift = 0
    const server = await startServer({ now: () => Date.now() + shift, staleAfterMs: 60_000 })
    const writer = await TestDevice.connect(server.url, { physicalNs: () => msToNs(Date.now() + shift) })
    const space = 's'
    await writer.putSchema(space, TEST_SCHEMA)
    for (let v = 1; v <= 3; v++) await writer.push([await writer.op(space, 'items', 'x', 'update', { v })])

    const replica = await openReplica()
    const loop = syncLoop(replica, server.url, { spaces: [space] })
    await loop.sync()
    expect(replica.cursor(space)).toBe(3)

    for (let v = 4; v <= 10; v++) await writer.push([await writer.op(space, 'items', 'x', 'update', { v })])
    await writer.push([await writer.op(space, 'items', 'y', 'create', { v: 1 })])
    // The replica stays away past the stale limit; the writer is seen at the head, then pruning.
    shift = 61_000
    await writer.pull(space, 'after=11')
    const [report] = await server.prune()
    expect(report).toMatchObject({ space, horizon: 11 })
    expect(report!.removed).toBeGreaterThan(0)
    expect((await writer.pull(space, 'after=3')).body.resync).toBe(true)

    const progress: SyncProgress[] = []
    loop.subscribe(status => {
      if (status.progress) progress.push(status.progress)
    })
    await loop.sync()
    expect(progress.length).toBeGreaterThan(0)
    expect(replica.get(space, 'items', 'x')).toEqual({ v: 10 })
    expect(replica.get(space, 'items', 'y')).toEqual({ v: 1 })
    expect(replica.cursor(space)).toBe(11)
  })
})
