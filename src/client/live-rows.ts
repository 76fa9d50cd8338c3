/**
 * The UI-thread side of a live query: keeps the result sorted by record id and
 * applies the engine's deltas (worker/engine/engine.ts `RowsDelta`) by binary search,
 * so a change to one record costs O(log n) plus the new array the app receives.
 */
import type { Row, RowsDelta } from '../../worker/engine/engine.ts'

/** Above this many upserts a delta is merged in one pass. */
const BULK = 32

export class LiveRows {
  private ids: string[] = []
  private rows: Row[] = []

  /** Applies a delta and returns the rows, as a new array. */
  apply(delta: RowsDelta): Row[] {
    if (delta.reset) {
      this.ids = delta.reset.map(([id]) => id)
      this.rows = delta.reset.map(([, row]) => row)
    }
    for (const id of delta.removes) {
      const i = this.find(id)
      if (this.ids[i] === id) {
        this.ids.splice(i, 1)
        this.rows.splice(i, 1)
      }
    }
    if (delta.upserts.length > BULK) this.merge(delta.upserts)
    else {
      for (const [id, row] of delta.upserts) {
        const i = this.find(id)
        if (this.ids[i] === id) this.rows[i] = row
        else {
          this.ids.splice(i, 0, id)
          this.rows.splice(i, 0, row)
        }
      }
    }
    return this.rows.slice()
  }

  /** Many upserts at once (a snapshot page): one linear merge instead of a splice each. */
  private merge(upserts: [string, Row][]): void {
    const incoming = [...upserts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const ids: string[] = []
    const rows: Row[] = []
    let i = 0
    let j = 0
    while (i < this.ids.length || j < incoming.length) {
      const mine = this.ids[i]
      const theirs = incoming[j]
      if (theirs === undefined || (mine !== undefined && mine < theirs[0])) {
        ids.push(mine!)
        rows.push(this.rows[i++]!)
      } else {
        if (mine === theirs[0]) i++
        // A record upserted twice in one delta: the later value wins.
        while (incoming[j + 1]?.[0] === theirs[0]) j++
        ids.push(theirs[0])
        rows.push(incoming[j++]![1])
      }
    }
    this.ids = ids
    this.rows = rows
  }

  /** The index of `id`, or where it would be inserted. */
  private find(id: string): number {
    let lo = 0
    let hi = this.ids.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.ids[mid]! < id) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
