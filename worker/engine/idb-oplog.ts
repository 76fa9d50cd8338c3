/**
 * The OpLog on IndexedDB (through idb): one database per replica name.
 * Stores: `chunks` (autoincrement key, `{space, ops}` or a packed page
 * `{space, bytes, ids}`, indexed by space),
 * `pending` (autoincrement key, the unacknowledged local ops of one commit, moved
 * into `chunks` when acknowledged) and `meta`
 * (key -> value: `device`, `clock`, `space:<id>`). A commit is one transaction;
 * a full disk surfaces as `quota_exceeded` and, since the transaction aborts whole,
 * loses nothing that was written before.
 */
import { type DBSchema, type IDBPDatabase, type IDBPObjectStore, openDB } from 'idb'
import { SynclineError } from '../../src/core/errors.ts'
import type { Op } from '../../src/core/op.ts'
import {
  chunkOps,
  groupBySpace,
  type LoadedLog,
  type LogSince,
  type LogWrite,
  type OpLog,
  PAGE_SIZE,
  pageToStore,
  type StoredChunk,
} from './oplog.ts'

interface LogSchema extends DBSchema {
  chunks: { key: number; value: StoredChunk; indexes: { space: string } }
  /** Pending ops, one value per commit (not per op: a value costs ~75 µs whatever its size). */
  pending: { key: number; value: Op[] }
  meta: { key: string; value: unknown }
}

const VERSION = 1

/** The IndexedDB database name of a replica. */
export function databaseName(name: string): string {
  return `syncline:${name}`
}

export async function openIdbOpLog(name: string): Promise<OpLog> {
  const db = await openDB<LogSchema>(databaseName(name), VERSION, {
    upgrade(db) {
      const chunks = db.createObjectStore('chunks', { autoIncrement: true })
      chunks.createIndex('space', 'space')
      db.createObjectStore('pending', { autoIncrement: true })
      db.createObjectStore('meta')
    },
    blocking() {
      // Another tab wants a newer version: step aside rather than block it.
      db.close()
    },
  })
  return new IdbOpLog(db, name)
}

class IdbOpLog implements OpLog {
  /**
   * The pending value each pending op this handle has seen is in: acknowledging ops then
   * reads and rewrites only their values, not every pending value (which made a burst
   * of writes on a live connection quadratic). Ops another tab added and this handle
   * never read are found by a scan, which fills the map.
   */
  private readonly pendingKeys = new Map<string, number>()

  constructor(
    private readonly db: IDBPDatabase<LogSchema>,
    private readonly name: string,
  ) {}

  private notePending(ops: readonly Op[], key: number): void {
    for (const op of ops) this.pendingKeys.set(op.id, key)
  }

  async load(): Promise<LoadedLog> {
    const tx = this.db.transaction(['chunks', 'pending', 'meta'])
    const [keys, chunks, pendingKeys, pending, metaKeys, metaValues] = await Promise.all([
      tx.objectStore('chunks').getAllKeys(),
      tx.objectStore('chunks').getAll(),
      tx.objectStore('pending').getAllKeys(),
      tx.objectStore('pending').getAll(),
      tx.objectStore('meta').getAllKeys(),
      tx.objectStore('meta').getAll(),
    ])
    const ops = new Map<string, Op[]>()
    const append = (space: string, list: Op[]) => {
      const held = ops.get(space)
      if (held) for (const op of list) held.push(op)
      else ops.set(space, list)
    }
    for (const chunk of chunks) append(chunk.space, chunkOps(chunk))
    const pendingOps = pending.flat()
    for (const [space, list] of groupBySpace(pendingOps)) append(space, list)
    this.pendingKeys.clear()
    pending.forEach((value, i) => this.notePending(value, pendingKeys[i]!))
    const meta = new Map(metaKeys.map((key, i) => [key, metaValues[i]]))
    return {
      ops,
      pending: pendingOps,
      meta,
      lastChunk: keys.length ? keys[keys.length - 1]! : 0,
      lastPending: pendingKeys.length ? pendingKeys[pendingKeys.length - 1]! : 0,
    }
  }

  commit(write: LogWrite): Promise<void> {
    return guard(async () => {
      // Default durability: committed once the OS has the data (it survives a crash of
      // the tab or the browser), which is what "durable" means for IndexedDB apps.
      // Only the stores this write touches: a local write is then one value in one store.
      const meta = Object.entries(write.meta ?? {})
      const acknowledged = write.acknowledged ?? []
      const removed = write.pendingRemove ?? []
      const stores: ('chunks' | 'pending' | 'meta')[] = []
      if (write.ops?.length || write.pages?.length || acknowledged.length) stores.push('chunks')
      if (write.pendingAdd?.length || acknowledged.length || removed.length) stores.push('pending')
      if (meta.length) stores.push('meta')
      if (stores.length === 0) return
      const tx = this.db.transaction(stores, 'readwrite')
      const writes: Promise<unknown>[] = []
      let addedKey: Promise<number> | undefined
      let settled: string[] = []
      try {
        for (const [space, ops] of groupBySpace(write.ops ?? []))
          writes.push(tx.objectStore('chunks').add({ space, ops }))
        for (const page of write.pages ?? []) writes.push(tx.objectStore('chunks').add(pageToStore(page)))
        if (write.pendingAdd?.length)
          writes.push((addedKey = tx.objectStore('pending').add([...write.pendingAdd])))
        if (acknowledged.length || removed.length) {
          settled = [...acknowledged, ...removed]
          const store = tx.objectStore('pending')
          const settling = settlePending(store, acknowledged, removed, this.pendingKeys).then(done =>
            Promise.all(
              [...groupBySpace(done)].map(([space, ops]) => tx.objectStore('chunks').add({ space, ops })),
            ),
          )
          writes.push(settling)
        }
        for (const [key, value] of meta) writes.push(tx.objectStore('meta').put(value, key))
      } catch (error) {
        // A value that cannot be cloned throws here, after earlier requests were queued:
        // abort so that none of them lands.
        tx.abort()
        await Promise.allSettled([...writes, tx.done])
        throw error
      }
      await Promise.all([...writes, tx.done])
      if (addedKey) this.notePending(write.pendingAdd!, await addedKey)
      for (const id of settled) this.pendingKeys.delete(id)
    })
  }

