/**
 * The engine as the app's worker exposes it over Comlink: one replica, its tab
 * channel, its leadership and (in the leader) its sync loop. Every method answers a
 * `Result` rather than throwing, so coded errors cross the worker boundary intact
 * and the client turns them into `SynclineError`s (src/client/errors.ts).
 */
import { type ErrorInfo, fail, ok, type Result, SynclineError } from '../../src/core/errors.ts'
import type { JsonObject } from '../../src/core/json.ts'
import type { Action } from '../../src/core/op.ts'
import {
  createSchema,
  type Descriptor,
  descriptorOf,
  type DescriptorInput,
  type Schema,
} from '../../src/core/schema.ts'
import { msToNs } from '../../src/core/uhlc.ts'
import { openIdbOpLog } from './idb-oplog.ts'
import { electLeader, type Leadership } from './leader.ts'
import type { OpLog } from './oplog.ts'
import { type Change, Replica } from './replica.ts'
import { OFFLINE_STATUS, type Status, type SyncStatus } from './status.ts'
import type { SyncDriver, SyncFactory } from './sync-driver.ts'
import { openTabChannel, type TabChannel, type TabMessage } from './tab-channel.ts'
import { webcryptoEd25519 } from './webcrypto-ed25519.ts'
import { nobleEd25519 } from '../../src/core/ed25519.ts'

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

/** A record as the app sees it. For owned collections `id` is the key and `owner` the device. */
export interface Row {
  id: string
  owner?: string
  value: JsonObject
}

/**
 * What a live query sends after its first answer: only the records that changed,
 * keyed by record id (the order of `list`), so a change costs the app O(changed),
 * not O(collection), in the worker and on the way to the UI thread.
 */
export interface RowsDelta {
  /** The whole result (the first message). */
  reset?: [string, Row][]
  upserts: [string, Row][]
  removes: string[]
}

export interface Query {
  space: string
  collection: string
  prefix?: string
}

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
  onError(listener: Listener<ErrorInfo & { op?: unknown }>): Promise<Result<number>>
  unsubscribe(id: number): Promise<void>
  sync(): Promise<Result<void>>
  close(): Promise<void>
}

export interface EngineDeps {
  /** Opens the op log (IndexedDB in the browser). */
  openLog?: (name: string) => Promise<OpLog>
  /** Makes the sync loop for the leader tab (used when `server` is set). */
  sync?: SyncFactory
}

interface Subscription {
  query: Query
  listener: Listener<RowsDelta>
}

