/**
 * The live set of a space (PROTOCOL.md §4), kept incrementally. Record types hold an
 * op when it gains a reason to be live (a record's witness, its latest delete, the
 * newest writer of a visible field, ...) and release it when it has none left; the
 * tracker records which ops entered and left the set on each apply, which is all
 * that set sketches, set ids and compaction need.
 */
import type { Op } from '../op.ts'

const NONE: readonly Op[] = Object.freeze([])

export class LiveTracker {
  private readonly live = new Map<string, Op>()
  // Most applies change little: share one empty list until something is pushed.
  private added = NONE as Op[]
  private removed = NONE as Op[]

  /** Makes `op` live (idempotent). */
  hold(op: Op): void {
    if (this.live.has(op.id)) return
    this.live.set(op.id, op)
    if (this.added === NONE) this.added = []
    this.added.push(op)
  }

  /** Takes `op` out of the live set: the caller found it has no reason left. */
  release(op: Op): void {
    if (!this.live.delete(op.id)) return
    if (this.removed === NONE) this.removed = []
    this.removed.push(op)
  }

  has(id: string): boolean {
    return this.live.has(id)
  }

  get size(): number {
    return this.live.size
  }

  ops(): IterableIterator<Op> {
    return this.live.values()
  }

  /** The ops that entered the live set since the last call. */
  takeAdded(): readonly Op[] {
    const { added } = this
    this.added = NONE as Op[]
    return added
  }

  /** The ops that left the live set since the last call. */
  takeRemoved(): readonly Op[] {
    const { removed } = this
    this.removed = NONE as Op[]
    return removed
  }
}

/** The total order of §4: by hlc, ties by op id. True when `a` ranks above `b`. */
export function newer(a: Op, b: Op): boolean {
  return a.hlc > b.hlc || (a.hlc === b.hlc && a.id > b.id)
}

/** True when `op` ranks above the latest delete (or there is none). */
export function after(op: Op, del: Op | undefined): boolean {
  return del === undefined || newer(op, del)
}
