/**
 * Reconciliation (PROTOCOL.md §5-6) over HTTP: op-set reconcile (in-sync, diff, retry),
 * the hash exchange fallback (ids pages and fetch), and schema sync.
 */
import { describe, expect, it } from 'vitest'
import { SpaceState } from '../src/core/merge/space-state.ts'
import type { Op } from '../src/core/op.ts'
import { createSchema, descriptorId, normalizeDescriptor } from '../src/core/schema.ts'
import { buildReconcileRequest, buildSchemaRequest, SetSummary } from '../src/core/sketch/index.ts'
import { TestDevice } from './testing/test-device.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

function liveSummary(ops: Op[]): SetSummary {
  const schema = createSchema(TEST_SCHEMA as Parameters<typeof createSchema>[0])
  if (!schema.ok) throw new Error('bad schema')
  const state = new SpaceState(schema.value)
  for (const op of ops) state.apply(op)
  return SetSummary.ofIds([...state.liveOps()].map(op => op.id))
}

describe('§6 op-set reconciliation', () => {
  it('round-trips: diff names what each side lacks, and after exchanging them both are in sync', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const shared: Op[] = []
    for (let i = 0; i < 20; i++) shared.push(await a.op('s', 'items', `r${i}`))
    const serverOnly = [
      await a.op('s', 'items', 'server-1'),
      await a.op('s', 'items', 'r3', 'update', { n: 2 }),
    ]
    const clientOnly = [await a.op('s', 'items', 'client-1'), await a.op('s', 'tags', 'red', 'create')]
    await a.push([...shared, ...serverOnly])

    let mine = [...shared, ...clientOnly]
    const first = await a.request('POST', '/v1/spaces/s/reconcile', buildReconcileRequest(liveSummary(mine)))
    expect(first.status).toBe(200)
    expect(first.body.status).toBe('diff')
    // The server's live set lacks the client's ops, and the shared r3 op it holds as superseded.
    expect(first.body.serverLacks).toEqual([...clientOnly, shared[3]!].map(op => op.id).sort())
    expect(first.body.ops.map((op: Op) => op.id).sort()).toEqual(serverOnly.map(op => op.id).sort())

    const pushed = await a.push(mine.filter(op => first.body.serverLacks.includes(op.id)))
    expect(pushed.body.results.map((r: { status: string }) => r.status).sort()).toEqual([
      'accepted',
      'accepted',
      'duplicate',
    ])
    mine = [...mine, ...first.body.ops]
    const second = await a.request('POST', '/v1/spaces/s/reconcile', buildReconcileRequest(liveSummary(mine)))
    expect(second.body).toEqual({ status: 'in-sync', serverTime: expect.any(String) })
  })

  it('asks for a larger sketch when the difference does not decode, then succeeds', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const ops: Op[] = []
    for (let i = 0; i < 300; i++) ops.push(await a.op('s', 'items', `r${i}`))
    await a.push(ops)
    const summary = liveSummary([])
    const first = await a.request('POST', '/v1/spaces/s/reconcile', buildReconcileRequest(summary, 64))
    expect(first.body.status).toBe('retry')
    expect(first.body.cells).toBeGreaterThan(64)
    const second = await a.request(
      'POST',
      '/v1/spaces/s/reconcile',
      buildReconcileRequest(summary, first.body.cells),
    )
    expect(second.body.status).toBe('diff')
    expect(second.body.ops).toHaveLength(300)
  })

  it('grows the sketch past the running summary size for a large difference', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const ops: Op[] = []
    for (let i = 0; i < 6000; i++) ops.push(await a.op('s', 'items', `r${i}`))
    for (let i = 0; i < ops.length; i += 1000) await a.push(ops.slice(i, i + 1000))
    const summary = SetSummary.ofIds([])
    let cells = 64
    const asked: number[] = []
    for (let round = 0; round < 6; round++) {
      asked.push(cells)
      const res = await a.request('POST', '/v1/spaces/s/reconcile', buildReconcileRequest(summary, cells))
      if (res.body.status === 'retry') {
        cells = res.body.cells
        continue
      }
      expect(res.body.status).toBe('diff')
      expect(res.body.ops).toHaveLength(6000)
      break
    }
    expect(asked.at(-1)).toBeGreaterThan(4096)
  })

  it('keeps its live set exact when the same ops are pushed again, in any order', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const ops: Op[] = []
    for (let i = 0; i < 30; i++)
      ops.push(await a.op('s', 'items', `r${i % 4}`, 'update', { [`f${i % 3}`]: i }))
    ops.push(await a.op('s', 'items', 'r1', 'delete'), await a.op('s', 'tags', 't', 'create'))
    await a.push(ops)
    const again = await a.push([...ops].reverse())
    expect(again.body.results.every((r: { status: string }) => r.status === 'duplicate')).toBe(true)
    const res = await a.request('POST', '/v1/spaces/s/reconcile', buildReconcileRequest(liveSummary(ops)))
    expect(res.body.status).toBe('in-sync')
    const live = await a.pull('s', 'live=1&limit=100')
    expect(live.body.total).toBe(liveSummary(ops).count)
  })

  it('answers 404 for a space that does not exist', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    const res = await a.request('POST', '/v1/spaces/none/reconcile', buildReconcileRequest(liveSummary([])))
    expect(res.status).toBe(404)
  })
})

