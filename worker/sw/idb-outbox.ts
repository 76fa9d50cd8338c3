/**
 * The outbox on IndexedDB (through idb), in its own database `syncline-outbox`:
 * `batches` (autoincrement key, one pushed batch per value, so insertion order is key
 * order) and `rejections` (key `[server, op id]`). Every version of the service worker
 * opens the same database, so a new version finds the queue the old one left.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb'
import { type Outbox, without } from './outbox.ts'
import type { OutboxBatch, Rejection } from './protocol.ts'

interface OutboxSchema extends DBSchema {
  batches: { key: number; value: OutboxBatch }
  rejections: { key: [string, string]; value: Rejection; indexes: { device: string } }
}

export const OUTBOX_DATABASE = 'syncline-outbox'
const VERSION = 1

export async function openIdbOutbox(name = OUTBOX_DATABASE): Promise<Outbox> {
  const db: IDBPDatabase<OutboxSchema> = await openDB<OutboxSchema>(name, VERSION, {
    upgrade(db) {
      db.createObjectStore('batches', { autoIncrement: true })
      const rejections = db.createObjectStore('rejections', { keyPath: ['server', 'op.id'] })
      rejections.createIndex('device', 'device')
    },
    blocking() {
      // A newer version wants to upgrade the database: let it.
      db.close()
    },
  })
  return {
    async add(batch) {
      if (batch.ops.length) await db.add('batches', batch)
    },
    batches: () => db.getAll('batches'),
    async holds(server) {
      for (const batch of await db.getAll('batches')) if (batch.server === server) return true
      return false
    },
    async settle({ server, acked, rejected }) {
      const ids = new Set([...acked, ...rejected.map(r => r.op.id)])
      const tx = db.transaction(['batches', 'rejections'], 'readwrite')
      const batches = tx.objectStore('batches')
      const writes: Promise<unknown>[] = []
      for (let cursor = await batches.openCursor(); cursor; cursor = await cursor.continue()) {
        const left = without(cursor.value, server, ids)
        if (!left) continue
        writes.push(left.length ? cursor.update({ ...cursor.value, ops: left }) : cursor.delete())
      }
      for (const r of rejected) writes.push(tx.objectStore('rejections').put(r))
      await Promise.all([...writes, tx.done])
    },
    rejections: device => db.getAllFromIndex('rejections', 'device', device),
    async forget(server, ids) {
      const tx = db.transaction('rejections', 'readwrite')
      await Promise.all([...ids.map(id => tx.store.delete([server, id])), tx.done])
    },
    close: () => db.close(),
  }
}
