/**
 * Group commit: writes issued while a commit is in flight (or in the same tick) share
 * the next transaction. IndexedDB charges per transaction and per value, not per op,
 * so 10,000 writes issued back to back land in a handful of commits instead of 10,000.
 * Each write's promise settles when the transaction holding it has committed or failed.
 */
import type { Op } from '../../src/core/op.ts'
import type { LogWrite, PackedPage } from './oplog.ts'

interface Waiter {
  write: LogWrite
  resolve: () => void
  reject: (error: unknown) => void
}

export class GroupCommit {
  private queue: Waiter[] = []
  private running = false

  constructor(private readonly commit: (write: LogWrite) => Promise<void>) {}

  /** Resolves once `write` is durable. */
  submit(write: LogWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject })
      if (!this.running) {
        this.running = true
        // Let the writes issued in this tick join the first transaction.
        queueMicrotask(() => void this.drain())
      }
    })
  }

  /** Resolves when everything submitted so far is durable (or failed). */
  async flush(): Promise<void> {
    while (this.running || this.queue.length) await new Promise(resolve => setTimeout(resolve, 0))
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue
      this.queue = []
      try {
        await this.commit(merge(batch.map(w => w.write)))
        for (const w of batch) w.resolve()
      } catch (error) {
        for (const w of batch) w.reject(error)
      }
    }
    this.running = false
  }
}

/** One LogWrite doing what all of `writes` do, in order. */
export function merge(writes: readonly LogWrite[]): LogWrite {
  if (writes.length === 1) return writes[0]!
  const ops: Op[] = []
  const pages: PackedPage[] = []
  const pendingAdd: Op[] = []
  const acknowledged: string[] = []
  const pendingRemove: string[] = []
  const meta: Record<string, unknown> = {}
  for (const w of writes) {
    if (w.ops) ops.push(...w.ops)
    if (w.pages) pages.push(...w.pages)
    if (w.pendingAdd) pendingAdd.push(...w.pendingAdd)
    if (w.acknowledged) acknowledged.push(...w.acknowledged)
    if (w.pendingRemove) pendingRemove.push(...w.pendingRemove)
    if (w.meta) Object.assign(meta, w.meta)
  }
  return { ops, pages, pendingAdd, acknowledged, pendingRemove, meta }
}