describe('§6 hash exchange fallback: ids pages and fetch', () => {
  it('pages the live op ids in id order and fetches ops by id', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const ops = [
      await a.op('s', 'items', 'x', 'update', { v: 1 }),
      await a.op('s', 'items', 'x', 'update', { v: 2 }),
      await a.op('s', 'items', 'y'),
      await a.op('s', 'tags', 'z', 'create'),
    ]
    await a.push(ops)
    const live = ops
      .slice(1)
      .map(op => op.id)
      .sort()
    const page1 = await a.request('POST', '/v1/spaces/s/ids', { limit: 2 })
    expect(page1.body).toMatchObject({ ids: live.slice(0, 2), more: true })
    const page2 = await a.request('POST', '/v1/spaces/s/ids', { limit: 2, after: page1.body.ids[1] })
    expect(page2.body).toMatchObject({ ids: live.slice(2), more: false })
    const tags = await a.request('POST', '/v1/spaces/s/ids', { collections: ['tags'] })
    expect(tags.body.ids).toEqual([ops[3]!.id])

    const missing = 'a'.repeat(64)
    const fetched = await a.request('POST', '/v1/spaces/s/fetch', { ids: [ops[2]!.id, missing, ops[0]!.id] })
    expect(fetched.body.ops).toEqual([
      { seq: 1, op: ops[0] },
      { seq: 3, op: ops[2] },
    ])
    expect(fetched.body.missing).toEqual([missing])
  })
})

describe('§5 schema sync', () => {
  const ids = (inputs: unknown[]) =>
    inputs.map(input => {
      const d = normalizeDescriptor(input)
      if (!d.ok) throw new Error(d.error.message)
      return descriptorId(d.value)
    })

  it('goes full for a new space, known when equal, diff when the client has more', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    const request = (descriptors: unknown[]) => {
      const r = buildSchemaRequest(ids(descriptors), 16)
      if (!r.ok) throw new Error(r.error.message)
      return a.request('POST', '/v1/spaces/s/schema', r.value)
    }
    const base = TEST_SCHEMA.slice(0, 3)
    expect((await request(base)).body.status).toBe('full')
    const put = await a.putSchema('s', base)
    expect(put.status).toBe(200)
    expect(put.body.count).toBe(3)
    expect((await request(base)).body.status).toBe('known')
    const more = [...base, TEST_SCHEMA[3]!]
    const diff = await request(more)
    expect(diff.body).toMatchObject({ status: 'diff', missing: ids([TEST_SCHEMA[3]!]) })
    await a.putSchema('s', [TEST_SCHEMA[3]!])
    expect((await request(more)).body.status).toBe('known')
    const got = await a.request('GET', '/v1/spaces/s/schema')
    expect(got.body.descriptors.map((d: { name: string }) => d.name)).toEqual([
      'items',
      'tags',
      'history',
      'profile',
    ])
  })

  it('refuses incompatible changes and system names with 409 schema_conflict', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const changed = await a.putSchema('s', [{ name: 'items', crdt: 'lwwset' }])
    expect(changed.status).toBe(409)
    expect(changed.body.error).toMatchObject({
      code: 'schema_conflict',
      message: expect.stringContaining('items'),
    })
    const system = await a.putSchema('s', [{ name: '_secret', crdt: 'lww' }])
    expect(system.status).toBe(409)
    const added = await a.putSchema('s', [
      { name: 'typed', crdt: 'lww', fields: { title: 'string', done: 'boolean', n: 'number' } },
    ])
    expect(added.status).toBe(200)
    const op = await a.op('s', 'typed', 't', 'update', { n: 3 })
    expect((await a.push([op])).body.results[0].status).toBe('accepted')
  })
})
