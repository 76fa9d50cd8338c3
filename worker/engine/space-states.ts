/**
 * The merged state of each space a replica holds: its records (`SpaceState`), the
 * reconciliation summary of its live ops, and how far it has pulled (its cursor).
 * Bookkeeping in memory only: the Replica stores ops and announces changes, this
 * merges them and answers what the state is.
 */
import type { JsonObject } from '../../src/core/json.ts'
import { SpaceState } from '../../src/core/merge/space-state.ts'
import type { Op } from '../../src/core/op.ts'
import type { Schema } from '../../src/core/schema.ts'
import { elementOf, SetSummary } from '../../src/core/sketch/index.ts'

export interface SpaceRuntime {
  state: SpaceState
  summary: SetSummary
  /** The server sequence number this replica has pulled up to. */
  cursor: number
}

/** Records by collection: what a change may have touched. */
export type Touched = Map<string, Set<string>>

export class SpaceStates {
  private readonly spaces = new Map<string, SpaceRuntime>()

  /**
   * @param schema the app's collections, the same for every space
   * @param summaryCells the sketch size kept per space (a power of two)
   */
  constructor(
    private readonly schema: Schema,
    private readonly summaryCells: number,
  ) {}

  /** A space's state, created empty on first use. */
  runtime(space: string): SpaceRuntime {
    let runtime = this.spaces.get(space)
    if (!runtime) {
      runtime = { state: new SpaceState(this.schema), summary: new SetSummary(this.summaryCells), cursor: 0 }
      this.spaces.set(space, runtime)
    }
    return runtime
  }

  /** The spaces held. */
  ids(): string[] {
    return [...this.spaces.keys()]
  }

  all(): IterableIterator<SpaceRuntime> {
    return this.spaces.values()
  }

  cursor(space: string): number {
    return this.spaces.get(space)?.cursor ?? 0
  }

  get(space: string, collection: string, record: string): JsonObject | undefined {
    return this.spaces.get(space)?.state.get(collection, record)
  }

  /** Visible records of a collection, sorted by id, optionally those whose id starts with `prefix`. */
  list(space: string, collection: string, prefix = ''): [string, JsonObject][] {
    const state = this.spaces.get(space)?.state
    if (!state) return []
    const out: [string, JsonObject][] = []
    for (const entry of state.records(collection)) if (entry[0].startsWith(prefix)) out.push(entry)
    return out
  }

  liveOp(space: string, id: string): Op | undefined {
    const state = this.spaces.get(space)?.state
    if (!state?.isLive(id)) return undefined
    for (const op of state.liveOps()) if (op.id === id) return op
    return undefined
  }

  liveOps(space: string): Op[] {
    const state = this.spaces.get(space)?.state
    return state ? [...state.liveOps()] : []
  }

  /** Merges ops into a space; returns the records whose state may have changed. */
  merge(space: string, ops: readonly Op[]): Touched {
    const runtime = this.runtime(space)
    const outcome = runtime.state.applyAll(ops)
    const touched: Touched = new Map()
    for (const op of outcome.liveAdded) {
      runtime.summary.add(elementOf(op.id))
      touch(touched, op)
    }
    for (const op of outcome.liveRemoved) {
      runtime.summary.remove(elementOf(op.id))
      touch(touched, op)
    }
    return touched
  }

  /**
   * Replaces a space's state by one built from `ops` (ops taken out of it, `removed`),
   * keeping its cursor; returns every record of the old state and the new.
   */
  rebuild(space: string, ops: readonly Op[], removed: readonly Op[]): Touched {
    const old = this.runtime(space)
    this.spaces.delete(space)
    this.runtime(space).cursor = old.cursor
    this.merge(space, ops)
    const records: Touched = new Map()
    for (const op of [...removed, ...ops, ...old.state.liveOps()]) touch(records, op)
    return records
  }
}

function touch(records: Touched, op: Op): void {
  let set = records.get(op.collection)
  if (!set) records.set(op.collection, (set = new Set()))
  set.add(op.record)
}
