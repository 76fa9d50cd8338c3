/**
 * The live set of a space (PROTOCOL.md §4), kept incrementally. Each record type
 * says why an op is live (it is a record's witness, its latest delete, the newest
 * writer of a visible field, ...) by counting reasons up and down; an op is live
 * while it has at least one reason. Each apply reports the ops that entered and left
 * the live set, which is all that a set sketch, a set id or compaction needs.
 */
import type { Op } from '../op.ts'

export class LiveTracker {
  /** Live ops by id. */
  readonly ops = new Map<string, Op>()
  private readonly reasons = new Map<string, number>()
  private added: Op[] = []
  private removed: Op[] = []

  /** One more reason for `op` to be live. */
  hold(op: Op): void {
    const n = this.reasons.get(op.id) ?? 0
    this.reasons.set(op.id, n + 1)
    if (n === 0) {
      this.ops.set(op.id, op)
      this.added.push(op)
    }
  }

  /** One reason fewer. */
  release(op: Op): void {
    const n = this.reasons.get(op.id)!
    if (n > 1) {
      this.reasons.set(op.id, n - 1)
      return
    }
    this.reasons.delete(op.id)
    this.ops.delete(op.id)
    this.removed.push(op)
  }

  /** The ops that entered and left the live set since the last call, net. */
  drain(): { added: Op[]; removed: Op[] } {
    let { added, removed } = this
    this.added = []
    this.removed = []
    if (added.length && removed.length) {
      // An op may leave and re-enter within one apply: report only the net change.
      const out = new Set(removed)
      const back = new Set(added)
      added = added.filter(op => !out.has(op))
      removed = removed.filter(op => !back.has(op))
    }
    return { added, removed }
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
