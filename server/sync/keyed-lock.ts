/**
 * One writer at a time per key (a space). A push takes the locks of its spaces in
 * name order, so two pushes over the same spaces cannot deadlock. Within a space this
 * keeps "merge in memory, then commit" atomic with respect to other pushes, and makes
 * commits (and so live deliveries) happen in sequence order.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>()

  /** Runs `work` holding the locks of all `keys`. */
  async with<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort()
    const releases: (() => void)[] = []
    try {
      for (const key of sorted) releases.push(await this.acquire(key))
      return await work()
    } finally {
      for (const release of releases.reverse()) release()
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const current = new Promise<void>(resolve => {
      release = resolve
    })
    const tail = previous.then(() => current)
    this.tails.set(key, tail)
    await previous
    return () => {
      release()
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}
