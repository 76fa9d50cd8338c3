/**
 * The client pool of seed 004: per space and device, when it was last seen and the
 * highest cursor it acknowledged (`lastSynchronized`). The pruning horizon of a space
 * is the lowest cursor among devices seen within the stale limit: a device away for
 * longer no longer holds pruning back.
 *
 * Sightings are buffered and written in one batch per flush: a pull must not cost a
 * disk commit, and losing the last second of sightings in a crash only makes pruning
 * more cautious (cursors only grow).
 */
import type { Store } from '../store/store.ts'

interface Pending {
  space: string
  device: string
  lastSeen: number
  cursor: number | undefined
}

export class ClientPool {
  private pending = new Map<string, Pending>()

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    readonly staleAfterMs: number,
  ) {}

  /** Records a sighting of `device` in `space`, and its acknowledged cursor when known. */
  seen(space: string, device: string, cursor?: number): void {
    const key = `${space}\u0000${device}`
    const p = this.pending.get(key)
    const now = this.now()
    if (p) {
      p.lastSeen = Math.max(p.lastSeen, now)
      if (cursor !== undefined) p.cursor = Math.max(p.cursor ?? 0, cursor)
    } else {
      this.pending.set(key, { space, device, lastSeen: now, cursor })
    }
  }

  /** Writes buffered sightings to the store. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return
    const batch = [...this.pending.values()]
    this.pending = new Map()
    await this.store.touchClients(batch)
  }

  /**
   * The highest seq that every non-stale device of the space has acknowledged;
   * `head` when no device holds it back.
   */
  async horizon(space: string, head: number): Promise<number> {
    await this.flush()
    const cutoff = this.now() - this.staleAfterMs
    let horizon = head
    for (const c of await this.store.clients(space)) {
      if (c.lastSeen < cutoff) continue
      horizon = Math.min(horizon, c.lastSynchronized)
    }
    return horizon
  }
}
