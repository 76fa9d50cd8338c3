/**
 * Group commit, per space. Pushes whose ops are ready to commit queue up per space;
 * one commit takes every push queued by then, in arrival order, in one store
 * transaction (one fsync under synchronous=FULL instead of one per push).
 *
 * A queue is flushed on `setImmediate`: the I/O callbacks of the current event-loop
 * turn run first, so the requests that arrived together share a commit, and a lone
 * push waits no timer. While a commit holds the space's lock (a store that commits
 * asynchronously, or a schema change), later pushes gather in the next queue. Each
 * push resolves only after the commit that holds it: its results are durable; if that
 * commit fails, every push in it fails and none of their ops is accepted.
 */
import type { KeyedLock } from './keyed-lock.ts'

interface Waiting<T> {
  item: T
  resolve: () => void
  reject: (error: unknown) => void
}

export class CommitQueue<T> {
  private readonly queued = new Map<string, Waiting<T>[]>()

  /**
   * @param lock the per-space write lock each commit holds
   * @param commit commits the items of one space, oldest first, all or none
   */
  constructor(
    private readonly lock: KeyedLock,
    private readonly commit: (key: string, items: T[]) => Promise<void>,
  ) {}

  /** Resolves once `item` is committed, with whatever else was queued for `key` by then. */
  add(key: string, item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      let queue = this.queued.get(key)
      if (!queue) {
        queue = []
        this.queued.set(key, queue)
        setImmediate(() => void this.flush(key))
      }
      queue.push({ item, resolve, reject })
    })
  }

  private flush(key: string): Promise<void> {
    return this.lock.with([key], async () => {
      // Taken under the lock: pushes that queued while it was held join this commit.
      const queue = this.queued.get(key)
      if (!queue) return
      this.queued.delete(key)
      try {
        await this.commit(
          key,
          queue.map(w => w.item),
        )
      } catch (error) {
        for (const w of queue) w.reject(error)
        return
      }
      for (const w of queue) w.resolve()
    })
  }
}