  async readSince(afterChunk: number, afterPending: number): Promise<LogSince> {
    const tx = this.db.transaction(['chunks', 'pending'])
    const chunksAfter = IDBKeyRange.lowerBound(afterChunk, true)
    const pendingAfter = IDBKeyRange.lowerBound(afterPending, true)
    const [keys, chunks, pendingKeys, pending] = await Promise.all([
      tx.objectStore('chunks').getAllKeys(chunksAfter),
      tx.objectStore('chunks').getAll(chunksAfter),
      tx.objectStore('pending').getAllKeys(pendingAfter),
      tx.objectStore('pending').getAll(pendingAfter),
    ])
    pending.forEach((value, i) => this.notePending(value, pendingKeys[i]!))
    return {
      ops: [...chunks.flatMap(chunkOps), ...pending.flat()],
      lastChunk: keys.length ? keys[keys.length - 1]! : afterChunk,
      lastPending: pendingKeys.length ? pendingKeys[pendingKeys.length - 1]! : afterPending,
    }
  }

  compact(space: string, live: readonly Op[], upToChunk: number): Promise<void> {
    return guard(async () => {
      const tx = this.db.transaction('chunks', 'readwrite')
      const keys = await tx.store.index('space').getAllKeys(space)
      // Ops come from the merge state, so they always clone: no abort path needed here.
      const writes: Promise<unknown>[] = []
      for (const key of keys) if (key <= upToChunk) writes.push(tx.store.delete(key))
      for (let i = 0; i < live.length; i += PAGE_SIZE) {
        writes.push(tx.store.add({ space, ops: live.slice(i, i + PAGE_SIZE) }))
      }
      await Promise.all([...writes, tx.done])
    })
  }

  async claimMeta<T>(key: string, value: T): Promise<T> {
    const tx = this.db.transaction('meta', 'readwrite')
    const stored = (await tx.store.get(key)) as T | undefined
    if (stored === undefined) await tx.store.put(value, key)
    await tx.done
    return stored ?? value
  }

  chunkCount(space: string): Promise<number> {
    return this.db.countFromIndex('chunks', 'space', space)
  }

  close(): void {
    this.db.close()
  }

  async destroy(): Promise<void> {
    this.db.close()
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(databaseName(this.name))
      request.onsuccess = () => resolve()
      request.onerror = () => reject(request.error)
    })
  }
}

/**
 * Takes acknowledged and removed ops out of the pending values, rewriting only the
 * values that change; answers the acknowledged ones, for the caller to append. Reads
 * the values `keys` names, or every value when an op is not in it (and notes where
 * the others are).
 */
async function settlePending(
  store: IDBPObjectStore<LogSchema, ('chunks' | 'pending' | 'meta')[], 'pending', 'readwrite'>,
  acknowledged: readonly string[],
  removed: readonly string[],
  keys: Map<string, number>,
): Promise<Op[]> {
  const acked = new Set(acknowledged)
  const gone = new Set(removed)
  const done: Op[] = []
  /** The ops of a value that stay pending; the acknowledged ones go to `done`. */
  const settle = (ops: Op[]): Op[] => {
    const kept: Op[] = []
    for (const op of ops) {
      if (acked.has(op.id)) done.push(op)
      else if (!gone.has(op.id)) kept.push(op)
    }
    return kept
  }
  const values = new Set<number>()
  for (const id of [...acked, ...gone]) {
    const key = keys.get(id)
    if (key === undefined) return settleAll(store, settle, keys).then(() => done)
    values.add(key)
  }
  for (const key of values) {
    const ops = await store.get(key)
    if (!ops) continue // settled by another tab
    const kept = settle(ops)
    if (kept.length === 0) await store.delete(key)
    else if (kept.length !== ops.length) await store.put(kept, key)
  }
  return done
}

/** `settlePending` over every pending value, noting where each op that stays is. */
async function settleAll(
  store: IDBPObjectStore<LogSchema, ('chunks' | 'pending' | 'meta')[], 'pending', 'readwrite'>,
  settle: (ops: Op[]) => Op[],
  keys: Map<string, number>,
): Promise<void> {
  let cursor = await store.openCursor()
  while (cursor) {
    const ops = cursor.value
    const kept = settle(ops)
    for (const op of kept) keys.set(op.id, cursor.key)
    if (kept.length === 0) await cursor.delete()
    else if (kept.length !== ops.length) await cursor.update(kept)
    cursor = await cursor.continue()
  }
}

/** Maps storage failures to coded errors; a full disk is `quota_exceeded`. */
async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof DOMException && error.name === 'QuotaExceededError') {
      throw new SynclineError(
        'quota_exceeded',
        'the browser refused to store more data (disk or quota full)',
        {
          cause: error,
        },
      )
    }
    throw error
  }
}
