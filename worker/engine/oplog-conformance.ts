/**
 * The conformance suite every OpLog implementation must pass (automerge-repo's
 * pattern): run by memory-oplog.test.ts in Node and idb-oplog.browser.test.ts in Chromium.
 */
import { describe, expect, it } from 'vitest'
import type { Op } from '../../src/core/op.ts'
import { encodeOpPack } from '../../src/core/oppack.ts'
import type { OpLog, PackedPage } from './oplog.ts'

/** An op that needs no signature: the log stores whatever it is given. */
export function fakeOp(space: string, n: number, extra: Partial<Op> = {}): Op {
  return {
    space,
    collection: 'items',
    record: `r${n}`,
    action: 'update',
    fields: { n, text: 'é😀' },
    hlc: `2026-01-01T00:00:00.${String(n).padStart(9, '0')}Z/${'A'.repeat(32)}`,
    author: 'author',
    id: n.toString(16).padStart(64, '0'),
    sig: 'sig',
    ...extra,
  }
}

/**
 * A page of server ops as the engine stores it: fake ops (author and signature of zero
 * bytes, the log does not check them) encoded as the server would, handed over as a
 * view into a larger buffer, as pages of a stream arrive.
 */
export function fakePage(space: string, ns: readonly number[]): { page: PackedPage; ops: Op[] } {
  const ops = ns.map(n => fakeOp(space, n, { author: 'A'.repeat(43), sig: 'A'.repeat(86) }))
  const rows = ops.map((op, i) => ({ ...op, seq: i + 1, fields: JSON.stringify(op.fields) }))
  const bytes = encodeOpPack(space, rows, {
    after: 0,
    head: ops.length,
    horizon: 0,
    total: ops.length,
    more: false,
  })
  const stream = new Uint8Array(bytes.length + 20)
  stream.set(bytes, 10)
  return {
    page: { space, bytes: stream.subarray(10, 10 + bytes.length), ids: ops.map(op => op.id).join('') },
    ops,
  }
}

