/**
 * The local replica of one device (one per tab's worker, all on one OpLog): the
 * merged state of each space, the clock, the device identity, and the durable log.
 *
 * Local writes are built, signed and committed (group commit) before they are merged
 * and shown, so a write that resolves is durable and a write that fails leaves no
 * trace. Remote ops are stored one transaction per batch and shown while it commits
 * (they are durable on the server); the space's cursor moves only once they are stored.
 * The sync loop drives the replica through the "sync side" methods; the app through
 * the "app side" ones. Every change is announced to `onChange` listeners with the
 * records it touched.
 *
 * Its parts in their own modules: the merged state per space (`space-states.ts`), the
 * clock with skew correction (`device-clock.ts`), the change listeners (`change-feed.ts`).
 */
import { toBase64url } from '../../src/core/bytes.ts'
import type { AnyEd25519Backend, Ed25519Signer } from '../../src/core/ed25519.ts'
import { type ErrorInfo, SynclineError } from '../../src/core/errors.ts'
import type { JsonObject } from '../../src/core/json.ts'
import { type Action, type Op, signOp } from '../../src/core/op.ts'
import { checkOpSchema, MEMBERS, type Schema } from '../../src/core/schema.ts'
import type { SkewEstimator } from '../../src/core/skew.ts'
import type { SetSummary } from '../../src/core/sketch/index.ts'
import { type Clock, parseHlc } from '../../src/core/uhlc.ts'
import { type Change, ChangeFeed, type ChangeListener, type ChangeSource } from './change-feed.ts'
import { DeviceClock, type DeviceClockOptions } from './device-clock.ts'
import { GroupCommit } from './group-commit.ts'
import { groupBySpace, type LogWrite, type OpLog, type PackedPage } from './oplog.ts'
import { SpaceStates } from './space-states.ts'

export type { Change, ChangeSource } from './change-feed.ts'

export interface ReplicaOptions extends DeviceClockOptions {
  log: OpLog
  /** The app's collections; `_members` is built in. */
  schema: Schema
  /** Signs this device's ops (WebCrypto where the browser has Ed25519). */
  backend: AnyEd25519Backend
  /** Sketch size kept per space for reconciliation (a power of two). */
  summaryCells?: number
}

/** Up to this many remote ops are merged and shown before their commit starts. */
const SHOW_FIRST = 64

const META_DEVICE = 'device'
const META_CLOCK = 'clock'
const spaceKey = (space: string) => `space:${space}`

export class Replica {
  readonly device: string
  private readonly time: DeviceClock
  private readonly spaces: SpaceStates
  private readonly pending = new Map<string, Op>()
  private readonly changes = new ChangeFeed()
  private readonly commits: GroupCommit
  private lastChunk: number
  private lastPending: number
  /** Meta state moved in memory and saved with the next commit (cursors over ops already held). */
  private unsaved: Record<string, unknown> = {}

  private constructor(
    private readonly options: ReplicaOptions,
    private readonly signer: Ed25519Signer,
    lastTimeNs: bigint,
    lastChunk: number,
    lastPending: number,
  ) {
    this.device = toBase64url(signer.publicKey)
    this.time = new DeviceClock(options, lastTimeNs)
    this.commits = new GroupCommit(write => options.log.commit(write))
    this.spaces = new SpaceStates(options.schema, options.summaryCells ?? 1024)
    this.lastChunk = lastChunk
    this.lastPending = lastPending
  }

  /** Opens the replica stored in `options.log`, creating the device identity on first use. */
  static async open(options: ReplicaOptions): Promise<Replica> {
    const loaded = await options.log.load()
    const seed =
      (loaded.meta.get(META_DEVICE) as Uint8Array | undefined) ??
      (await options.log.claimMeta(META_DEVICE, options.random(32)))
    const signer = await options.backend.importSigner(seed)
    // Every timestamp issued or observed is on an op in the log (local writes save no clock
    // value of their own: one value less in their transaction); the clock value covers rewinds.
    let lastTimeNs = BigInt((loaded.meta.get(META_CLOCK) as string | undefined) ?? '0')
    let latest = ''
    // The log's ops include the pending ones.
    for (const ops of loaded.ops.values()) for (const op of ops) if (op.hlc > latest) latest = op.hlc
    const latestNs = parseHlc(latest)?.time ?? 0n
    if (latestNs > lastTimeNs) lastTimeNs = latestNs
    const replica = new Replica(options, signer, lastTimeNs, loaded.lastChunk, loaded.lastPending)
    for (const [key, value] of loaded.meta) {
      if (key.startsWith('space:'))
        replica.spaces.runtime(key.slice(6)).cursor = (value as { cursor: number }).cursor
    }
    for (const [space, ops] of loaded.ops) replica.spaces.merge(space, ops)
    for (const op of loaded.pending) replica.pending.set(op.id, op)
    return replica
  }

