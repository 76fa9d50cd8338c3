/**
 * Encoded pull pages, kept so that many devices reading the same snapshot cost one
 * read and one encoding. A page is keyed by its query and by the space's head, horizon
 * and matching-op count: together these change whenever the page could (new ops move
 * the head; an op leaving the live set lowers a live count; pruning moves the horizon),
 * so an entry is never stale, only unused. Least recently used entries go first once
 * the cache holds more than its budget of bytes.
 */

export class PageCache<T> {
  private readonly entries = new Map<string, { value: T; bytes: number }>()
  private held = 0

  constructor(private readonly budgetBytes: number) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    // Re-inserting moves the entry to the young end of the Map's order.
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry.value
  }

  set(key: string, value: T, bytes: number): void {
    if (bytes > this.budgetBytes) return
    const old = this.entries.get(key)
    if (old) {
      this.held -= old.bytes
      this.entries.delete(key)
    }
    this.entries.set(key, { value, bytes })
    this.held += bytes
    for (const [oldest, entry] of this.entries) {
      if (this.held <= this.budgetBytes) break
      this.entries.delete(oldest)
      this.held -= entry.bytes
    }
  }

  /** Bytes held. */
  get size(): number {
    return this.held
  }
}
