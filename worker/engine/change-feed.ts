/**
 * The changes a replica announces: which records of a space may have changed, and
 * where the change came from. Live queries, the sync loop and the other tabs listen.
 */

/** Where a change came from: this tab, another tab of this device, or the server. */
export type ChangeSource = 'local' | 'tab' | 'remote'

export interface Change {
  space: string
  source: ChangeSource
  /** The records whose state may have changed, by collection. */
  records: Map<string, Set<string>>
  /** Ops from the server are shown while their commit is in flight: this settles with it. */
  stored?: Promise<void>
}

export type ChangeListener = (change: Change) => void

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>()

  /**
   * Calls `listener` with every change, after those added before it, or before them
   * with `first` (the sync loop: a write is on its way to the server before it is shown).
   */
  add(listener: ChangeListener, options: { first?: boolean } = {}): () => void {
    if (options.first) {
      const rest = [...this.listeners]
      this.listeners.clear()
      for (const l of [listener, ...rest]) this.listeners.add(l)
    } else this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  announce(change: Change): void {
    for (const listener of this.listeners) listener(change)
  }
}
