/**
 * The engine as the app's worker exposes it over Comlink: one replica, its tab
 * channel, its leadership and (in the leader) its sync loop. Every method answers a
 * `Result` rather than throwing, so coded errors cross the worker boundary intact
 * and the client turns them into `SynclineError`s (src/client/errors.ts).
 */
import { type ErrorInfo, fail, ok, type Result, SynclineError } from '../../src/core/errors.ts'
import type { JsonObject } from '../../src/core/json.ts'
import type { Action, Op } from '../../src/core/op.ts'
import { createSchema, type DescriptorInput, type Schema } from '../../src/core/schema.ts'
import { formatHlc, msToNs } from '../../src/core/uhlc.ts'
import { openIdbOpLog } from './idb-oplog.ts'
import { electLeader, type Leadership } from './leader.ts'
import type { OpLog } from './oplog.ts'
import { Replica } from './replica.ts'
import { LiveQueries, type Query, type Row, type RowsDelta } from './live-queries.ts'
import { fromLoop, INITIAL_STATUS, type SharedStatus, type Status } from './status.ts'
import type { SyncLoop } from './sync/sync-loop.ts'
import { openTabChannel, type TabChannel, type TabMessage } from './tab-channel.ts'
import { platformEd25519 } from './platform-ed25519.ts'
import type { OutboxReport } from '../sw/protocol.ts'

export type { Query, Row, RowsDelta }

export interface EngineOptions {
  /** The local replica: one IndexedDB database per name. */
  name: string
  /** Collections by name (PROTOCOL.md §4-5). */
  schema: Record<string, Omit<DescriptorInput, 'name'>>
  /** UHLC drift limit in ms (default 100). */
  maxDrift?: number
  /** The Syncline server's URL; absent, the replica stays local. */
  server?: string
}

/** A look inside the replica, for tools and the demo's inspector. */
export interface Inspection {
  device: string
  /** The clock's latest time, as an hlc string with this instance's id. */
  clock: string
  spaces: { id: string; cursor: number; liveOps: number; pendingOps: number }[]
  /** The latest ops this tab saw (its own writes, other tabs', the server's), newest first. */
  recentOps: { op: Op; source: 'local' | 'tab' | 'remote' }[]
}

export type ErrorEvent = ErrorInfo & { op?: Op }
type Listener<T> = (value: T) => void

/** The engine's API; each method is one message across the worker boundary. */
export interface EngineApi {
  open(options: EngineOptions): Promise<Result<{ device: string }>>
  createSpace(): Promise<Result<string>>
  openSpace(space: string): Promise<Result<void>>
  write(
    space: string,
    collection: string,
    key: string,
    action: Action,
    fields?: JsonObject,
  ): Promise<Result<void>>
  get(space: string, collection: string, key: string, owner?: string): Promise<Result<JsonObject | undefined>>
  list(query: Query): Promise<Result<Row[]>>
  subscribe(query: Query, listener: Listener<RowsDelta>): Promise<Result<number>>
  subscribeStatus(listener: Listener<Status>): Promise<Result<number>>
  onError(listener: Listener<ErrorEvent>): Promise<Result<number>>
  unsubscribe(id: number): Promise<void>
  sync(): Promise<Result<void>>
  /** Stops (true) or restarts (false) talking to the server; local writes go on. */
  setPaused(paused: boolean): Promise<Result<void>>
  /** What the sync inspector shows. */
  inspect(): Promise<Result<Inspection>>
  /**
   * The service worker's outbox report for this device (worker/sw): its count for the
   * status, acknowledgements of queued ops, and rejections. Answers the ids of the
   * rejections this tab took (the leader pushes those ops again so the sync loop gets
   * the server's verdict: re-stamp on `drift`, else take out and report).
   */
  outbox(report: OutboxReport): Promise<Result<string[]>>
  close(): Promise<void>
}

/** Makes the sync loop of the leader tab against the server at `url`. */
export type SyncFactory = (replica: Replica, url: string) => SyncLoop | Promise<SyncLoop>

export interface EngineDeps {
  /** Opens the op log (IndexedDB in the browser). */
  openLog?: (name: string) => Promise<OpLog>
  /** Makes the sync loop for the leader tab (used when `server` is set). */
  sync?: SyncFactory
}

/** How many recent ops `inspect` keeps. */
const RECENT_OPS = 50

