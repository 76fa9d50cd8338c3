/**
 * A record of an `lww` collection (PROTOCOL.md §4). Its state is a function of its
 * live ops alone, which is what makes compaction safe:
 *  - `witness`: the newest create/update, live even when the record is deleted;
 *  - `del`: the latest delete, which clears every field written at or before it;
 *  - merge: `writers`, the newest writer of each field written after `del`;
 *  - overwrite: the witness alone gives the fields;
 *  - ignore: `post`, every create/update after `del`; the oldest create there and
 *    the updates merge per field by recency, later creates are no-ops.
 * An op that loses one of these roles is released only when it holds no other
 * (`stillLive`). Applying an op costs O(its fields); a delete, O(the fields it clears).
 */
import type { JsonObject } from '../json.ts'
import type { Op } from '../op.ts'
import type { OnConflict } from '../schema.ts'
import { after, type LiveTracker, newer } from './live-tracker.ts'

export class LwwRecord {
  private witness: Op | undefined
  private del: Op | undefined
  /** merge and ignore: the newest contributing writer per field, all after `del`. */
  private readonly writers = new Map<string, Op>()
  /** ignore: creates and updates after `del`, by id. */
  private readonly post: Map<string, Op> | undefined

  constructor(private readonly mode: OnConflict) {
    if (mode === 'ignore') this.post = new Map()
  }

  apply(op: Op, live: LiveTracker): void {
    if (op.action === 'delete') this.applyDelete(op, live)
    else this.applyWrite(op, live)
  }

  /** The visible fields, or undefined when the record is not visible. */
  fields(): JsonObject | undefined {
    const { witness } = this
    if (!witness || !after(witness, this.del)) return undefined
    if (this.mode === 'overwrite') return { ...witness.fields }
    const out: JsonObject = {}
    for (const [field, op] of this.writers) out[field] = op.fields![field]!
    return out
  }

  private applyWrite(op: Op, live: LiveTracker): void {
    if (!this.witness || newer(op, this.witness)) {
      const old = this.witness
      this.witness = op
      live.hold(op)
      if (old) this.releaseIfIdle(old, live)
    }
    // A write at or before the latest delete can never show: nothing more to do.
    if (!after(op, this.del)) return
    if (this.mode === 'merge') this.mergeFields(op, live)
    else if (this.mode === 'ignore' && !this.post!.has(op.id)) {
      this.post!.set(op.id, op)
      live.hold(op)
      if (op.action === 'update') this.mergeFields(op)
      else if (this.firstCreate() === op) this.recomputeIgnored()
    }
  }

  private applyDelete(op: Op, live: LiveTracker): void {
    if (this.del && !newer(op, this.del)) return
    const old = this.del
    this.del = op
    live.hold(op)
    if (old) this.releaseIfIdle(old, live)
    if (this.mode === 'merge') {
      for (const [field, writer] of this.writers) {
        if (after(writer, op)) continue
        this.writers.delete(field)
        this.releaseIfIdle(writer, live)
      }
    } else if (this.mode === 'ignore') {
      for (const [id, write] of this.post!) {
        if (after(write, op)) continue
        this.post!.delete(id)
        this.releaseIfIdle(write, live)
      }
      this.recomputeIgnored()
    }
  }

  /**
   * Makes `op` the writer of each field it writes where it is newer. In merge mode
   * (`live` given) being a field's writer is a reason to be live.
   */
  private mergeFields(op: Op, live?: LiveTracker): void {
    for (const field in op.fields) {
      const current = this.writers.get(field)
      if (current && !newer(op, current)) continue
      this.writers.set(field, op)
      if (live) {
        live.hold(op)
        if (current) this.releaseIfIdle(current, live)
      }
    }
  }

  private releaseIfIdle(op: Op, live: LiveTracker): void {
    if (!this.stillLive(op)) live.release(op)
  }

  private stillLive(op: Op): boolean {
    if (op === this.witness || op === this.del) return true
    if (this.mode === 'ignore') return this.post!.has(op.id)
    if (this.mode === 'merge') for (const field in op.fields) if (this.writers.get(field) === op) return true
    return false
  }

  private firstCreate(): Op | undefined {
    let first: Op | undefined
    for (const op of this.post!.values()) {
      if (op.action === 'create' && (!first || newer(first, op))) first = op
    }
    return first
  }

  /** ignore mode: fields from the oldest create after the delete, then every update there. */
  private recomputeIgnored(): void {
    this.writers.clear()
    const first = this.firstCreate()
    if (first) this.mergeFields(first)
    for (const op of this.post!.values()) if (op.action === 'update') this.mergeFields(op)
  }
}
