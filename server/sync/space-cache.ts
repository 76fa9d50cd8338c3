/**
 * The server's in-memory view of each space it has touched: its schema, its merged
 * state (which tells which ops are live) and a summary of its live op ids for
 * reconciliation. Built from the store on first use: from the live ops alone, since
 * live(live(A)) = live(A) (PROTOCOL.md §4), and any op the store still flags live but
 * the rebuilt state does not is marked superseded then.
 */

import { SpaceState } from '../../src/core/merge/space-state.ts'
import type { Descriptor, Schema } from '../../src/core/schema.ts'
import { extendSchema, normalizeDescriptor } from '../../src/core/schema.ts'
import { elementOf, SetSummary } from '../../src/core/sketch/set-summary.ts'
import type { Store } from '../store/store.ts'
import { toOp } from './op-rows.ts'

/** Cells of the running live-set sketch per space (128 KiB); larger requests build one on demand. */
export const SUMMARY_CELLS = 4096

const REBUILD_PAGE = 10_000

export interface SpaceEntry {
  readonly space: string
  schema: Schema
  readonly state: SpaceState
  /** The space's live op ids: sketch at SUMMARY_CELLS, set id and count. */
  readonly live: SetSummary
}

export class SpaceCache {
  private readonly entries = new Map<string, SpaceEntry>()
  private readonly loading = new Map<string, Promise<SpaceEntry | undefined>>()

  constructor(private readonly store: Store) {}

  /** Number of spaces held in memory. */
  get size(): number {
    return this.entries.size
  }

  /** The entry of an existing space; undefined when the store has no such space. */
  get(space: string): Promise<SpaceEntry | undefined> {
    const entry = this.entries.get(space)
    if (entry) return Promise.resolve(entry)
    let pending = this.loading.get(space)
    if (!pending) {
      pending = this.load(space).finally(() => this.loading.delete(space))
      this.loading.set(space, pending)
    }
    return pending
  }

  /** The entry of a space, creating the space when needed. */
  async ensure(space: string): Promise<SpaceEntry> {
    const entry = await this.get(space)
    if (entry) return entry
    await this.store.ensureSpace(space)
    return (await this.get(space))!
  }

  /** The schema of a space without loading its state; empty for an unknown space. */
  async schemaOf(space: string): Promise<Schema> {
    const entry = this.entries.get(space)
    if (entry) return entry.schema
    return schemaFrom((await this.store.getDescriptors(space)).map(d => d.json))
  }

  /** Forgets a space, so it is rebuilt from the store on next use (after a failed commit). */
  drop(space: string): void {
    this.entries.delete(space)
  }

  clear(): void {
    this.entries.clear()
  }

  private async load(space: string): Promise<SpaceEntry | undefined> {
    const info = await this.store.getSpace(space)
    if (!info) return undefined
    const schema = schemaFrom((await this.store.getDescriptors(space)).map(d => d.json))
    const state = new SpaceState(schema)
    const flagged: string[] = []
    for (let after = 0; ;) {
      const page = await this.store.pull(space, { after, limit: REBUILD_PAGE, liveOnly: true })
      for (const row of page.rows) {
        flagged.push(row.id)
        state.apply(toOp(space, row))
      }
      if (!page.more || page.rows.length === 0) break
      after = page.rows[page.rows.length - 1]!.seq
    }
    const stale = flagged.filter(id => !state.isLive(id))
    if (stale.length) await this.store.markSuperseded(space, stale)
    const live = new SetSummary(SUMMARY_CELLS)
    for (const op of state.liveOps()) live.add(elementOf(op.id))
    const entry: SpaceEntry = { space, schema, state, live }
    // Another load may have finished first (after a drop); keep one entry.
    const existing = this.entries.get(space)
    if (existing) return existing
    this.entries.set(space, entry)
    return entry
  }
}

/** A schema from stored descriptor JSON (stored descriptors were validated on the way in). */
export function schemaFrom(jsons: readonly string[]): Schema {
  const descriptors: Descriptor[] = []
  for (const json of jsons) {
    const d = normalizeDescriptor(JSON.parse(json))
    if (d.ok) descriptors.push(d.value)
  }
  const schema = extendSchema(new Map(), descriptors)
  return schema.ok ? schema.value : new Map()
}