export function createEngine(deps: EngineDeps = {}): EngineApi {
  let replica: Replica | undefined
  let options: EngineOptions | undefined
  let tabs: TabChannel | undefined
  let leadership: Leadership | undefined
  let loop: SyncLoop | undefined
  let stopLoop: (() => void)[] = []
  let shared: SharedStatus = INITIAL_STATUS
  /** Ops of this device the service worker holds (each tab hears it from the service worker). */
  let outboxOps = 0
  let paused = false
  let queries: LiveQueries | undefined
  const spaces = new Set<string>()
  const statusListeners = new Map<number, Listener<Status>>()
  const errorListeners = new Map<number, Listener<ErrorEvent>>()
  const syncWaiters = new Map<string, (error?: ErrorInfo) => void>()
  const recent: Inspection['recentOps'] = []
  let nextId = 1

  const need = (): Replica => {
    if (!replica) throw new SynclineError('closed', 'the client is not open (call createClient first)')
    return replica
  }
  const live = (): LiveQueries => {
    need()
    return queries!
  }

  const remember = (ops: readonly Op[], source: 'local' | 'tab' | 'remote') => {
    for (const op of ops) recent.unshift({ op, source })
    if (recent.length > RECENT_OPS) recent.length = RECENT_OPS
  }

  const isLeader = () => leadership?.isLeader ?? false

  const status = (): Status => ({
    ...shared,
    paused,
    outboxOps,
    leader: isLeader(),
    // A follower's pending set may lag; the leader's count is the truth when there is one.
    pendingOps: isLeader() || !shared.online ? (replica?.pendingCount ?? 0) : shared.pendingOps,
  })

  const emitStatus = () => {
    if (statusListeners.size === 0) return
    const current = status()
    for (const listener of statusListeners.values()) listener(current)
  }

  const reportError = (error: ErrorInfo, op?: Op) => {
    for (const listener of errorListeners.values()) listener({ ...error, op })
  }

  const setShared = (next: SharedStatus) => {
    shared = next
    if (isLeader()) tabs?.post({ type: 'status', status: next })
    emitStatus()
  }

  const onTabMessage = (message: TabMessage) => {
    const r = replica
    if (!r) return
    switch (message.type) {
      case 'ops':
        remember(message.ops, 'tab')
        r.applyFromTab(message.ops, true)
        break
      case 'log-changed':
        void r.catchUpWithTabs()
        break
      case 'removed':
        void r.reloadFromLog(message.space)
        break
      case 'status':
        if (!isLeader()) {
          shared = message.status
          emitStatus()
        }
        break
      case 'paused':
        void setPausedHere(message.paused)
        break
      case 'space':
        spaces.add(message.space)
        loop?.addSpace(message.space)
        break
      case 'sync':
        if (isLeader() && loop) {
          loop.sync().then(
            () => tabs?.post({ type: 'synced', ref: message.ref }),
            (error: unknown) => tabs?.post({ type: 'synced', ref: message.ref, error: errorInfo(error) }),
          )
        }
        break
      case 'synced':
        syncWaiters.get(message.ref)?.(message.error as ErrorInfo | undefined)
        syncWaiters.delete(message.ref)
        break
    }
  }

  /** This tab just became the leader: catch up from the log, then sync. */
  const lead = async () => {
    const r = replica
    emitStatus()
    if (!r || !deps.sync || !options?.server) return
    // Messages may have been missed while another tab led: the log has everything.
    await r.catchUpWithTabs()
    await r.reloadPending()
    const l = await deps.sync(r, options.server)
    loop = l
    for (const space of spaces) l.addSpace(space)
    stopLoop = [
      l.subscribe(s => setShared(fromLoop(s, shared))),
      l.onEvent(event => {
        if (event.type !== 'op-restamped')
          reportError({ code: event.error.code, message: event.error.message }, event.op)
        tabs?.post({ type: 'removed', space: event.op.space })
      }),
      r.onChange(change => {
        if (change.source !== 'remote') return
        // The other tabs read what changed from the log: tell them once it is there.
        const post = () => tabs?.post({ type: 'log-changed' })
        if (change.stored) change.stored.then(post, () => undefined)
        else post()
      }),
    ]
    if (!paused) l.start()
  }

  const setPausedHere = async (value: boolean) => {
    paused = value
    if (isLeader() && loop) {
      if (value) {
        await loop.stop()
        setShared({ ...shared, online: false, connected: false })
      } else loop.start()
    }
    emitStatus()
  }

  const api: EngineApi = {
    open: opts =>
      settle(async () => {
        if (replica) throw new SynclineError('malformed', 'the engine is already open')
        const created = createSchema(Object.entries(opts.schema).map(([name, d]) => ({ ...d, name })))
        if (!created.ok) throw new SynclineError(created.error.code, created.error.message)
        const schema: Schema = created.value
        options = opts
        const log = await (deps.openLog ?? openIdbOpLog)(opts.name)
        const backend = await platformEd25519()
        const r = await Replica.open({
          log,
          schema,
          backend,
          wallNs: () => msToNs(Date.now()),
          random: n => crypto.getRandomValues(new Uint8Array(n)),
          maxDriftNs: opts.maxDrift === undefined ? undefined : BigInt(Math.round(opts.maxDrift * 1e6)),
        })
        replica = r
        queries = new LiveQueries(r, schema)
        r.onChange(change => {
          queries?.changed(change)
          emitStatus()
        })
        tabs = openTabChannel(opts.name, onTabMessage)
        leadership = electLeader(opts.name, () => void lead())
        return { device: r.device }
      }),

    createSpace: () =>
      settle(async () => {
        const r = need()
        const space = await r.createSpace()
        spaces.add(space)
        loop?.addSpace(space)
        remember(r.pendingOps(space), 'local')
        tabs?.post({ type: 'ops', ops: r.pendingOps(space) })
        tabs?.post({ type: 'space', space })
        return space
      }),

    openSpace: space =>
      settle(async () => {
        need()
        spaces.add(space)
        loop?.addSpace(space)
        tabs?.post({ type: 'space', space })
      }),

    write: (space, collection, key, action, fields) =>
      settle(async () => {
        const r = need()
        const op = await r.write(space, collection, live().recordId(collection, key), action, fields)
        remember([op], 'local')
        tabs?.post({ type: 'ops', ops: [op] })
      }),

    get: (space, collection, key, owner) =>
      settle(async () => need().get(space, collection, live().recordId(collection, key, owner))),

    list: query => settle(async () => live().rows(query)),

    subscribe: (query, listener) => settle(async () => live().subscribe(query, listener)),

    subscribeStatus: listener =>
      settle(async () => {
        const id = nextId++
        statusListeners.set(id, listener)
        listener(status())
        return id
      }),

    onError: listener =>
      settle(async () => {
        const id = nextId++
        errorListeners.set(id, listener)
        return id
      }),

    async unsubscribe(id) {
      queries?.unsubscribe(id)
      statusListeners.delete(id)
      errorListeners.delete(id)
    },

    sync: () =>
      settle(async () => {
        const r = need()
        await r.flush()
        if (!options?.server)
          throw new SynclineError('unavailable', 'no server configured: nothing to sync with')
        if (paused) throw new SynclineError('unavailable', 'sync is paused (client.resume() restarts it)')
        if (isLeader() && loop) return loop.sync()
        // Another tab leads (or this one is still taking over): ask the leader and wait.
        const ref = crypto.randomUUID()
        const answer = new Promise<ErrorInfo | undefined>(resolve => syncWaiters.set(ref, resolve))
        tabs?.post({ type: 'sync', ref })
        const error = await answer
        if (error) throw new SynclineError(error.code, error.message)
      }),

    setPaused: value =>
      settle(async () => {
        need()
        tabs?.post({ type: 'paused', paused: value })
        await setPausedHere(value)
      }),

    inspect: () =>
      settle(async () => {
        const r = need()
        return {
          device: r.device,
          clock: formatHlc(r.clock.lastTimeNs, r.clock.id),
          spaces: r.spaceIds().map(id => ({
            id,
            cursor: r.cursor(id),
            liveOps: r.summary(id).count,
            pendingOps: r.pendingOps(id).length,
          })),
          recentOps: recent.slice(),
        }
      }),

    outbox: report =>
      settle(async () => {
        const r = need()
        outboxOps = report.outboxOps
        if (!isLeader()) {
          emitStatus()
          return []
        }
        // Delivered while no request waited for the answer: acknowledge them here.
        if (report.acked.length) {
          await r.acknowledge(report.acked)
          setShared({ ...shared, pendingOps: r.pendingCount })
        } else emitStatus()
        if (!report.rejected.length || !loop || paused) return []
        // The loop's failures show in its status; there is nothing more to say here.
        loop.sync().catch(() => undefined)
        return report.rejected.map(rejection => rejection.op.id)
      }),

    async close() {
      for (const stop of stopLoop) stop()
      await loop?.stop()
      leadership?.release()
      tabs?.close()
      await replica?.flush()
      replica?.close()
      replica = undefined
      statusListeners.clear()
      errorListeners.clear()
    },
  }
  return api
}

/** Runs `work`, turning a thrown error into a coded error result. */
async function settle<T>(work: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await work())
  } catch (error) {
    const info = errorInfo(error)
    return fail(info.code, info.message)
  }
}

function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof SynclineError) return error.toJSON()
  if (error instanceof DOMException && error.name === 'QuotaExceededError') {
    return { code: 'quota_exceeded', message: error.message }
  }
  return { code: 'unavailable', message: error instanceof Error ? error.message : String(error) }
}
