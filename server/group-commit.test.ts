/**
 * Group commit (PROTOCOL.md §7 push): pushes that reach the commit together share one
 * store transaction, and every push still gets gapless seqs, per-op results, and
 * `accepted` only after the commit that holds it. A failed commit fails every push in
 * it and accepts none of their ops.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Verifier } from '../src/core/ed25519.ts'
import type { Op } from '../src/core/op.ts'
import type { SyncServer } from './server.ts'
import { sqliteStore } from './store/sqlite-store.ts'
import type { Store } from './store/store.ts'
import { TestDevice } from './testing/test-device.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

const dir = mkdtempSync(join(tmpdir(), 'syncline-group-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

// Signature checks in the thread pool would finish in later event-loop turns; trusting
// ones finish at once, so pushes made together reach the commit queue together.
const trusting: Verifier = { backend: 'trusting', verify: async () => true }

interface Spy {
  /** Ops in each store append, in call order. */
  appends: number[]
  /** While set, appends wait for it. */
  gate?: Promise<void>
  /** Called as an append starts. */
  onAppend?: () => void
  /** Throw from the next append. */
  failNext?: boolean
}

async function setup(): Promise<{ server: SyncServer; spy: Spy; a: TestDevice; b: TestDevice }> {
  const real = sqliteStore(join(dir, `group-${++n}.db`))
  const spy: Spy = { appends: [] }
  const store: Store = {
    ...real,
    async append(space, ops, superseded) {
      spy.appends.push(ops.length)
      spy.onAppend?.()
      if (spy.gate) await spy.gate
      if (spy.failNext) {
        spy.failNext = false
        throw new Error('disk full')
      }
      return real.append(space, ops, superseded)
    },
  }
  const server = await startServer({ store, verifier: trusting })
  const [a, b] = await Promise.all([TestDevice.connect(server.url), TestDevice.connect(server.url)])
  await a.putSchema('s', TEST_SCHEMA)
  return { server, spy, a, b }
}

const statuses = (results: { status: string; seq?: number }[]) => results.map(r => [r.status, r.seq])

/** The next turn of the event loop: every push started before it has queued. */
const nextTurn = () => new Promise<void>(resolve => setImmediate(resolve))

describe('§7 push: group commit', () => {
  it('commits pushes that arrive together in one transaction, with gapless seqs in arrival order', async () => {
    const { server, spy, a, b } = await setup()
    const [x, y, z] = [
      await a.op('s', 'items', 'x'),
      await a.op('s', 'items', 'y'),
      await b.op('s', 'items', 'z'),
    ]
    const [first, second] = await Promise.all([
      server.service.push(a.id, [x, y]),
      server.service.push(b.id, [z]),
    ])
    expect(spy.appends).toEqual([3])
    expect(statuses(first)).toEqual([
      ['accepted', 1],
      ['accepted', 2],
    ])
    expect(statuses(second)).toEqual([['accepted', 3]])
    const pulled = await a.pull('s')
    expect(pulled.body.ops.map((e: { seq: number; op: Op }) => [e.seq, e.op.id])).toEqual([
      [1, x.id],
      [2, y.id],
      [3, z.id],
    ])
  })

  it('gathers the pushes that queue while a commit is in flight into the next one', async () => {
    const { server, spy, a, b } = await setup()
    let open!: () => void
    spy.gate = new Promise(resolve => (open = resolve))
    const ops = [await a.op('s', 'items', 'p'), await a.op('s', 'items', 'q'), await b.op('s', 'items', 'r')]
    const appending = new Promise<void>(resolve => (spy.onAppend = resolve))
    const firstPush = server.service.push(a.id, [ops[0]])
    await appending // the first commit is waiting on the store, holding the space's lock
    const later = [server.service.push(a.id, [ops[1]]), server.service.push(b.id, [ops[2]])]
    await nextTurn() // both have queued: validation with a trusting verifier takes no turn
    spy.gate = undefined
    open()
    const results = await Promise.all([firstPush, ...later])
    expect(spy.appends).toEqual([1, 2])
    expect(results.map(statuses)).toEqual([[['accepted', 1]], [['accepted', 2]], [['accepted', 3]]])
  })

  it('answers the same op in two pushes of one commit: accepted once, duplicate with its seq', async () => {
    const { server, spy, a, b } = await setup()
    const [x, y] = [await a.op('s', 'items', 'x'), await a.op('s', 'items', 'y')]
    const [first, second] = await Promise.all([
      server.service.push(a.id, [x]),
      server.service.push(b.id, [y, x]),
    ])
    expect(spy.appends).toEqual([2])
    expect(statuses(first)).toEqual([['accepted', 1]])
    expect(statuses(second)).toEqual([
      ['accepted', 2],
      ['duplicate', 1],
    ])
  })

  it('fails every push of a failed commit, accepts none of their ops, and numbers them from 1 when pushed again', async () => {
    const { server, spy, a, b } = await setup()
    const [x, y] = [await a.op('s', 'items', 'x'), await b.op('s', 'items', 'y')]
    spy.failNext = true
    const failed = await Promise.allSettled([server.service.push(a.id, [x]), server.service.push(b.id, [y])])
    expect(failed.map(f => f.status)).toEqual(['rejected', 'rejected'])
    expect(failed.map(f => (f.status === 'rejected' ? f.reason.code : ''))).toEqual([
      'unavailable',
      'unavailable',
    ])
    expect((await a.pull('s')).body.ops).toEqual([])

    const again = await Promise.all([server.service.push(a.id, [x]), server.service.push(b.id, [y])])
    expect(again.map(statuses)).toEqual([[['accepted', 1]], [['accepted', 2]]])
    expect((await a.pull('s')).body.ops.map((e: { seq: number }) => e.seq)).toEqual([1, 2])
  })

  it('keeps each space its own commit and sequence when a push spans spaces', async () => {
    const { server, spy, a, b } = await setup()
    await a.putSchema('t', TEST_SCHEMA)
    const [s1, t1, t2] = [
      await a.op('s', 'items', 'x'),
      await a.op('t', 'items', 'x'),
      await b.op('t', 'items', 'y'),
    ]
    const [first, second] = await Promise.all([
      server.service.push(a.id, [s1, t1]),
      server.service.push(b.id, [t2]),
    ])
    expect([...spy.appends].sort()).toEqual([1, 2])
    // Space s has one op; space t two, in one commit, in whichever order they queued.
    expect(statuses(first)[0]).toEqual(['accepted', 1])
    expect([first[1]!.seq, second[0]!.seq].sort()).toEqual([1, 2])
  })
})
