import { describe, expect, it } from 'vitest'
import { openIdbOpLog } from './idb-oplog.ts'
import { fakeOp, oplogConformance } from './oplog-conformance.ts'

oplogConformance('IndexedDB', name => openIdbOpLog(name))

describe('IndexedDB log: acknowledging reads only the values it settles', () => {
  /** Counts the cursors opened on the pending store while `work` runs. */
  async function cursorsDuring(work: () => Promise<void>): Promise<number> {
    const open = IDBObjectStore.prototype.openCursor
    let cursors = 0
    IDBObjectStore.prototype.openCursor = function (this: IDBObjectStore, ...args) {
      if (this.name === 'pending') cursors++
      return open.apply(this, args)
    }
    try {
      await work()
    } finally {
      IDBObjectStore.prototype.openCursor = open
    }
    return cursors
  }

  it('finds the ops it added or read by key, and scans once for ops another tab added', async () => {
    const name = `ack-${Date.now()}`
    const log = await openIdbOpLog(name)
    const other = await openIdbOpLog(name)
    const ops = Array.from({ length: 50 }, (_, i) => fakeOp('a', i))
    for (const op of ops.slice(0, 40)) await log.commit({ pendingAdd: [op] })
    // 40 pending values: acknowledging one of them opens no cursor over all of them.
    expect(await cursorsDuring(() => log.commit({ acknowledged: [ops[3]!.id] }))).toBe(0)
    expect(await cursorsDuring(() => log.commit({ pendingRemove: [ops[4]!.id] }))).toBe(0)
    // Added by another handle this one never read: found by one scan, then by key.
    for (const op of ops.slice(40)) await other.commit({ pendingAdd: [op] })
    expect(await cursorsDuring(() => log.commit({ acknowledged: [ops[41]!.id] }))).toBe(1)
    expect(await cursorsDuring(() => log.commit({ acknowledged: [ops[42]!.id] }))).toBe(0)
    const loaded = await log.load()
    expect(loaded.pending.map(op => op.record)).toEqual(
      ops.filter((_, i) => ![3, 4, 41, 42].includes(i)).map(op => op.record),
    )
    expect(loaded.ops.get('a')!.slice(0, 3)).toEqual([ops[3], ops[41], ops[42]])
    other.close()
    await log.destroy()
  })
})