export function createEngine(deps: EngineDeps = {}): EngineApi {
  let replica: Replica | undefined
  let schema: Schema = new Map()
  let tabs: TabChannel | undefined
  let leadership: Leadership | undefined
  let driver: SyncDriver | undefined
  let syncStatus: SyncStatus = OFFLINE_STATUS
  let server: string | undefined
  const subscriptions = new Map<number, Subscription>()
  const statusListeners = new Map<number, Listener<Status>>()
  const errorListeners = new Map<number, Listener<ErrorInfo & { op?: unknown }>>()
  const syncWaiters = new Map<string, (error?: ErrorInfo) => void>()
  let nextId = 1

  const need = (): Replica => {
    if (!replica) throw new SynclineError('closed', 'the client is not open (call createClient first)')
    return replica
  }

  const descriptor = (collection: string): Descriptor => {
    const d = descriptorOf(schema, collection)
    if (!d)
      throw new SynclineError(
        'unknown_collection',
        `no collection ${JSON.stringify(collection)} in the schema`,
      )
    return d
  }

  /** The stored record id: owned records are `<device>/<key>` (PROTOCOL.md §4). */
  const recordId = (collection: string, key: string, owner?: string): string =>
    descriptor(collection).owned ? `${owner ?? need().device}/${key}` : key

  /** A record as the app sees it, or undefined when it does not match the query. */
  const rowOf = (
    collection: string,
    owned: boolean,
    prefix: string,
    id: string,
    value: JsonObject,
  ): Row | undefined => {
    if (!owned) return id.startsWith(prefix) ? { id, value } : undefined
    // Owned keys hide the device prefix; a prefix query matches keys of any owner.
    const slash = id.indexOf('/')
    const key = id.slice(slash + 1)
    return key.startsWith(prefix) ? { id: key, owner: id.slice(0, slash), value } : undefined
  }

  const entriesOf = ({ space, collection, prefix = '' }: Query): [string, Row][] => {
    const owned = descriptor(collection).owned
    const out: [string, Row][] = []
    for (const [id, value] of need().list(space, collection, owned ? '' : prefix)) {
      const row = rowOf(collection, owned, prefix, id, value)
      if (row) out.push([id, row])
    }
    return out
  }

  const rowsOf = (query: Query): Row[] => entriesOf(query).map(([, row]) => row)

  const status = (): Status => ({
    ...syncStatus,
    leader: leadership?.isLeader ?? false,
    pendingOps: replica?.pendingCount ?? 0,
  })

  const emitStatus = () => {
    const current = status()
    for (const listener of statusListeners.values()) listener(current)
  }

  const notify = (change: Change) => {
    for (const { query, listener } of subscriptions.values()) {
      if (query.space !== change.space) continue
      const records = change.records.get(query.collection)
      if (!records) continue
      const owned = descriptor(query.collection).owned
      const prefix = query.prefix ?? ''
      const delta: RowsDelta = { upserts: [], removes: [] }
      for (const id of records) {
        if (!matchesPrefix(id, prefix, owned)) continue
        const value = need().get(change.space, query.collection, id)
        const row = value && rowOf(query.collection, owned, prefix, id, value)
        if (row) delta.upserts.push([id, row])
        else delta.removes.push(id)
      }
      if (delta.upserts.length || delta.removes.length) listener(delta)
    }
    emitStatus()
  }

  const reportError = (error: ErrorInfo, op?: unknown) => {
    for (const listener of errorListeners.values()) listener({ ...error, op })
  }

  const onTabMessage = (message: TabMessage) => {
    const r = replica
    if (!r) return
    switch (message.type) {
      case 'ops':
        r.applyFromTab(message.ops, message.pending)
        if (message.pending) driver?.nudge()
        break
      case 'acked':
        r.forgetPending(message.ids)
        emitStatus()
        break
      case 'removed':
        void r.remove(message.space, message.ids)
        break
      case 'status':
        if (!leadership?.isLeader) {
          syncStatus = message.status
          emitStatus()
        }
        break
      case 'sync':
        if (leadership?.isLeader && driver) {
          driver.sync().then(
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

  const lead = async () => {
    const r = replica
    if (!r || !deps.sync || !server) return
    // Messages may have been missed while another tab led: the log has everything.
    await r.catchUpWithTabs()
    driver = deps.sync(r, server, {
      acked: ids => tabs?.post({ type: 'acked', ids }),
      pulled: ops => tabs?.post({ type: 'ops', ops, pending: false }),
      removed: (space, ids) => tabs?.post({ type: 'removed', space, ids }),
      error: reportError,
    })
    driver.onStatus(s => {
      syncStatus = s
      tabs?.post({ type: 'status', status: s })
      emitStatus()
    })
    driver.start()
  }

  const api: EngineApi = {
    open: options =>
      settle(async () => {
        if (replica) throw new SynclineError('malformed', 'the engine is already open')
        const created = createSchema(Object.entries(options.schema).map(([name, d]) => ({ ...d, name })))
        if (!created.ok) throw new SynclineError(created.error.code, created.error.message)
        schema = created.value
        server = options.server
        const log = await (deps.openLog ?? openIdbOpLog)(options.name)
        const backend = (await webcryptoEd25519()) ?? nobleEd25519
        replica = await Replica.open({
          log,
          schema,
          backend,
          wallNs: () => msToNs(Date.now()),
          random: n => crypto.getRandomValues(new Uint8Array(n)),
          maxDriftNs: options.maxDrift === undefined ? undefined : BigInt(Math.round(options.maxDrift * 1e6)),
        })
        const r = replica
        r.onChange(change => {
          notify(change)
          if (change.source === 'local') driver?.nudge()
        })
        tabs = openTabChannel(options.name, onTabMessage)
        leadership = electLeader(options.name, () => {
          void lead()
          emitStatus()
        })
        return { device: r.device }
      }),

    createSpace: () =>
      settle(async () => {
        const r = need()
        const space = await r.createSpace()
        driver?.addSpace(space)
        tabs?.post({ type: 'ops', ops: r.pendingOps(space), pending: true })
        return space
      }),

    openSpace: space =>
      settle(async () => {
        need()
        driver?.addSpace(space)
      }),

    write: (space, collection, key, action, fields) =>
      settle(async () => {
        const r = need()
        const op = await r.write(space, collection, recordId(collection, key), action, fields)
        tabs?.post({ type: 'ops', ops: [op], pending: true })
      }),

    get: (space, collection, key, owner) =>
      settle(async () => need().get(space, collection, recordId(collection, key, owner))),

    list: query => settle(async () => rowsOf(query)),

    subscribe: (query, listener) =>
      settle(async () => {
        descriptor(query.collection)
        const id = nextId++
        subscriptions.set(id, { query, listener })
        listener({ reset: entriesOf(query), upserts: [], removes: [] })
        return id
      }),

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
      subscriptions.delete(id)
      statusListeners.delete(id)
      errorListeners.delete(id)
    },

    sync: () =>
      settle(async () => {
        const r = need()
        await r.flush()
        if (leadership?.isLeader) {
          if (!driver) throw new SynclineError('unavailable', 'no server configured: nothing to sync with')
          return driver.sync()
        }
        // Another tab leads: ask it, and wait for its answer.
        const ref = crypto.randomUUID()
        const answer = new Promise<ErrorInfo | undefined>(resolve => syncWaiters.set(ref, resolve))
        tabs?.post({ type: 'sync', ref })
        const error = await answer
        if (error) throw new SynclineError(error.code, error.message)
      }),

    async close() {
      driver?.stop()
      leadership?.release()
      tabs?.close()
      await replica?.flush()
      replica?.close()
      replica = undefined
      subscriptions.clear()
      statusListeners.clear()
      errorListeners.clear()
    },
  }
  return api
}

function matchesPrefix(recordId: string, prefix: string, owned: boolean): boolean {
  return (owned ? recordId.slice(recordId.indexOf('/') + 1) : recordId).startsWith(prefix)
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
