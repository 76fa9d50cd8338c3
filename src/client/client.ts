/**
 * `createClient`: the app's entry point (API.md). The client is a thin typed proxy:
 * the engine, its IndexedDB log and its sync loop run in a Web Worker, so the UI
 * thread does no sync work.
 */
import { proxy, releaseProxy, wrap } from 'comlink'
import type { ErrorInfo, Result } from '../core/errors.ts'
import type { DescriptorInput } from '../core/schema.ts'
import type { EngineApi, Inspection } from '../../worker/engine/engine.ts'
import type { Status as EngineStatus } from '../../worker/engine/status.ts'
import { type Collection, createCollection, type RecordValue } from './collection.ts'
import { SynclineError, unwrap } from './errors.ts'
import { linkServiceWorker, takeControl } from './service-worker.ts'

export type { Inspection }

/** The sync status (API.md `client.status`); `error` is the last sync error, cleared by the next success. */
export type Status = Omit<EngineStatus, 'error'> & { error: SynclineError | null }

export interface ClientOptions {
  /** The Syncline server's base URL. Without one the replica stays on this device. */
  server?: string
  /**
   * One descriptor per collection, by name (PROTOCOL.md §4-5): `crdt` (`lww`, `gset`,
   * `lwwset`), `onConflict` (`lww` only: `merge`, `overwrite`, `ignore`), `owned`, and
   * optional `fields` types checked on every write.
   */
  schema: Record<string, Omit<DescriptorInput, 'name'>>
  /** The local replica: one IndexedDB database per name. Default `default`. */
  name?: string
  /** UHLC drift limit in ms. Default 100. */
  maxDrift?: number
  /**
   * The service worker that keeps pushes made offline and delivers them later in hlc
   * order, even with every tab closed (`syncline/sw`, served from the app's root so its
   * scope covers the app). Default `'/syncline-sw.js'` when `server` is set. An app
   * with its own service worker passes that one's URL and calls
   * `importScripts('/syncline-sw.js')` in it. `false`: none (the engine retries by itself).
   */
  serviceWorker?: string | false
  /** The engine worker, for apps that bundle it themselves. Default: the bundled one. */
  worker?: () => Worker
}

export interface Space {
  readonly id: string
  /**
   * A collection of this space by its schema name; `T` types its records. The same
   * object for the same name, so it may be called inline (e.g. as a React hook's input).
   */
  collection<T extends object = RecordValue>(name: string): Collection<T>
}

export interface Client {
  /** This device: its id is its public key. */
  readonly device: { readonly id: string }
  /** Creates a space (its id: 16 random bytes, base64url); this device is its admin. */
  createSpace(): Promise<Space>
  /** Opens a space by id, one of this device's or another's, and syncs it. The same object for the same id. */
  space(id: string): Space
  readonly status: {
    /** Calls `listener` now and on every change; returns a function that stops it. */
    subscribe(listener: (status: Status) => void): () => void
  }
  /** Calls `listener` for errors that concern no call in progress, such as an op the server rejected. */
  onError(listener: (error: SynclineError & { op?: unknown }) => void): () => void
  /** Resolves when everything local is on the server and the server's changes are here. */
  sync(): Promise<void>
  /** Stops talking to the server, in every tab (writes go on locally and sync on `resume`). */
  pause(): Promise<void>
  /** Talks to the server again after `pause`. */
  resume(): Promise<void>
  /** A look inside the replica: clock, spaces, recent ops (for tools and inspectors). */
  inspect(): Promise<Inspection>
  /** Lets pending writes land in IndexedDB, stops syncing and ends the worker. */
  close(): Promise<void>
}

/**
 * Opens the local replica `options.name` in a new Web Worker and, with a `server`,
 * starts syncing it (the service worker registered first). Rejects with a
 * `SynclineError` (`malformed` for an invalid schema).
 */
export async function createClient(options: ClientOptions): Promise<Client> {
  const swUrl =
    options.server && options.serviceWorker !== false && 'serviceWorker' in navigator
      ? (options.serviceWorker ?? '/syncline-sw.js')
      : undefined
  // A worker takes its page's service worker when it starts: on a first visit, wait
  // (briefly) for the service worker to take control, or the engine's pushes would
  // bypass the outbox until the next load.
  if (swUrl) await takeControl(swUrl)
  const worker =
    options.worker?.() ??
    new Worker(new URL('../../worker/engine/worker.ts', import.meta.url), { type: 'module' })
  const engine = wrap<EngineApi>(worker)
  const opened = await engine.open({
    name: options.name ?? 'default',
    schema: options.schema,
    maxDrift: options.maxDrift,
    server: options.server,
  })
  if (!opened.ok) {
    worker.terminate()
    throw new SynclineError(opened.error.code, opened.error.message)
  }
  // Ask the browser not to evict the replica under storage pressure; best effort.
  void navigator.storage?.persist?.().catch(() => false)
  const outbox =
    swUrl && options.server
      ? linkServiceWorker(
          swUrl,
          { name: options.name ?? 'default', server: options.server, device: opened.value.device },
          engine,
        )
      : undefined

  const spaces = new Map<string, Space>()
  const space = (id: string): Space => {
    let s = spaces.get(id)
    if (!s) {
      const collections = new Map<string, Collection<object>>()
      const collection = <T extends object>(name: string) => {
        let c = collections.get(name)
        if (!c) collections.set(name, (c = createCollection(engine, id, name)))
        return c as Collection<T>
      }
      s = { id, collection }
      spaces.set(id, s)
      void engine.openSpace(id)
    }
    return s
  }
  /** Starts an engine subscription; the returned function stops it (even before it started). */
  const subscription = <T>(
    start: (listener: (value: T) => void) => Promise<Result<number>>,
    listener: (value: T) => void,
  ) => {
    let stopped = false
    const id = start(proxy((value: T) => stopped || listener(value))).then(result => unwrap(result))
    return () => {
      stopped = true
      void id.then(n => engine.unsubscribe(n))
    }
  }

  return {
    device: { id: opened.value.device },
    async createSpace() {
      return space(unwrap(await engine.createSpace()))
    },
    space,
    status: {
      subscribe: listener =>
        subscription<EngineStatus>(
          l => engine.subscribeStatus(l),
          ({ error, ...status }) =>
            listener({ ...status, error: error && new SynclineError(error.code, error.message) }),
        ),
    },
    onError: listener =>
      subscription<ErrorInfo & { op?: unknown }>(
        l => engine.onError(l),
        error => listener(Object.assign(new SynclineError(error.code, error.message), { op: error.op })),
      ),
    async sync() {
      unwrap(await engine.sync())
    },
    async pause() {
      unwrap(await engine.setPaused(true))
    },
    async resume() {
      unwrap(await engine.setPaused(false))
    },
    async inspect() {
      return unwrap(await engine.inspect())
    },
    async close() {
      outbox?.close()
      await engine.close()
      engine[releaseProxy]()
      worker.terminate()
    },
  }
}
