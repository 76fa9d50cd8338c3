/**
 * Elements of the two set collections (PROTOCOL.md §4). Each keeps exactly one live op.
 *  - `gset` (grow-only): the oldest create fixes the element.
 *  - `lwwset`: the newest op decides; present when it is a create.
 * Actions outside these (update; delete on a gset) were rejected before apply.
 */
import type { JsonObject } from '../json.ts'
import type { Op } from '../op.ts'
import { type LiveTracker, newer } from './live-tracker.ts'

export class GsetElement {
  private first: Op | undefined

  apply(op: Op, live: LiveTracker): void {
    if (this.first && !newer(this.first, op)) return
    if (this.first) live.release(this.first)
    live.hold(op)
    this.first = op
  }

  fields(): JsonObject | undefined {
    return this.first ? { ...this.first.fields } : undefined
  }
}

export class LwwsetElement {
  private newest: Op | undefined

  apply(op: Op, live: LiveTracker): void {
    if (this.newest && !newer(op, this.newest)) return
    if (this.newest) live.release(this.newest)
    live.hold(op)
    this.newest = op
  }

  fields(): JsonObject | undefined {
    return this.newest?.action === 'create' ? { ...this.newest.fields } : undefined
  }
}