  // ---- app side ---------------------------------------------------------------

  /** Writes one change to one record; resolves with the op once it is durable. */
  async write(
    space: string,
    collection: string,
    record: string,
    action: Action,
    fields?: JsonObject,
  ): Promise<Op> {
    const unsigned = {
      space,
      collection,
      record,
      action,
      hlc: this.clock.now(),
      author: this.device,
      ...(fields === undefined ? {} : { fields }),
    }
    const checked = checkOpSchema(unsigned, this.options.schema)
    if (!checked.ok) throw new SynclineError(checked.error.code, checked.error.message)
    const op = await signOp(unsigned, this.signer)
    await this.submit({ pendingAdd: [op] })
    this.pending.set(op.id, op)
    this.mergeAndAnnounce(space, [op], 'local')
    return op
  }

  /** Creates a space whose genesis op makes this device its admin (PROTOCOL.md §8). */
  async createSpace(): Promise<string> {
    const space = toBase64url(this.options.random(16))
    await this.write(space, MEMBERS, this.device, 'create', { access: 'admin' })
    return space
  }

  get(space: string, collection: string, record: string): JsonObject | undefined {
    return this.spaces.get(space, collection, record)
  }

  /** Visible records of a collection, sorted by id, optionally those whose id starts with `prefix`. */
  list(space: string, collection: string, prefix = ''): [string, JsonObject][] {
    return this.spaces.list(space, collection, prefix)
  }

  /** Calls `listener` with every change (see ChangeFeed.add); returns the unsubscribe function. */
  onChange(listener: ChangeListener, options: { first?: boolean } = {}): () => void {
    return this.changes.add(listener, options)
  }

  /** The spaces this replica holds. */
  spaceIds(): string[] {
    return this.spaces.ids()
  }

  // ---- sync side --------------------------------------------------------------

