/**
 * The sync service: what the routes and the live socket call. It validates ops with
 * the core (the same code the engine runs), merges them into each space's state to
 * know which are live, commits them through the store (which numbers them), and tells
 * listeners about every commit so live subscribers get the ops at once.
 *
 * A push is validated outside any lock (signature checks are the expensive part and
 * run in parallel); then, per space, it waits in the space's commit queue: holding
 * that space's lock, the new ops of every push queued by then are merged (each push's
 * in hlc order) and committed in one transaction (group commit, `commit-queue.ts`).
 * Only after the commit resolves are `accepted` results sent (PROTOCOL.md §7: durable
 * before accepted).
 */
import type { Verifier } from '../../src/core/ed25519.ts'
import { type ErrorInfo, SynclineError } from '../../src/core/errors.ts'
import { compareOps, type Op, type OpLimits } from '../../src/core/op.ts'
import type { Schema } from '../../src/core/schema.ts'
import { validateOps } from '../../src/core/validate.ts'
import { nodeSha256, nodeSha256Hex } from '../node-ed25519.ts'
import type { Logger } from '../log.ts'
import type { OpFilter, OpRow, SpaceInfo, Store } from '../store/store.ts'
import type { ClientPool } from './client-pool.ts'
import { CommitQueue } from './commit-queue.ts'
import { KeyedLock } from './keyed-lock.ts'
import { toNewOp, toOp } from './op-rows.ts'
import { SpaceCache } from './space-cache.ts'

export interface PushResult {
  id: string
  status: 'accepted' | 'duplicate' | 'rejected'
  seq?: number
  error?: ErrorInfo
}

/** Ops just committed to one space, in seq order. */
export interface Commit {
  space: string
  entries: { seq: number; op: Op }[]
  /** The device that pushed them (live fan-out serves the others first). */
  device: string
}

export interface PullQuery extends OpFilter {
  after: number
  limit: number
  /** The caller will not send the ids: the rows may carry empty ones. */
  skipIds?: boolean
}

/** What a pull answers besides its rows. */
export interface PullHead {
  space: SpaceInfo
  /** Ops of the space matching the filters, whatever `after` is. */
  total: number
}

export interface PullAnswer {
  space: SpaceInfo
  rows: OpRow[]
  more: boolean
  total: number
}

export interface SyncServiceOptions {
  store: Store
  pool: ClientPool
  verifier: Verifier
  /** The server's wall clock in ns, for the drift check. */
  physicalNs: () => bigint
  maxDriftNs: bigint
  opLimits: OpLimits
  log: Logger
}

const EMPTY_SCHEMA: Schema = new Map()

/** The valid ops of one push in one space, waiting for a commit; `results` is the push's. */
interface PushPart {
  device: string
  items: { op: Op; index: number }[]
  results: PushResult[]
}

interface QueuedOp {
  op: Op
  index: number
  part: PushPart
}

export class SyncService {
  readonly spaces: SpaceCache
  private readonly lock = new KeyedLock()
  private readonly commits = new CommitQueue<PushPart>(this.lock, (space, parts) =>
    this.commitSpace(space, parts),
  )
  private readonly listeners = new Set<(commit: Commit) => void>()

  constructor(private readonly options: SyncServiceOptions) {
    this.spaces = new SpaceCache(options.store)
  }

  get store(): Store {
    return this.options.store
  }

  get pool(): ClientPool {
    return this.options.pool
  }

