/**
 * Client pool and pruning (PROTOCOL.md §7, seed 004): superseded ops at or below the
 * lowest cursor of the non-stale devices are pruned; a stale device stops holding
 * pruning back; a client below the horizon is told to resync from a live snapshot,
 * and that snapshot gives the same state.
 */
import { describe, expect, it } from 'vitest'
import { SpaceState } from '../src/core/merge/space-state.ts'
import type { Op } from '../src/core/op.ts'
import { createSchema } from '../src/core/schema.ts'
import { msToNs } from '../src/core/uhlc.ts'
import { DAY_MS } from './options.ts'
import { TestDevice } from './testing/test-device.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

function stateOf(ops: Op[]) {
  const schema = createSchema(TEST_SCHEMA as Parameters<typeof createSchema>[0])
  if (!schema.ok) throw new Error('bad test schema')
  const state = new SpaceState(schema.value)
  for (const op of ops) state.apply(op)
  return state.snapshot()
}

describe('§7 pruning below the horizon of the client pool', () => {
  it('prunes superseded ops up to the lowest cursor, then past a stale device', async () => {
    let now = Date.now()
    const server = await startServer({ now: () => now, staleAfterMs: 30 * DAY_MS })
    // The devices' clocks follow the server's, so their ops do not drift.
    const a = await TestDevice.connect(server.url, { physicalNs: () => msToNs(now) })
    const b = await TestDevice.connect(server.url, { physicalNs: () => msToNs(now) })
    await a.putSchema('s', TEST_SCHEMA)
    const ops: Op[] = []
    for (let v = 1; v <= 5; v++) ops.push(await a.op('s', 'items', 'x', 'update', { v }))
    ops.push(await a.op('s', 'items', 'y'))
    expect((await a.push(ops)).body.results.map((r: { seq: number }) => r.seq)).toEqual([1, 2, 3, 4, 5, 6])

    await a.pull('s', 'after=6')
    await b.pull('s', 'after=2')
    expect(await server.prune()).toEqual([{ space: 's', horizon: 2, removed: 2 }])
    expect((await server.store.clients('s')).map(c => c.lastSynchronized).sort()).toEqual([2, 6])

    now += 31 * DAY_MS
    await a.login()
    await a.pull('s', 'after=6')
    expect(await server.prune()).toEqual([{ space: 's', horizon: 6, removed: 2 }])
    const stored = await a.pull('s')
    expect(stored.body.ops.map((e: { seq: number }) => e.seq)).toEqual([5, 6])
    expect(stored.body.horizon).toBe(6)
    // Live ops are never pruned: the stored set has the same state as all ops.
    expect(stateOf(stored.body.ops.map((e: { op: Op }) => e.op))).toEqual(stateOf(ops))
  })

  it('tells a client below the horizon to resync, and its live snapshot gives the full state', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const ops: Op[] = []
    for (let v = 1; v <= 4; v++) ops.push(await a.op('s', 'items', 'x', 'update', { v }))
    ops.push(await a.op('s', 'tags', 't', 'create'), await a.op('s', 'tags', 't', 'delete'))
    await a.push(ops)
    await a.pull('s', 'after=6')
    await server.prune()

    const b = await TestDevice.connect(server.url)
    const behind = await b.pull('s', 'after=1')
    expect(behind.body).toMatchObject({ horizon: 6, resync: true })
    const snapshot = await b.pull('s', 'live=1&limit=1')
    expect(snapshot.body).toMatchObject({ total: 2, more: true })
    expect(snapshot.body.resync).toBeUndefined()
    const rest = await b.pull('s', `live=1&after=${snapshot.body.ops[0].seq}`)
    const snapshotOps = [...snapshot.body.ops, ...rest.body.ops].map((e: { op: Op }) => e.op)
    expect(stateOf(snapshotOps)).toEqual(stateOf(ops))

    const socket = await b.live()
    socket.subscribe([{ space: 's', after: 1 }])
    expect(await socket.next(m => m.type === 'resync')).toEqual({
      type: 'resync',
      space: 's',
      horizon: 6,
      head: 6,
    })
    await socket.close()
  })

  it('never prunes past a device that has not acknowledged, and never prunes live ops', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    await a.push([
      await a.op('s', 'items', 'x', 'update', { v: 1 }),
      await a.op('s', 'items', 'x', 'update', { v: 2 }),
    ])
    expect(await server.prune()).toEqual([])
    expect((await a.pull('s')).body.ops).toHaveLength(2)
  })
})