  /** Signs with the device key: the session challenge (PROTOCOL.md §8). */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    return this.signer.sign(message)
  }

  /** The app's schema, which the sync loop registers with each space on the server. */
  get schema(): Schema {
    return this.options.schema
  }

  /** Local ops not yet acknowledged by the server, in hlc order. */
  pendingOps(space?: string): Op[] {
    const ops = [...this.pending.values()].filter(op => space === undefined || op.space === space)
    return ops.sort((a, b) => (a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : 0))
  }

  get pendingCount(): number {
    return this.pending.size
  }

  cursor(space: string): number {
    return this.spaces.cursor(space)
  }

  /** The reconciliation summary of a space's live ops. */
  summary(space: string): SetSummary {
    return this.spaces.runtime(space).summary
  }

  liveOp(space: string, id: string): Op | undefined {
    return this.spaces.liveOp(space, id)
  }

  /**
   * Stores and merges ops from the server (one transaction), advancing the space's
   * cursor to `cursor` when given. Ops already held are harmless. The ops are shown
   * (merged and announced) while their commit is in flight: they are durable on the
   * server, and the cursor moves only once they are durable here, so ops whose commit
   * fails (or never lands: a crash) are pulled again. Resolves after the commit.
   * `page`: the ops as the page they came in, stored as it is (see PackedPage); ops
   * of it already held are stored twice, which reading the log tolerates.
   */
  async applyRemote(
    space: string,
    ops: readonly Op[],
    cursor?: number,
    page?: Omit<PackedPage, 'space'>,
  ): Promise<void> {
    const runtime = this.spaces.runtime(space)
    const next = cursor !== undefined && cursor > runtime.cursor ? cursor : runtime.cursor
    this.time.observeAll(ops)
    // This device's pending ops coming back (the live echo of its own push, or a pull
    // after an answer that was lost) are in the log and merged already. The server has
    // them: they are acknowledged here, in the same commit as the rest.
    const echoed: string[] = []
    for (const op of ops) if (this.pending.has(op.id)) echoed.push(op.id)
    const fresh = echoed.length ? ops.filter(op => !this.pending.has(op.id)) : ops
    if (ops.length === 0) {
      // Only the cursor moves (past superseded ops), saved with the next commit.
      runtime.cursor = next
      this.unsaved[spaceKey(space)] = { cursor: next }
      return
    }
    const stored = this.submit({
      ...(fresh.length === 0 ? {} : page ? { pages: [{ space, ...page }] } : { ops: fresh }),
      ...(echoed.length ? { acknowledged: echoed } : {}),
      meta: { [spaceKey(space)]: { cursor: next } },
    })
    // A page of thousands of ops lets its commit start (values cloned and sent) first, to
    // be written while it is merged and shown; a live op or a few are shown first.
    if (fresh.length > SHOW_FIRST) await Promise.resolve()
    if (fresh.length) this.mergeAndAnnounce(space, fresh, 'remote', stored)
    await stored
    for (const id of echoed) this.pending.delete(id)
    runtime.cursor = next
  }

  /**
   * Records the server's answers to pushed ops: accepted and duplicate ops leave the
   * pending set. Returns the rejected ones with their errors for the caller to handle.
   */
  async acknowledge(
    results: readonly { id: string; status: string; error?: ErrorInfo }[],
  ): Promise<{ op: Op; error: ErrorInfo }[]> {
    const done: string[] = []
    const rejected: { op: Op; error: ErrorInfo }[] = []
    for (const result of results) {
      const op = this.pending.get(result.id)
      if (!op) continue
      if (result.status === 'accepted' || result.status === 'duplicate') done.push(result.id)
      else if (result.status === 'rejected' && result.error) rejected.push({ op, error: result.error })
    }
    if (done.length) {
      await this.submit({ acknowledged: done })
      for (const id of done) this.pending.delete(id)
    }
    return rejected
  }

  /**
   * Takes ops out of the replica and rebuilds their space without them: a local op
   * the server rejected (say `forbidden`), or a remote op whose signature failed.
   * The log keeps superseded ops while a space has pending ones, so what a removed
   * op had superseded shows again.
   */
  async remove(space: string, ids: readonly string[]): Promise<void> {
    await this.removeFromSpaces(new Map([[space, ids]]))
  }

  /** `remove` for ops of several spaces: one read of the log, one compaction per space. */
  private async removeFromSpaces(bySpace: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const spaces = [...bySpace].filter(([, ids]) => ids.length > 0)
    if (spaces.length === 0) return
    await this.commits.flush()
    const loaded = await this.options.log.load()
    const gone = new Set<string>()
    const rebuilt: [string, Op[], Op[]][] = []
    const pending = new Set(loaded.pending.map(op => op.id))
    for (const [space, ids] of spaces) {
      const drop = new Set(ids)
      const stored = loaded.ops.get(space) ?? []
      const kept = stored.filter(op => !drop.has(op.id))
      // Pending ops stay where they are (dropped ones leave with `pendingRemove`).
      await this.options.log.compact(
        space,
        kept.filter(op => !pending.has(op.id)),
        loaded.lastChunk,
      )
      for (const id of drop) gone.add(id)
      rebuilt.push([space, kept, stored.filter(op => drop.has(op.id))])
    }
    await this.submit({ pendingRemove: [...gone] })
    for (const id of gone) this.pending.delete(id)
    for (const [space, kept, removed] of rebuilt) this.rebuild(space, kept, removed)
  }

  /**
   * Rebuilds a space from the log after another tab took ops out of it (`remove`
   * there), and takes the pending set from the log too.
   */
  async reloadFromLog(space: string): Promise<void> {
    await this.commits.flush()
    const loaded = await this.options.log.load()
    this.lastChunk = Math.max(this.lastChunk, loaded.lastChunk)
    this.lastPending = Math.max(this.lastPending, loaded.lastPending)
    this.pending.clear()
    for (const op of loaded.pending) this.pending.set(op.id, op)
    this.rebuild(space, loaded.ops.get(space) ?? [], [])
  }

  /**
   * Takes the pending set from the log: a tab that becomes leader may have missed
   * other tabs' messages (a tab that crashed mid-write), but never their commits.
   * Pending ops are not in the chunks `catchUpWithTabs` reads: those missed are merged here.
   */
  async reloadPending(): Promise<void> {
    await this.commits.flush()
    const loaded = await this.options.log.load()
    this.pending.clear()
    for (const op of loaded.pending) {
      this.pending.set(op.id, op)
      this.clock.observe(op.hlc)
    }
    for (const [space, list] of groupBySpace(loaded.pending)) this.mergeAndAnnounce(space, list, 'tab')
  }

  /** Replaces a space's merged state by one built from `ops`, and announces every record. */
  private rebuild(space: string, ops: readonly Op[], removed: readonly Op[]): void {
    const records = this.spaces.rebuild(space, ops, removed)
    this.changes.announce({ space, source: 'local', records })
  }

  /**
   * Replaces a pending op the server rejected for `drift` by the same change with a
   * fresh timestamp (after the caller corrected the clock's skew). Never dropped.
   */
  async restamp(op: Op): Promise<Op> {
    return (await this.restampAll([op]))[0]!
  }

  /**
   * `restamp` for many ops: fresh timestamps in the order given (hlc order keeps the
   * changes in order), one commit, and one read of the log to take the old ones out.
   */
  async restampAll(ops: readonly Op[]): Promise<Op[]> {
    if (ops.length === 0) return []
    const unsigned = ops.map(({ id: _id, sig: _sig, hlc: _hlc, ...content }) => ({
      ...content,
      hlc: this.clock.now(),
    }))
    const fresh = await Promise.all(unsigned.map(op => signOp(op, this.signer)))
    await this.submit({ pendingAdd: fresh })
    for (const op of fresh) this.pending.set(op.id, op)
    await this.removeFromSpaces(groupIds(ops))
    return fresh
  }

  /** Adds the ops other tabs committed since this tab last looked. */
  async catchUpWithTabs(): Promise<void> {
    const since = await this.options.log.readSince(this.lastChunk, this.lastPending)
    this.lastChunk = since.lastChunk
    this.lastPending = since.lastPending
    const { ops } = since
    this.time.observeAll(ops)
    for (const [space, list] of groupBySpace(ops)) this.mergeAndAnnounce(space, list, 'tab')
  }

  /** Merges ops another tab announced (already durable there). */
  applyFromTab(ops: readonly Op[], pending: boolean): void {
    this.time.observeAll(ops)
    if (pending) for (const op of ops) this.pending.set(op.id, op)
    for (const [space, list] of groupBySpace(ops)) this.mergeAndAnnounce(space, list, 'tab')
  }

  /** Resolves when every write submitted so far is durable. */
  flush(): Promise<void> {
    return this.commits.flush()
  }

  close(): void {
    this.options.log.close()
  }

  // ---- sync side: clock rewind and live ops (added for the sync loop) ----------

  /** This tab's clock (replaced by `rewindClock`). */
  get clock(): Clock {
    return this.time.clock
  }

  /** Skew estimates from the server's times, which correct the clock. */
  get skew(): SkewEstimator {
    return this.time.skew
  }

  /**
   * Undoes a wall clock that ran ahead, once skew correction knows it (PROTOCOL.md §2):
   * when the clock's last time is more than maxDrift past the corrected physical clock,
   * every time it would issue is one a receiver rejects for `drift`, and re-stamping
   * could never help. Starts a fresh clock instance (a new id keeps timestamps unique)
   * at the newest held time that is not ahead, persists it, and returns true; the
   * caller then re-stamps, in hlc order, the pending ops stamped ahead.
   */
  async rewindClock(): Promise<boolean> {
    const limit = this.time.aheadOf()
    if (limit === undefined) return false
    let floor = 0n
    for (const { state } of this.spaces.all()) {
      for (const op of state.liveOps()) {
        const time = parseHlc(op.hlc)!.time
        if (time <= limit && time > floor) floor = time
      }
    }
    this.time.restart(floor)
    await this.submit({ meta: { [META_CLOCK]: floor.toString() } })
    return true
  }

  /** The live ops of a space (the hash-exchange fallback of reconciliation compares them). */
  liveOps(space: string): Op[] {
    return this.spaces.liveOps(space)
  }

  // ---- internals --------------------------------------------------------------

  /** Commits `write` (group commit) with the meta state saved for later, which it then holds. */
  private async submit(write: LogWrite): Promise<void> {
    const unsaved = this.unsaved
    this.unsaved = {}
    try {
      await this.commits.submit({ ...write, meta: { ...unsaved, ...write.meta } })
    } catch (error) {
      for (const [key, value] of Object.entries(unsaved))
        if (!(key in this.unsaved)) this.unsaved[key] = value
      throw error
    }
  }

  private mergeAndAnnounce(
    space: string,
    ops: readonly Op[],
    source: ChangeSource,
    stored?: Promise<void>,
  ): void {
    const records = this.spaces.merge(space, ops)
    if (records.size === 0) return
    const change: Change = stored ? { space, source, records, stored } : { space, source, records }
    this.changes.announce(change)
  }
}

/** The ids of `ops` by space. */
function groupIds(ops: readonly Op[]): Map<string, string[]> {
  return new Map([...groupBySpace(ops)].map(([space, list]) => [space, list.map(op => op.id)]))
}
