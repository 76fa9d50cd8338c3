/**
 * The page's side of the service worker outbox (worker/sw): registers it, introduces
 * this replica to it (workbox-window's `messageSW`), asks for a replay when
 * the browser comes back `online`, and hands the engine what the service worker
 * reports: the outbox count, acknowledgements, rejections (which the engine's leader
 * takes: the service worker forgets them only then).
 *
 * Registration and reports go through `navigator.serviceWorker` itself, not
 * workbox-window's `Workbox` class: its `message` event drops messages from a version
 * another tab installed, its lifecycle events are not needed here (the service worker
 * claims its clients itself), and leaving it out keeps the UI thread's bundle within
 * 6 KiB (bench/size).
 */
// The module alone: the package entry is one file, so importing from it bundles the whole
// `Workbox` class too (about 2 KiB gzipped).
import { messageSW } from 'workbox-window/messageSW.js'
import type { Result } from '../core/errors.ts'
import { type OutboxReport, type PageMessage, serverOfPush } from '../../worker/sw/protocol.ts'

export interface ReplicaInfo {
  name: string
  server: string
  device: string
}

export interface OutboxLink {
  close(): void
}

/**
 * Registers the service worker and waits, at most `timeoutMs`, until it controls this
 * page (it claims its clients on activation). Never fails: without it, sync still
 * works, the engine only retries by itself.
 */
export async function takeControl(url: string, timeoutMs = 3000): Promise<void> {
  const container = navigator.serviceWorker
  if (container.controller) return
  const controlled = new Promise<void>(resolve =>
    container.addEventListener('controllerchange', () => resolve(), { once: true }),
  )
  try {
    await container.register(url)
  } catch {
    return
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([controlled, new Promise<void>(resolve => (timer = setTimeout(resolve, timeoutMs)))])
  clearTimeout(timer)
}

export function linkServiceWorker(
  url: string,
  replica: ReplicaInfo,
  engine: { outbox(report: OutboxReport): Promise<Result<string[]>> },
): OutboxLink {
  const container = navigator.serviceWorker
  // The server as the service worker names it (from the push URL the engine uses).
  replica = { ...replica, server: serverOfPush(replica.server.replace(/\/+$/, '') + '/v1/push')! }
  let closed = false

  /** To the service worker in charge now (after an update, the new one). */
  const send = async (message: PageMessage) => {
    const sw = container.controller ?? (await container.ready).active
    // The reply is for callers that wait; the state also comes as a report to every page.
    if (sw && !closed) void messageSW(sw, message)
  }
  const hello = () => void send({ type: 'syncline:hello', ...replica })

  const onMessage = (event: MessageEvent) => {
    const report = event.data as OutboxReport | undefined
    if (closed || report?.type !== 'syncline:outbox') return
    if (report.device !== replica.device || report.server !== replica.server) return
    void engine.outbox(report).then(taken => {
      if (taken.ok && taken.value.length) {
        void send({ type: 'syncline:taken', server: replica.server, ids: taken.value })
      }
    })
  }
  const onOnline = () => void send({ type: 'syncline:replay' })

  container.addEventListener('message', onMessage)
  container.addEventListener('controllerchange', hello)
  container.startMessages()
  addEventListener('online', onOnline)
  container.register(url).then(hello, (error: unknown) => {
    // Sync still works without it: the engine retries by itself, only later.
    console.warn(`syncline: the service worker ${url} was not registered`, error)
  })

  return {
    close() {
      closed = true
      container.removeEventListener('message', onMessage)
      container.removeEventListener('controllerchange', hello)
      removeEventListener('online', onOnline)
    },
  }
}
