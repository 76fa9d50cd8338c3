/**
 * An OpLog in memory, for Node tests and the simulator. Same semantics as the
 * IndexedDB one (the conformance suite runs against both); commits are atomic
 * because nothing in them can fail halfway.
 */
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

/** A stored chunk under its key (pages kept packed and decoded when read, as in IndexedDB). */
type Chunk = StoredChunk & { key: number }

/** Several MemoryOpLog handles on one store behave like tabs sharing one database. */
export class MemoryStore {
  chunks: Chunk[] = []
  pending = new Map<string, Op>()
  /** The key each pending op was added under (one counter with the chunks: both only grow). */
  pendingKeys = new Map<string, number>()
  meta = new Map<string, unknown>()
  nextKey = 1
}

export class MemoryOpLog implements OpLog {
  constructor(private readonly store = new MemoryStore()) {}

  async load(): Promise<LoadedLog> {
    const ops = new Map<string, Op[]>()
    const pending = [...this.store.pending.values()]
    for (const chunk of this.store.chunks) {
      const list = ops.get(chunk.space) ?? []
      list.push(...chunkOps(chunk))
      ops.set(chunk.space, list)
    }
    for (const op of pending) {
      const list = ops.get(op.space) ?? []
      list.push(op)
      ops.set(op.space, list)
    }
    return {
      ops,
      pending,
      meta: new Map(this.store.meta),
      lastChunk: this.store.nextKey - 1,
      lastPending: this.store.nextKey - 1,
    }
  }

  async commit(write: LogWrite): Promise<void> {
    const s = this.store
    // Clone everything first (cloning is what can fail), then apply: all or nothing.
    const chunks: StoredChunk[] = [...groupBySpace(write.ops ?? [])].map(([space, ops]) => ({
      space,
      ops: structuredClone(ops),
    }))
    for (const page of write.pages ?? []) chunks.push(structuredClone(pageToStore(page)))
    const pending = (write.pendingAdd ?? []).map(op => structuredClone(op))
    const meta = Object.entries(write.meta ?? {}).map(
      ([key, value]) => [key, structuredClone(value)] as const,
    )
    for (const chunk of chunks) s.chunks.push({ key: s.nextKey++, ...chunk })
    if (pending.length) {
      const key = s.nextKey++
      for (const op of pending) {
        s.pending.set(op.id, op)
        s.pendingKeys.set(op.id, key)
      }
    }
    const acknowledged: Op[] = []
    for (const id of write.acknowledged ?? []) {
      const op = s.pending.get(id)
      if (!op) continue
      s.pending.delete(id)
      s.pendingKeys.delete(id)
      acknowledged.push(op)
    }
    for (const [space, ops] of groupBySpace(acknowledged)) s.chunks.push({ key: s.nextKey++, space, ops })
    for (const id of write.pendingRemove ?? []) {
      s.pending.delete(id)
      s.pendingKeys.delete(id)
    }
    for (const [key, value] of meta) s.meta.set(key, value)
  }

  async readSince(afterChunk: number, afterPending: number): Promise<LogSince> {
    const s = this.store
    const chunks = s.chunks.filter(c => c.key > afterChunk)
    const pending = [...s.pending.values()].filter(op => s.pendingKeys.get(op.id)! > afterPending)
    return {
      ops: [...chunks.flatMap(chunkOps), ...pending],
      lastChunk: Math.max(afterChunk, ...chunks.map(c => c.key)),
      lastPending: Math.max(afterPending, ...pending.map(op => s.pendingKeys.get(op.id)!)),
    }
  }

  async compact(space: string, live: readonly Op[], upToChunk: number): Promise<void> {
    const s = this.store
    const kept = s.chunks.filter(c => c.space !== space || c.key > upToChunk)
    const packed: Chunk[] = []
    for (let i = 0; i < live.length; i += PAGE_SIZE) {
      packed.push({ key: s.nextKey++, space, ops: structuredClone(live.slice(i, i + PAGE_SIZE)) })
    }
    s.chunks = [...kept, ...packed].sort((a, b) => a.key - b.key)
  }

  async claimMeta<T>(key: string, value: T): Promise<T> {
    if (!this.store.meta.has(key)) this.store.meta.set(key, structuredClone(value))
    return structuredClone(this.store.meta.get(key)) as T
  }

  async chunkCount(space: string): Promise<number> {
    return this.store.chunks.filter(c => c.space === space).length
  }

  close(): void {}

  async destroy(): Promise<void> {
    Object.assign(this.store, new MemoryStore())
  }
}
