/**
 * The Syncline service worker (`/syncline-sw.js`, `syncline/sw`): the outbox of
 * ARCHITECTURE.md's push flow. Pushes that cannot reach the server are stored in
 * IndexedDB and answered `202 {queued}`; they are replayed in hlc order on Background
 * Sync, on `online`, when a page asks, and whenever this worker starts, with no page
 * needed. This file only wires browser events to the modules beside it.
 *
 * An app with its own service worker can `importScripts('/syncline-sw.js')` first:
 * this script answers only `POST …/v1/push` and leaves every other request alone.
 */
import { openIdbOutbox } from './idb-outbox.ts'
import { lazyOutbox, memoryOutbox } from './outbox.ts'
import { countByDevice } from './plan.ts'
import type { OutboxReport, PageMessage, PushResult, Rejection } from './protocol.ts'
import { serverOfPush, SYNC_TAG } from './protocol.ts'
import { handlePush, Waiters } from './push-handler.ts'
import { replicaKeys } from './replica-keys.ts'
import { createReplayer, type ReplaySummary } from './replay.ts'
import { createServerClient } from './server-client.ts'

// The few service-worker types used here (the DOM lib has no ServiceWorkerGlobalScope).
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request
  respondWith(response: Promise<Response>): void
}
interface SyncEvent extends ExtendableEvent {
  readonly tag: string
  readonly lastChance: boolean
}
interface ExtendableMessageEvent extends ExtendableEvent {
  readonly data: unknown
  readonly ports: readonly MessagePort[]
}
interface WindowClient {
  postMessage(message: unknown): void
}
interface Scope {
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void
  addEventListener(type: 'sync', listener: (event: SyncEvent) => void): void
  addEventListener(type: 'message', listener: (event: ExtendableMessageEvent) => void): void
  addEventListener(type: 'online', listener: () => void): void
  skipWaiting(): Promise<void>
  clients: {
    claim(): Promise<void>
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]>
  }
  registration: { sync?: { register(tag: string): Promise<void> } }
  fetch: typeof fetch
}

const scope = globalThis as unknown as Scope
const forward = scope.fetch.bind(scope)

/** The outbox: IndexedDB (memory only where it is missing), opened on first use. */
const outbox = lazyOutbox(async () => (typeof indexedDB === 'undefined' ? memoryOutbox() : openIdbOutbox()))

const keys = replicaKeys()
const servers = createServerClient({ fetch: forward, keyOf: device => keys.keyOf(device) })
const waiters = new Waiters()
/** Devices pages introduced, per server. */
const devices = new Map<string, Set<string>>()

/** Reports go out one at a time, so a page never sees an older count after a newer one. */
let reporting: Promise<unknown> = Promise.resolve()
const report = (server: string, device: string, acked: PushResult[] = [], rejected?: Rejection[]) => {
  const next = reporting.then(() => sendReport(server, device, acked, rejected))
  reporting = next.catch(() => undefined)
  return next
}

const sendReport = async (server: string, device: string, acked: PushResult[], rejected?: Rejection[]) => {
  const message: OutboxReport = {
    type: 'syncline:outbox',
    server,
    device,
    outboxOps: countByDevice((await outbox.batches()).filter(b => b.server === server)).get(device) ?? 0,
    acked,
    rejected: rejected ?? (await outbox.rejections(device)).filter(r => r.server === server),
  }
  for (const client of await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
    client.postMessage(message)
  }
  return message
}

const replayer = createReplayer({
  outbox,
  push: batch => servers.push(batch.server, batch.device, batch.ops),
  handOver: (results, serverTime) => waiters.handOver(results, serverTime),
  report: async (server, device, acked, rejected) => void (await report(server, device, acked, rejected)),
  exclusive: <T>(job: () => Promise<T>): Promise<T> =>
    'locks' in navigator ? (navigator.locks.request('syncline-outbox-replay', job) as Promise<T>) : job(),
})

/** Runs a replay; when ops are left, asks for a Background Sync to try again. */
const replay = async (): Promise<ReplaySummary> => {
  const summary = await replayer.run()
  if (summary.left) await requestSync()
  return summary
}

const requestSync = async () => {
  try {
    await scope.registration.sync?.register(SYNC_TAG)
  } catch {
    // No permission for Background Sync: `online`, page loads and messages still replay.
  }
}

scope.addEventListener('install', event => event.waitUntil(scope.skipWaiting()))
scope.addEventListener('activate', event => event.waitUntil(scope.clients.claim()))

scope.addEventListener('fetch', event => {
  const { request } = event
  if (request.method !== 'POST') return
  const server = serverOfPush(request.url)
  if (server === undefined) return
  event.respondWith(
    handlePush(request, server, {
      outbox,
      replay,
      waiters,
      forward: r => forward(r),
      remember: (s, device, token) => servers.remember(s, device, token),
      deviceOf: (s, ops) => {
        const known = devices.get(s)
        return ops.find(op => known?.has(op.author))?.author ?? ops[0]!.author
      },
      queued: async batch => {
        await report(batch.server, batch.device)
        await requestSync()
      },
    }),
  )
})

scope.addEventListener('sync', event => {
  if (event.tag !== SYNC_TAG) return
  event.waitUntil(
    replay().then(summary => {
      // A failed sync event is retried by the browser later (with backoff).
      if (summary.unreachable.length && !event.lastChance) throw new Error(summary.failure)
    }),
  )
})

scope.addEventListener('message', event => {
  const message = event.data as PageMessage | undefined
  const port = event.ports[0]
  if (message?.type === 'syncline:hello') {
    keys.introduce(message.name)
    let known = devices.get(message.server)
    if (!known) devices.set(message.server, (known = new Set()))
    known.add(message.device)
    event.waitUntil(
      report(message.server, message.device).then(state => {
        port?.postMessage(state)
        return replay()
      }),
    )
  } else if (message?.type === 'syncline:replay') {
    event.waitUntil(replay().then(summary => port?.postMessage(summary)))
  } else if (message?.type === 'syncline:taken') {
    event.waitUntil(outbox.forget(message.server, message.ids).then(() => port?.postMessage({ ok: true })))
  }
})

scope.addEventListener('online', () => void replay())

// A worker starts for an event, a page load or an update: whatever is queued goes now.
void replay()
