/**
 * The outbox: pushes that could not reach the server, kept until the server has
 * answered for every op in them. Batches are stored as they were pushed (one value
 * per push: IndexedDB costs about the same per value whatever its size), and the
 * replay plans across all of them (plan.ts). Ops the server rejected while no sender
 * was waiting become rejections, kept until a page's engine takes them: nothing
 * leaves the outbox unseen. Two implementations pass one conformance suite:
 * IndexedDB (idb-outbox.ts) and memory (for tests).
 */
import type { Op } from '../../src/core/op.ts'
import type { OutboxBatch, Rejection } from './protocol.ts'

export interface Settled {
  server: string
  /** Ops the server holds (`accepted` or `duplicate`): out of every batch. */
  acked: readonly string[]
  /** Ops the server refused: out of every batch, kept as rejections (none when the sender got them). */
  rejected: readonly Rejection[]
}

export interface Outbox {
  /** Stores one push. */
  add(batch: OutboxBatch): Promise<void>
  /** Every stored push, oldest first. */
  batches(): Promise<OutboxBatch[]>
  /** Whether any op for `server` is queued. */
  holds(server: string): Promise<boolean>
  /** Takes settled ops out of every batch of their server, in one transaction. */
  settle(settled: Settled): Promise<void>
  /** Rejections of a device's ops that no engine has taken yet. */
  rejections(device: string): Promise<Rejection[]>
  /** Forgets rejections the engine took. */
  forget(server: string, ids: readonly string[]): Promise<void>
  close(): void
}

/** The batches left after taking `settled` ids of `server` out (empty ones dropped). */
export function without(batch: OutboxBatch, server: string, ids: ReadonlySet<string>): Op[] | undefined {
  if (batch.server !== server || !batch.ops.some(op => ids.has(op.id))) return undefined
  return batch.ops.filter(op => !ids.has(op.id))
}

/** An outbox in memory: for tests, and where IndexedDB is missing. */
export function memoryOutbox(): Outbox {
  let stored: OutboxBatch[] = []
  const rejected = new Map<string, Rejection>()
  const key = (server: string, id: string) => `${server} ${id}`
  return {
    async add(batch) {
      if (batch.ops.length) stored.push(structuredClone(batch))
    },
    async batches() {
      return structuredClone(stored)
    },
    async holds(server) {
      return stored.some(b => b.server === server)
    },
    async settle({ server, acked, rejected: refused }) {
      const ids = new Set([...acked, ...refused.map(r => r.op.id)])
      stored = stored
        .map(batch => {
          const left = without(batch, server, ids)
          return left ? { ...batch, ops: left } : batch
        })
        .filter(batch => batch.ops.length > 0)
      for (const r of refused) rejected.set(key(server, r.op.id), structuredClone(r))
    },
    async rejections(device) {
      return [...rejected.values()].filter(r => r.device === device)
    },
    async forget(server, ids) {
      for (const id of ids) rejected.delete(key(server, id))
    },
    close() {},
  }
}

/** An outbox usable at once, opened on first use (a service worker opens it in its first event). */
export function lazyOutbox(open: () => Promise<Outbox>): Outbox {
  let opened: Promise<Outbox> | undefined
  const box = () => (opened ??= open())
  return {
    add: async batch => (await box()).add(batch),
    batches: async () => (await box()).batches(),
    holds: async server => (await box()).holds(server),
    settle: async settled => (await box()).settle(settled),
    rejections: async device => (await box()).rejections(device),
    forget: async (server, ids) => (await box()).forget(server, ids),
    close: () => void opened?.then(o => o.close()),
  }
}