/** `open(name)` opens a log; two opens of one name share storage, like two tabs. */
export function oplogConformance(label: string, open: (name: string) => Promise<OpLog>) {
  let counter = 0
  const fresh = async () => {
    const name = `conformance-${Date.now()}-${counter++}`
    return { name, log: await open(name) }
  }

  describe(`OpLog conformance: ${label}`, () => {
    it('starts empty', async () => {
      const { log } = await fresh()
      const loaded = await log.load()
      expect(loaded.ops.size).toBe(0)
      expect(loaded.pending).toEqual([])
      expect(loaded.lastChunk).toBe(0)
      await log.destroy()
    })

    it('keeps committed ops, pending ops and meta across reopening', async () => {
      const { name, log } = await fresh()
      const ops = [fakeOp('a', 1), fakeOp('b', 2), fakeOp('a', 3)]
      const local = fakeOp('a', 4)
      await log.commit({ ops, pendingAdd: [local], meta: { clock: '42', 'space:a': { cursor: 7 } } })
      log.close()
      const again = await open(name)
      const loaded = await again.load()
      // Pending ops are in the log too, after the appended ones.
      expect(loaded.ops.get('a')).toEqual([ops[0], ops[2], local])
      expect(loaded.ops.get('b')).toEqual([ops[1]])
      expect(loaded.pending).toEqual([local])
      expect(loaded.meta.get('clock')).toBe('42')
      expect(loaded.meta.get('space:a')).toEqual({ cursor: 7 })
      await again.destroy()
    })

    it('keeps acknowledged ops in the log, no longer pending, and shows them to other handles', async () => {
      const { name, log } = await fresh()
      const other = await open(name)
      const ops = [fakeOp('a', 1), fakeOp('b', 2), fakeOp('a', 3)]
      await log.commit({ pendingAdd: ops.slice(0, 2) })
      await log.commit({ pendingAdd: [ops[2]!] })
      const { lastChunk, lastPending } = await other.load()
      await log.commit({ acknowledged: [ops[0]!.id, ops[1]!.id, 'not-pending'] })
      const loaded = await log.load()
      expect(loaded.pending).toEqual([ops[2]])
      expect(loaded.ops.get('a')).toEqual([ops[0], ops[2]])
      expect(loaded.ops.get('b')).toEqual([ops[1]])
      // Acknowledged ops join the chunks: a tab reading what was appended sees them.
      expect((await other.readSince(lastChunk, lastPending)).ops).toEqual([ops[0], ops[1]])
      other.close()
      await log.destroy()
    })

    it('takes removed pending ops out of the log', async () => {
      const { log } = await fresh()
      const ops = [fakeOp('a', 1), fakeOp('a', 2)]
      await log.commit({ pendingAdd: ops })
      await log.commit({ pendingRemove: [ops[0]!.id] })
      const loaded = await log.load()
      expect(loaded.pending).toEqual([ops[1]])
      expect(loaded.ops.get('a')).toEqual([ops[1]])
      await log.destroy()
    })

    it('settles acknowledged and removed ops of one commit together', async () => {
      const { log } = await fresh()
      const ops = [fakeOp('a', 1), fakeOp('a', 2), fakeOp('a', 3)]
      await log.commit({ pendingAdd: ops })
      await log.commit({ acknowledged: [ops[0]!.id], pendingRemove: [ops[1]!.id] })
      const loaded = await log.load()
      expect(loaded.pending).toEqual([ops[2]])
      expect(loaded.ops.get('a')).toEqual([ops[0], ops[2]])
      await log.destroy()
    })

    it('compacting a space keeps its pending ops', async () => {
      const { log } = await fresh()
      await log.commit({ ops: [fakeOp('a', 1), fakeOp('a', 2)] })
      await log.commit({ pendingAdd: [fakeOp('a', 3)] })
      const { lastChunk } = await log.load()
      await log.compact('a', [fakeOp('a', 2)], lastChunk)
      const loaded = await log.load()
      expect(loaded.ops.get('a')).toEqual([fakeOp('a', 2), fakeOp('a', 3)])
      expect(loaded.pending).toEqual([fakeOp('a', 3)])
      await log.destroy()
    })

    it('appends in commit order and reads what other handles appended since, pending ops too', async () => {
      const { name, log } = await fresh()
      const other = await open(name)
      await log.commit({ ops: [fakeOp('a', 1)], pendingAdd: [fakeOp('a', 9)] })
      const { lastChunk, lastPending } = await log.load()
      await other.commit({ ops: [fakeOp('a', 2), fakeOp('a', 3)] })
      await other.commit({ pendingAdd: [fakeOp('b', 4)] })
      const since = await log.readSince(lastChunk, lastPending)
      expect(since.ops.map(op => op.record)).toEqual(['r2', 'r3', 'r4'])
      expect(since.lastChunk).toBeGreaterThan(lastChunk)
      expect(since.lastPending).toBeGreaterThan(lastPending)
      expect((await log.readSince(since.lastChunk, since.lastPending)).ops).toEqual([])
      other.close()
      await log.destroy()
    })

    it('compacts a space into packed pages and keeps chunks appended after the read', async () => {
      const { name, log } = await fresh()
      for (let i = 0; i < 5; i++) await log.commit({ ops: [fakeOp('a', i)] })
      await log.commit({ ops: [fakeOp('b', 99)] })
      const { lastChunk } = await log.load()
      const other = await open(name)
      await other.commit({ ops: [fakeOp('a', 100)] }) // another tab, after our read
      const live = Array.from({ length: 2500 }, (_, i) => fakeOp('a', 1000 + i))
      await log.compact('a', live, lastChunk)
      const loaded = await log.load()
      expect(loaded.ops.get('a')!.map(op => op.record)).toEqual(['r100', ...live.map(op => op.record)])
      expect(loaded.ops.get('b')!.length).toBe(1)
      expect(await log.chunkCount('a')).toBe(1 + 3)
      other.close()
      await log.destroy()
    })

    it('keeps a page of server ops as it came and reads it back as its ops, in commit order', async () => {
      const { name, log } = await fresh()
      const { page, ops } = fakePage('a', [1, 2, 3])
      await log.commit({ ops: [fakeOp('a', 0)] })
      await log.commit({ pages: [page], meta: { 'space:a': { cursor: 3 } } })
      await log.commit({ ops: [fakeOp('a', 4)] })
      log.close()
      const again = await open(name)
      const loaded = await again.load()
      expect(loaded.ops.get('a')).toEqual([fakeOp('a', 0), ...ops, fakeOp('a', 4)])
      expect(loaded.meta.get('space:a')).toEqual({ cursor: 3 })
      await again.destroy()
    })

    it('gives other handles the ops of pages appended since, and compacts pages away', async () => {
      const { name, log } = await fresh()
      const other = await open(name)
      const { lastChunk, lastPending } = await log.load()
      const { page, ops } = fakePage('a', [5, 6])
      await other.commit({ pages: [page] })
      const since = await log.readSince(lastChunk, lastPending)
      expect(since.ops).toEqual(ops)
      await log.compact('a', [ops[1]!], since.lastChunk)
      expect((await log.load()).ops.get('a')).toEqual([ops[1]])
      other.close()
      await log.destroy()
    })

    it('claims a meta value once, even when two handles race', async () => {
      const { name, log } = await fresh()
      const other = await open(name)
      const [a, b] = await Promise.all([
        log.claimMeta('device', 'first'),
        other.claimMeta('device', 'second'),
      ])
      expect(a).toBe(b)
      expect(await log.claimMeta('device', 'third')).toBe(a)
      other.close()
      await log.destroy()
    })

    it('a commit is all or nothing', async () => {
      const { log } = await fresh()
      await log.commit({ ops: [fakeOp('a', 1)] })
      // A value that cannot be stored (a function) fails the whole commit.
      const bad = { ...fakeOp('a', 2), fields: { f: (() => 1) as unknown as number } }
      await expect(log.commit({ ops: [fakeOp('a', 3)], pendingAdd: [bad], meta: { x: 1 } })).rejects.toThrow()
      const loaded = await log.load()
      expect(loaded.ops.get('a')!.map(op => op.record)).toEqual(['r1'])
      expect(loaded.pending).toEqual([])
      expect(loaded.meta.has('x')).toBe(false)
      await log.destroy()
    })
  })
}
