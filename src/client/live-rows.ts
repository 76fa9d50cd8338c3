/**
 * The UI-thread side of a live query: keeps the result sorted by record id and
 * applies the engine's deltas (worker/engine/engine.ts `RowsDelta`) by binary search,
 * so a change to one record costs O(log n) plus the new array the app receives.
 */
import type { Row, RowsDelta } from '../../worker/engine/engine.ts'

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
    for (const [id, row] of delta.upserts) {
      const i = this.find(id)
      if (this.ids[i] === id) this.rows[i] = row
      else {
        this.ids.splice(i, 0, id)
        this.rows.splice(i, 0, row)
      }
    }
    return this.rows.slice()
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
