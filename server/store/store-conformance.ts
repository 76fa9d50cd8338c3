/**
 * The conformance suite every server store must pass (memory, SQLite, and later
 * PostgreSQL). Call it from a `*.test.ts` file with a factory for fresh stores; pass
 * `reopen` when the store is durable, to check that what was committed survives.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { NewOp, Store } from './store.ts'

export interface ConformanceOptions {
  /** A fresh, empty store. */
  open: () => Store | Promise<Store>
  /** For durable stores: closes `store` and opens the same data again. */
  reopen?: (store: Store) => Store | Promise<Store>
}

let counter = 0

/** A stored-op shape with a unique id; the store does not check ids or signatures. */
export function fakeOp(over: Partial<NewOp> = {}): NewOp {
  counter++
  const id = (over.id ?? counter.toString(16)).padStart(64, '0')
  return {
    collection: 'items',
    record: `r${counter}`,
    action: 'update',
    fields: '{"n":1}',
    hlc: `2026-11-21T20:53:36.${String(counter % 1e9).padStart(9, '0')}Z/89F9DD8514914648989315B2D30D7BE5`,
    author: 'A'.repeat(43),
    sig: 'S'.repeat(86),
    live: true,
    ...over,
    id,
  }
}

export function storeConformance(name: string, options: ConformanceOptions): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store
    const stores: Store[] = []
    const open = async () => {
      store = await options.open()
      stores.push(store)
      return store
    }
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close()
    })

    describe('streams: sequence numbers per space are 1, 2, 3, ... without gaps', () => {
      it('numbers ops in append order, per space', async () => {
        await open()
        const a = await store.append('a', [fakeOp(), fakeOp(), fakeOp()])
        const b = await store.append('b', [fakeOp()])
        const a2 = await store.append('a', [fakeOp()])
        expect(a.map(r => r.seq)).toEqual([1, 2, 3])
        expect(b.map(r => r.seq)).toEqual([1])
        expect(a2).toEqual([{ seq: 4, duplicate: false }])
        expect(await store.getSpace('a')).toEqual({ space: 'a', head: 4, horizon: 0 })
      })

      it('answers a held op id as a duplicate with its seq, using no new seq', async () => {
        await open()
        const x = fakeOp()
        const y = fakeOp()
        expect(await store.append('s', [x, y])).toEqual([
          { seq: 1, duplicate: false },
          { seq: 2, duplicate: false },
        ])
        const z = fakeOp()
        expect(await store.append('s', [y, z, z, x])).toEqual([
          { seq: 2, duplicate: true },
          { seq: 3, duplicate: false },
          { seq: 3, duplicate: true },
          { seq: 1, duplicate: true },
        ])
        expect((await store.getSpace('s'))!.head).toBe(3)
      })

      it('keeps the same op id apart in different spaces', async () => {
        await open()
        const x = fakeOp()
        await store.append('a', [fakeOp(), x])
        expect(await store.append('b', [x])).toEqual([{ seq: 1, duplicate: false }])
      })

      it('stays gapless under many concurrent appends', async () => {
        await open()
        const batches = Array.from({ length: 40 }, (_, i) =>
          Array.from({ length: (i % 5) + 1 }, () => fakeOp()),
        )
        const results = await Promise.all(batches.map(ops => store.append('c', ops)))
        const seqs = results.flat().map(r => r.seq)
        const total = batches.reduce((n, b) => n + b.length, 0)
        expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
        const page = await store.pull('c', { after: 0, limit: 1000 })
        expect(page.rows.map(r => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
      })

      it('does not know a space before anything is stored in it', async () => {
        await open()
        expect(await store.getSpace('nothing')).toBeUndefined()
        expect(await store.ensureSpace('new')).toEqual({ space: 'new', head: 0, horizon: 0 })
        expect(await store.getSpace('new')).toEqual({ space: 'new', head: 0, horizon: 0 })
        expect(await store.spaces()).toEqual(['new'])
      })
    })

    describe('ops keep every field exactly', () => {
      it('round-trips updates, deletes and unicode', async () => {
        await open()
        const u = fakeOp({ record: 'emoji 😀 é', fields: '{"t":"ü😀","n":null}' })
        const d = fakeOp({ action: 'delete', fields: undefined, collection: '_members' })
        await store.append('ü space', [u, d])
        const rows = await store.getOps('ü space', [d.id, u.id, 'f'.repeat(64)])
        const byId = new Map(rows.map(r => [r.id, r]))
        expect(rows).toHaveLength(2)
        expect(byId.get(u.id)).toEqual({ ...u, seq: 1 })
        expect(byId.get(d.id)).toEqual({ ...d, seq: 2 })
        expect(await store.getOps('other', [u.id])).toEqual([])
      })
    })

    describe('pull after a seq, with limit and filters', () => {
      const seed = async () => {
        await open()
        await store.append('p', [
          fakeOp({ collection: 'items', record: 'milk' }),
          fakeOp({ collection: 'tags', record: 'mint' }),
          fakeOp({ collection: 'items', record: 'bread', live: false }),
          fakeOp({ collection: 'items', record: 'm%_x' }),
          fakeOp({ collection: 'notes', record: 'müsli' }),
        ])
      }

      it('pages in seq order and says whether more follow', async () => {
        await seed()
        const first = await store.pull('p', { after: 0, limit: 2 })
        expect(first.rows.map(r => r.seq)).toEqual([1, 2])
        expect(first.more).toBe(true)
        const rest = await store.pull('p', { after: 2, limit: 3 })
        expect(rest.rows.map(r => r.seq)).toEqual([3, 4, 5])
        expect(rest.more).toBe(false)
        expect((await store.pull('p', { after: 5, limit: 10 })).rows).toEqual([])
        expect(await store.pull('missing', { after: 0, limit: 10 })).toEqual({ rows: [], more: false })
      })

      it('filters live ops, collections and record prefixes', async () => {
        await seed()
        const seqs = async (q: Parameters<Store['pull']>[1]) =>
          (await store.pull('p', q)).rows.map(r => r.seq)
        expect(await seqs({ after: 0, limit: 10, liveOnly: true })).toEqual([1, 2, 4, 5])
        expect(await seqs({ after: 0, limit: 10, collections: ['items', 'notes'] })).toEqual([1, 3, 4, 5])
        expect(await seqs({ after: 0, limit: 10, prefix: 'm' })).toEqual([1, 2, 4, 5])
        expect(await seqs({ after: 0, limit: 10, prefix: 'm%' })).toEqual([4])
        expect(await seqs({ after: 0, limit: 10, prefix: 'mü' })).toEqual([5])
        expect(await seqs({ after: 0, limit: 10, prefix: '' })).toEqual([1, 2, 3, 4, 5])
        expect(await seqs({ after: 0, limit: 10, collections: [] })).toEqual([])
        expect(
          await seqs({ after: 1, limit: 1, liveOnly: true, collections: ['items'], prefix: 'm' }),
        ).toEqual([4])
        const limited = await store.pull('p', { after: 0, limit: 1, collections: ['tags'] })
        expect(limited.more).toBe(false)
      })

      it('counts ops matching a filter', async () => {
        await seed()
        expect(await store.count('p')).toBe(5)
        expect(await store.count('p', { liveOnly: true })).toBe(4)
        expect(await store.count('p', { liveOnly: true, collections: ['items'], prefix: 'm' })).toBe(2)
        expect(await store.count('missing')).toBe(0)
      })
    })

    describe('live flags, live id pages and pruning', () => {
      it('marks ops superseded, in append and on their own', async () => {
        await open()
        const [a, b, c] = [fakeOp(), fakeOp(), fakeOp()]
        await store.append('s', [a, b])
        await store.append('s', [c], [a.id])
        await store.markSuperseded('s', [b.id, 'f'.repeat(64)])
        const live = await store.pull('s', { after: 0, limit: 10, liveOnly: true })
        expect(live.rows.map(r => r.id)).toEqual([c.id])
        expect((await store.getOps('s', [a.id]))[0]!.live).toBe(false)
      })

      it('pages live ids in id order', async () => {
        await open()
        const ops = ['0c', '0a', '0e', '0b', '0d'].map(id => fakeOp({ id }))
        await store.append('s', ops, [ops[3]!.id])
        const first = await store.liveIds('s', { limit: 2 })
        expect(first.ids).toEqual([ops[1]!.id, ops[0]!.id])
        expect(first.more).toBe(true)
        const rest = await store.liveIds('s', { limit: 2, afterId: first.ids[1]! })
        expect(rest.ids).toEqual([ops[4]!.id, ops[2]!.id])
        expect(rest.more).toBe(false)
        expect(await store.liveIds('missing', { limit: 2 })).toEqual({ ids: [], more: false })
      })

      it('prunes only superseded ops at or below the horizon, and never lowers it', async () => {
        await open()
        const ops = Array.from({ length: 6 }, () => fakeOp())
        await store.append('s', ops, [ops[0]!.id, ops[2]!.id, ops[4]!.id])
        expect(await store.prune('s', 3)).toBe(2)
        expect(await store.getSpace('s')).toEqual({ space: 's', head: 6, horizon: 3 })
        const rows = await store.pull('s', { after: 0, limit: 10 })
        expect(rows.rows.map(r => r.seq)).toEqual([2, 4, 5, 6])
        expect(await store.prune('s', 1)).toBe(0)
        expect((await store.getSpace('s'))!.horizon).toBe(3)
        expect(await store.prune('s', 100)).toBe(1)
        expect((await store.getSpace('s'))!.horizon).toBe(6)
        const next = await store.append('s', [fakeOp()])
        expect(next[0]!.seq).toBe(7)
      })
    })

    describe('client pool: lastSeen and lastSynchronized per space and device', () => {
      it('keeps the newest sighting and the highest cursor', async () => {
        await open()
        await store.ensureSpace('s')
        await store.touchClient('s', 'dev-b', 1000, 5)
        await store.touchClient('s', 'dev-a', 2000)
        await store.touchClient('s', 'dev-b', 900, 3)
        await store.touchClient('s', 'dev-b', 3000)
        await store.touchClient('s', 'dev-a', 2500, 7)
        expect(await store.clients('s')).toEqual([
          { device: 'dev-a', lastSeen: 2500, lastSynchronized: 7 },
          { device: 'dev-b', lastSeen: 3000, lastSynchronized: 5 },
        ])
        expect(await store.clients('other')).toEqual([])
      })

      it('takes many sightings in one call', async () => {
        await open()
        await store.ensureSpace('s')
        await store.touchClients([
          { space: 's', device: 'd1', lastSeen: 10, cursor: 4 },
          { space: 's', device: 'd2', lastSeen: 20 },
          { space: 's', device: 'd1', lastSeen: 5, cursor: 2 },
        ])
        expect(await store.clients('s')).toEqual([
          { device: 'd1', lastSeen: 10, lastSynchronized: 4 },
          { device: 'd2', lastSeen: 20, lastSynchronized: 0 },
        ])
      })
    })

    describe('challenges and sessions', () => {
      it('gives a challenge once, and not after it expired', async () => {
        await open()
        await store.putChallenge('n1', 1000)
        await store.putChallenge('n2', 1000)
        expect(await store.takeChallenge('n1', 999)).toBe(true)
        expect(await store.takeChallenge('n1', 999)).toBe(false)
        expect(await store.takeChallenge('n2', 1000)).toBe(false)
        expect(await store.takeChallenge('never', 0)).toBe(false)
      })

      it('keeps sessions until they expire and are swept', async () => {
        await open()
        await store.putSession('k1', { device: 'd1', expiresAt: 1000 })
        await store.putSession('k2', { device: 'd2', expiresAt: 3000 })
        expect(await store.getSession('k1')).toEqual({ device: 'd1', expiresAt: 1000 })
        await store.sweepExpired(2000)
        expect(await store.getSession('k1')).toBeUndefined()
        expect(await store.getSession('k2')).toEqual({ device: 'd2', expiresAt: 3000 })
      })
    })

    describe('schema descriptors per space', () => {
      it('keeps one descriptor per collection name, the latest', async () => {
        await open()
        await store.putDescriptors('s', [
          { id: '01', name: 'items', json: '{"a":1}' },
          { id: '02', name: 'tags', json: '{"b":1}' },
        ])
        await store.putDescriptors('s', [{ id: '03', name: 'items', json: '{"a":2}' }])
        expect(await store.getDescriptors('s')).toEqual([
          { id: '03', name: 'items', json: '{"a":2}' },
          { id: '02', name: 'tags', json: '{"b":1}' },
        ])
        expect(await store.getDescriptors('other')).toEqual([])
        expect(await store.getSpace('s')).toEqual({ space: 's', head: 0, horizon: 0 })
      })
    })

    describe('stats', () => {
      it('counts spaces, ops, live ops and devices', async () => {
        await open()
        const ops = [fakeOp(), fakeOp(), fakeOp()]
        await store.append('a', ops, [ops[0]!.id])
        await store.append('b', [fakeOp()])
        await store.touchClient('a', 'd1', 1)
        await store.touchClient('b', 'd1', 1)
        await store.touchClient('b', 'd2', 1)
        expect(await store.stats()).toEqual({ spaces: 2, ops: 4, liveOps: 3, devices: 2 })
      })
    })

    if (options.reopen) {
      const reopen = options.reopen
      describe('durability', () => {
        it('keeps committed ops, heads, horizons, pool, sessions and schema after reopening', async () => {
          await open()
          const ops = [fakeOp(), fakeOp(), fakeOp()]
          await store.append('s', ops, [ops[0]!.id])
          await store.prune('s', 1)
          await store.touchClient('s', 'd', 10, 2)
          await store.putSession('k', { device: 'd', expiresAt: 99 })
          await store.putChallenge('n', 99)
          await store.putDescriptors('s', [{ id: '01', name: 'items', json: '{}' }])
          const again = await reopen(store)
          stores.push(again)
          expect(await again.getSpace('s')).toEqual({ space: 's', head: 3, horizon: 1 })
          expect((await again.pull('s', { after: 0, limit: 10 })).rows).toEqual([
            { ...ops[1]!, seq: 2 },
            { ...ops[2]!, seq: 3 },
          ])
          expect(await again.append('s', [fakeOp(), ops[2]!])).toEqual([
            { seq: 4, duplicate: false },
            { seq: 3, duplicate: true },
          ])
          expect(await again.clients('s')).toEqual([{ device: 'd', lastSeen: 10, lastSynchronized: 2 }])
          expect(await again.getSession('k')).toEqual({ device: 'd', expiresAt: 99 })
          expect(await again.takeChallenge('n', 0)).toBe(true)
          expect(await again.getDescriptors('s')).toEqual([{ id: '01', name: 'items', json: '{}' }])
        })
      })
    }
  })
}