  /** Calls `listener` after every commit, in seq order per space. */
  onCommit(listener: (commit: Commit) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Runs `work` holding a space's write lock (schema changes, pruning). */
  withSpaceLock<T>(space: string, work: () => Promise<T>): Promise<T> {
    return this.lock.with([space], work)
  }

  /** PROTOCOL.md §7 push: one result per input, in input order. */
  async push(device: string, inputs: readonly unknown[]): Promise<PushResult[]> {
    const schemas = await this.schemasFor(inputs)
    const validated = await validateOps(inputs, {
      physicalNs: this.options.physicalNs,
      maxDriftNs: this.options.maxDriftNs,
      schema: space => schemas.get(space) ?? EMPTY_SCHEMA,
      verifier: this.options.verifier,
      limits: this.options.opLimits,
      sha256: nodeSha256,
      sha256Hex: nodeSha256Hex,
    })
    const results: PushResult[] = new Array(inputs.length)
    const bySpace = new Map<string, { op: Op; index: number }[]>()
    validated.forEach((result, index) => {
      if (!result.ok) {
        results[index] = { id: idOf(inputs[index]), status: 'rejected', error: result.error }
        return
      }
      const op = result.value
      let list = bySpace.get(op.space)
      if (!list) {
        list = []
        bySpace.set(op.space, list)
      }
      list.push({ op, index })
    })
    if (bySpace.size > 0) {
      await Promise.all(
        Array.from(bySpace, ([space, items]) => this.commits.add(space, { device, items, results })),
      )
      for (const space of bySpace.keys()) this.options.pool.seen(space, device)
    }
    return results
  }

  /**
   * Merges and commits the valid ops of the pushes queued for one space, in one
   * transaction; the caller (the commit queue) holds the space's lock.
   */
  private async commitSpace(space: string, parts: PushPart[]) {
    const entry = await this.spaces.ensure(space)
    // Merge is idempotent (a held op changes nothing and reports no live change), so
    // duplicates need no lookup first: the store tells them apart when appending.
    const fresh: QueuedOp[] = []
    const first = new Map<string, QueuedOp>()
    const liveDelta = new Map<string, number>()
    for (const part of parts) {
      part.items.sort((a, b) => compareOps(a.op, b.op))
      for (const { op, index } of part.items) {
        if (first.has(op.id)) continue // a repeat in this commit: answered after it
        const outcome = entry.state.apply(op)
        if (outcome.status === 'rejected') {
          part.results[index] = { id: op.id, status: 'rejected', error: outcome.error }
          continue
        }
        const queued = { op, index, part }
        first.set(op.id, queued)
        fresh.push(queued)
        for (const added of outcome.liveAdded) liveDelta.set(added.id, (liveDelta.get(added.id) ?? 0) + 1)
        for (const removed of outcome.liveRemoved)
          liveDelta.set(removed.id, (liveDelta.get(removed.id) ?? 0) - 1)
      }
    }

    // An op that was live before this commit and is not now is stored already, even when
    // it is in the commit too (a re-push the store will answer `duplicate`): flag it.
    const superseded: string[] = []
    for (const [id, delta] of liveDelta) if (delta < 0) superseded.push(id)

    let appended: { seq: number; duplicate: boolean }[]
    try {
      appended = await this.store.append(
        space,
        fresh.map(q => toNewOp(q.op, entry.state.isLive(q.op.id))),
        superseded,
      )
    } catch (error) {
      // The in-memory merge ran ahead of a commit that failed: rebuild from the store.
      this.spaces.drop(space)
      this.options.log.error('commit failed', { space, error })
      throw new SynclineError('unavailable', 'the store could not commit the ops')
    }

    for (const [id, delta] of liveDelta) {
      if (delta > 0) entry.live.add(idBytes(id))
      else if (delta < 0) entry.live.remove(idBytes(id))
    }

    // Pushes were merged in arrival order, so each one's new seqs follow the previous one's.
    const committed = new Map<PushPart, { seq: number; op: Op }[]>()
    fresh.forEach(({ op, index, part }, i) => {
      const a = appended[i]!
      part.results[index] = a.duplicate
        ? { id: op.id, status: 'duplicate', seq: a.seq }
        : { id: op.id, status: 'accepted', seq: a.seq }
      if (a.duplicate) return
      let entries = committed.get(part)
      if (!entries) {
        entries = []
        committed.set(part, entries)
      }
      entries.push({ seq: a.seq, op })
    })
    // A repeat gets the seq of its first copy, in whichever push that came.
    for (const part of parts) {
      for (const { op, index } of part.items) {
        if (part.results[index] !== undefined) continue
        const f = first.get(op.id)!
        part.results[index] = { id: op.id, status: 'duplicate', seq: f.part.results[f.index]!.seq! }
      }
    }
    for (const [part, entries] of committed) {
      entries.sort((a, b) => a.seq - b.seq)
      const commit: Commit = { space, entries, device: part.device }
      for (const listener of this.listeners) {
        try {
          listener(commit)
        } catch (error) {
          this.options.log.error('commit listener failed', { space, error })
        }
      }
    }
  }

  /** The schemas of the spaces named by the inputs that name one. */
  private async schemasFor(inputs: readonly unknown[]): Promise<Map<string, Schema>> {
    const names = new Set<string>()
    for (const input of inputs) {
      const space = (input as { space?: unknown } | null)?.space
      if (
        typeof space === 'string' &&
        space.length > 0 &&
        space.length <= 4 * this.options.opLimits.maxNameLength
      ) {
        names.add(space)
      }
    }
    const schemas = new Map<string, Schema>()
    for (const space of names) schemas.set(space, await this.spaces.schemaOf(space))
    return schemas
  }

  /** The space, or `not_found`. */
  async requireSpace(space: string): Promise<SpaceInfo> {
    const info = await this.store.getSpace(space)
    if (!info) throw new SynclineError('not_found', `no space ${JSON.stringify(space)}`)
    return info
  }

  /** PROTOCOL.md §7 pull. Records the device's cursor (`after`) in the client pool. */
  async pull(device: string, space: string, query: PullQuery): Promise<PullAnswer> {
    const head = await this.pullHead(device, space, query)
    const page = await this.store.pull(space, query)
    return { space: head.space, rows: page.rows, more: page.more, total: head.total }
  }

  /**
   * A pull without its rows: the space (or `not_found`) and the matching count; records
   * the device's cursor as `pull` does. The pull route reads rows only when it has no
   * encoded page for this head.
   */
  async pullHead(device: string, space: string, query: PullQuery): Promise<PullHead> {
    const info = await this.requireSpace(space)
    const filter: OpFilter = {
      liveOnly: query.liveOnly,
      collections: query.collections,
      prefix: query.prefix,
    }
    const total = await this.store.count(space, filter)
    // A cursor past the head acknowledges no more than the head.
    this.options.pool.seen(space, device, Math.min(query.after, info.head))
    return { space: info, total }
  }

  /** Live op ids in id order, for the hash exchange (§6). */
  async ids(space: string, query: OpFilter & { afterId?: string; limit: number }) {
    await this.requireSpace(space)
    return this.store.liveIds(space, query)
  }

  /** The held ops among `ids` (any order), and the ids not held. */
  async fetch(space: string, ids: readonly string[]): Promise<{ rows: OpRow[]; missing: string[] }> {
    await this.requireSpace(space)
    const rows = await this.store.getOps(space, ids)
    const found = new Set(rows.map(r => r.id))
    rows.sort((a, b) => a.seq - b.seq)
    return { rows, missing: [...new Set(ids)].filter(id => !found.has(id)) }
  }

  /** The live ops of a space as core ops (for reconciliation answers). */
  liveOps(space: string, ids: readonly string[]): Promise<Op[]> {
    return this.store.getOps(space, ids).then(rows => rows.filter(r => r.live).map(r => toOp(space, r)))
  }
}

/** One valid op id's 32 bytes at a time, for the live-set summary (which copies what it reads). */
const ID_SCRATCH = Buffer.alloc(32)

function idBytes(id: string): Buffer {
  ID_SCRATCH.write(id, 'hex')
  return ID_SCRATCH
}

function idOf(input: unknown): string {
  const id = (input as { id?: unknown } | null)?.id
  return typeof id === 'string' && id.length <= 64 ? id : ''
}
