/**
 * The merged state of one space: the same pure function of its set of valid ops on
 * every replica (PROTOCOL.md §4), kept incrementally. Any order, duplication or
 * batching of `apply` calls gives the same state and live set.
 *
 * The engine, the service worker and the server all use this class; each apply
 * reports the ops that entered and left the live set so callers can keep set
 * sketches and set ids current and compact superseded ops.
 */
import type { ErrorInfo } from '../errors.ts'
import type { JsonObject } from '../json.ts'
import type { Op } from '../op.ts'
import { type Descriptor, descriptorOf, opProblem, type Schema, unknownCollection } from '../schema.ts'
import { LiveTracker } from './live-tracker.ts'
import { LwwRecord } from './lww-record.ts'
import { GsetElement, LwwsetElement } from './set-element.ts'

type Entry = LwwRecord | GsetElement | LwwsetElement

export type ApplyOutcome =
  | {
      status: 'applied'
      /** Ops that became live (the applied op itself, when it is live). */
      liveAdded: readonly Op[]
      /** Ops that left the live set: superseded, safe to compact. */
      liveRemoved: readonly Op[]
    }
  | { status: 'rejected'; error: ErrorInfo }

export interface BatchOutcome {
  /** Ops rejected by the schema checks, with their codes. */
  rejected: { op: Op; error: ErrorInfo }[]
  /** Net over the batch: ops live now that were not before it. */
  liveAdded: Op[]
  /** Net over the batch: ops live before it that are superseded now. */
  liveRemoved: Op[]
}

/** The visible records of every collection: `{collection: {record: fields}}`. */
export type SpaceSnapshot = Record<string, Record<string, JsonObject>>

export class SpaceState {
  private readonly collections = new Map<string, Map<string, Entry>>()
  private readonly tracker = new LiveTracker()

  constructor(private schema: Schema) {}

  /** The schema in force; replace it when the space's schema grows. */
  setSchema(schema: Schema): void {
    this.schema = schema
  }

  getSchema(): Schema {
    return this.schema
  }

  /**
   * Merges one op that passed checks 1-4 of §3 (authentic, not drifted). Applies the
   * schema checks (unknown_collection, bad_action, bad_field, owned) itself; a
   * rejected op takes no part in the merge.
   */
  apply(op: Op): ApplyOutcome {
    const error = this.merge(op)
    if (error) return { status: 'rejected', error }
    // One op changes one record, so no op both enters and leaves the live set here.
    return { status: 'applied', liveAdded: this.tracker.takeAdded(), liveRemoved: this.tracker.takeRemoved() }
  }

  private merge(op: Op): ErrorInfo | undefined {
    const descriptor = descriptorOf(this.schema, op.collection)
    if (!descriptor) return unknownCollection(op.collection)
    const problem = opProblem(op, descriptor)
    if (problem) return problem
    this.entry(descriptor, op.record).apply(op, this.tracker)
    return undefined
  }

  /**
   * Merges a batch, reporting the net change of the live set. Same result as
   * applying the ops one by one, without a result object per op.
   */
  applyAll(ops: Iterable<Op>): BatchOutcome {
    const rejected: BatchOutcome['rejected'] = []
    for (const op of ops) {
      const error = this.merge(op)
      if (error) rejected.push({ op, error })
    }
    const added = this.tracker.takeAdded()
    const removed = this.tracker.takeRemoved()
    // A superseded op never becomes live again, so an op both added and removed in
    // this batch came and went within it: it is in neither net list.
    if (!removed.length) return { rejected, liveAdded: [...added], liveRemoved: [] }
    const addedIds = new Set(added.map(op => op.id))
    return {
      rejected,
      liveAdded: added.filter(op => this.tracker.has(op.id)),
      liveRemoved: removed.filter(op => !addedIds.has(op.id)),
    }
  }

  /** The visible fields of a record, or undefined. */
  get(collection: string, record: string): JsonObject | undefined {
    return this.collections.get(collection)?.get(record)?.fields()
  }

  /** The visible records of a collection, sorted by id. */
  *records(collection: string): Generator<[string, JsonObject]> {
    const entries = this.collections.get(collection)
    if (!entries) return
    for (const record of [...entries.keys()].sort()) {
      const fields = entries.get(record)!.fields()
      if (fields) yield [record, fields]
    }
  }

  /** Every visible record of every collection of the schema, plus `_members`. */
  snapshot(): SpaceSnapshot {
    const out: SpaceSnapshot = { _members: {} }
    for (const name of this.schema.keys()) out[name] = {}
    for (const name of this.collections.keys()) out[name] = Object.fromEntries(this.records(name))
    return out
  }

  isLive(id: string): boolean {
    return this.tracker.has(id)
  }

  /** The live ops, in no particular order. */
  liveOps(): Iterable<Op> {
    return this.tracker.ops()
  }

  get liveCount(): number {
    return this.tracker.size
  }

  private entry(descriptor: Descriptor, record: string): Entry {
    let entries = this.collections.get(descriptor.name)
    if (!entries) {
      entries = new Map()
      this.collections.set(descriptor.name, entries)
    }
    let entry = entries.get(record)
    if (!entry) {
      entry =
        descriptor.crdt === 'lww'
          ? new LwwRecord(descriptor.onConflict ?? 'merge')
          : descriptor.crdt === 'gset'
            ? new GsetElement()
            : new LwwsetElement()
      entries.set(record, entry)
    }
    return entry
  }
}
