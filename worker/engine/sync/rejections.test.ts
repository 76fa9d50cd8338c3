/** The server's verdicts on ops (PROTOCOL.md §3): drift is re-stamped, other codes are removed and reported. */
import { describe, expect, it } from 'vitest'
import { SynclineError } from '../../../src/core/errors.ts'
import { computeOpId, type Op } from '../../../src/core/op.ts'
import { createSchema } from '../../../src/core/schema.ts'
import { parseHlc } from '../../../src/core/uhlc.ts'
import { toNewOp } from '../../../server/sync/op-rows.ts'
import { TestDevice } from '../../../server/testing/test-device.ts'
import { startServer, TEST_SCHEMA } from '../../../server/testing/test-server.ts'
import type { SyncEvent, SyncStatus } from './status.ts'
import { openReplica, realWallNs, syncLoop } from './testing.ts'

const MINUTE_NS = 60_000_000_000n

describe('sync loop: drift', () => {
  it('re-stamps ops of a wall clock 10 minutes ahead after skew correction, and they land', async () => {
    const server = await startServer({ maxDriftMs: 100 })
    const ahead = () => realWallNs() + 10n * MINUTE_NS
    const replica = await openReplica({ wallNs: ahead })
    const space = await replica.createSpace()
    const first = await replica.write(space, 'items', 'x', 'create', { v: 1 })
    const second = await replica.write(space, 'items', 'x', 'update', { v: 2 })
    expect(parseHlc(first.hlc)!.time > realWallNs() + 9n * MINUTE_NS).toBe(true)

    const loop = syncLoop(replica, server.url, { wallNs: ahead })
    const events: SyncEvent[] = []
    loop.onEvent(event => events.push(event))
    await loop.sync()

    expect(events.map(e => e.type)).toEqual(['op-restamped', 'op-restamped', 'op-restamped'])
    expect(events.map(e => (e.type === 'op-restamped' ? e.op.id : ''))).toContain(second.id)
    expect(replica.pendingCount).toBe(0)
    expect(replica.get(space, 'items', 'x')).toEqual({ v: 2 })

    const reader = await TestDevice.connect(server.url)
    const stored = (await reader.pull(space)).body.ops.map((e: { op: Op }) => e.op) as Op[]
    expect(stored.map(op => op.record)).toEqual([replica.device, 'x', 'x'])
    for (const op of stored) expect(parseHlc(op.hlc)!.time < realWallNs() + MINUTE_NS).toBe(true)
    // The re-stamped changes keep their order: the update still wins on the server.
    expect(stored[2]!.fields).toEqual({ v: 2 })

    // The corrected clock stamps new writes in time: no more drift.
    await replica.write(space, 'items', 'y', 'create', { v: 3 })
    await loop.sync()
    expect(events).toHaveLength(3)
  })
})

describe('sync loop: a local op the server rejects', () => {
  it('is taken out of the replica (state recomputed) and reported with its code; nothing else is lost', async () => {
    const server = await startServer()
    const owner = await TestDevice.connect(server.url)
    const space = 'shared'
    // The space on the server types `items.title`; this (older) app declares `items` untyped.
    await owner.putSchema(space, [{ name: 'items', crdt: 'lww', fields: { title: 'string' } }])
    await owner.push([await owner.op(space, 'items', 'x', 'update', { title: 'from server' })])
    const loose = createSchema([
      { name: 'items', crdt: 'lww' },
      { name: 'history', crdt: 'gset' },
    ])
    if (!loose.ok) throw new Error(loose.error.message)
    const replica = await openReplica({ schema: loose.value })
    const loop = syncLoop(replica, server.url, { spaces: [space] })
    const events: SyncEvent[] = []
    const statuses: SyncStatus[] = []
    loop.onEvent(event => events.push(event))
    loop.subscribe(status => statuses.push(status))
    await loop.sync()
    expect(replica.get(space, 'items', 'x')).toEqual({ title: 'from server' })

    const bad = await replica.write(space, 'items', 'x', 'update', { title: 42 })
    await replica.write(space, 'history', 'h1', 'create', { note: 'kept' })
    expect(replica.get(space, 'items', 'x')).toEqual({ title: 42 })
    await loop.sync()

    expect(events).toHaveLength(1)
    const [event] = events
    expect(event).toMatchObject({ type: 'op-rejected', op: bad })
    expect(event!.type === 'op-rejected' && event!.error).toBeInstanceOf(SynclineError)
    expect(event!.type === 'op-rejected' && event!.error.code).toBe('bad_field')
    expect(replica.get(space, 'items', 'x')).toEqual({ title: 'from server' })
    expect(replica.get(space, 'history', 'h1')).toEqual({ note: 'kept' })
    expect(replica.pendingCount).toBe(0)
    // The schema conflict that explains it was reported when the schema was registered.
    expect(statuses.some(s => s.error?.code === 'schema_conflict')).toBe(true)
    const stored = (await owner.pull(space)).body.ops.map((e: { op: Op }) => e.op.record)
    expect(stored).toEqual(['x', 'h1'])
  })
})

describe('sync loop: signatures of ops from the server', () => {
  it('checks them in the background after storing them; a forged op is removed and reported', async () => {
    const server = await startServer()
    const writer = await TestDevice.connect(server.url)
    const space = 's'
    await writer.putSchema(space, TEST_SCHEMA)
    const good = await writer.op(space, 'items', 'good', 'create', { v: 1 })
    const signed = await writer.op(space, 'items', 'forged', 'create', { v: 1 })
    await writer.push([good])
    // A store that lost its integrity: the id matches the content, the signature does not.
    const { id: _id, sig, ...content } = signed
    const forged: Op = { ...content, fields: { v: 666 }, id: '', sig }
    forged.id = computeOpId({ ...content, fields: { v: 666 } })
    await server.store.append(space, [toNewOp(forged, true)])

    const replica = await openReplica()
    const loop = syncLoop(replica, server.url, { spaces: [space] })
    const events: SyncEvent[] = []
    loop.onEvent(event => events.push(event))
    await loop.sync()
    await loop.verified()

    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'op-invalid', op: { id: forged.id } })
    expect(events[0]!.type === 'op-invalid' && events[0]!.error.code).toBe('bad_signature')
    expect(replica.get(space, 'items', 'forged')).toBeUndefined()
    expect(replica.get(space, 'items', 'good')).toEqual({ v: 1 })
  })
})
