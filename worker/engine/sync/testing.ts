/**
 * Helpers for the sync loop's Node tests: replicas on memory logs with the server's
 * test schema, sync loops over a real server (real HTTP, the `ws` package's
 * WebSocket) that are stopped after each test, and waits on events (never on time).
 */
import { randomBytes } from 'node:crypto'
import { afterEach } from 'vitest'
import WebSocket from 'ws'
import { createSchema, type DescriptorInput } from '../../../src/core/schema.ts'
import { msToNs } from '../../../src/core/uhlc.ts'
import { nodeEd25519 } from '../../../server/node-ed25519.ts'
import { TEST_SCHEMA } from '../../../server/testing/test-server.ts'
import { MemoryOpLog, MemoryStore } from '../memory-oplog.ts'
import { Replica } from '../replica.ts'
import type { SocketConstructor, SocketLike, SyncIo } from './io.ts'
import type { SyncStatus } from './status.ts'
import { createSync, type SyncLoop, type SyncOptions } from './sync-loop.ts'

const created = createSchema(TEST_SCHEMA as DescriptorInput[])
if (!created.ok) throw new Error(created.error.message)
/** The app schema of the tests: the server tests' collections. */
export const APP_SCHEMA = created.value

const loops: SyncLoop[] = []
afterEach(async () => {
  for (const loop of loops.splice(0)) await loop.stop()
})

export const realWallNs = () => msToNs(Date.now())

export function openReplica(
  options: { wallNs?: () => bigint; store?: MemoryStore; schema?: typeof APP_SCHEMA } = {},
) {
  return Replica.open({
    log: new MemoryOpLog(options.store ?? new MemoryStore()),
    schema: options.schema ?? APP_SCHEMA,
    backend: nodeEd25519,
    wallNs: options.wallNs ?? realWallNs,
    random: n => new Uint8Array(randomBytes(n)),
  })
}

/** Counts requests by `METHOD path` (without the query) and can be switched off like a dead network. */
export class TestNetwork {
  offline = false
  /** Sockets stop hearing the server (a link that died without a close). */
  deaf = false
  readonly requests: string[] = []
  readonly sockets: SocketLike[] = []
  /** The type of every message the sockets sent. */
  readonly sent: string[] = []

  readonly fetch: SyncIo['fetch'] = async (input, init) => {
    const url = new URL(input)
    this.requests.push(`${init?.method ?? 'GET'} ${url.pathname}`)
    if (this.offline) throw new TypeError('fetch failed (test network is offline)')
    return fetch(input, init)
  }

  /** The `ws` WebSocket, refusing to connect while offline; keeps every socket it made. */
  readonly WebSocket: SocketConstructor = (() => {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the class below reports to this network
    const network = this
    return class extends WebSocket {
      constructor(url: string) {
        super(network.offline ? 'ws://127.0.0.1:1/offline' : url)
        network.sockets.push(this as unknown as SocketLike)
      }

      override send(data: string): void {
        network.sent.push((JSON.parse(data) as { type: string }).type)
        super.send(data)
      }

      override emit(event: string | symbol, ...args: unknown[]): boolean {
        if (event === 'message' && network.deaf) return false
        return super.emit(event, ...args)
      }
    } as unknown as SocketConstructor
  })()

  count(request: string): number {
    return this.requests.filter(r => r === request).length
  }
}

/** A sync loop over `url` with fast backoff, stopped after the test. */
export function syncLoop(
  replica: Replica,
  url: string,
  options: Partial<SyncOptions> & { network?: TestNetwork; wallNs?: () => bigint } = {},
): SyncLoop {
  const network = options.network ?? new TestNetwork()
  const loop = createSync({
    replica,
    url,
    verifyBackend: nodeEd25519,
    backoff: { minMs: 20, maxMs: 200 },
    ...options,
    io: {
      fetch: network.fetch,
      WebSocket: network.WebSocket,
      wallNs: options.wallNs ?? realWallNs,
      ...options.io,
    },
  })
  loops.push(loop)
  return loop
}

/** Resolves when `check()` holds, re-checking on every replica change and status change. */
export function until(replica: Replica, check: () => boolean, loop?: SyncLoop): Promise<void> {
  return new Promise(resolve => {
    const stops: (() => void)[] = []
    const test = () => {
      if (!check()) return
      for (const stop of stops) stop()
      resolve()
    }
    stops.push(replica.onChange(test))
    if (loop) stops.push(loop.subscribe(test))
    test()
  })
}

/** Resolves with the first status that satisfies `check` (the current one included). */
export function statusUntil(loop: SyncLoop, check: (status: SyncStatus) => boolean): Promise<SyncStatus> {
  return new Promise(resolve => {
    if (check(loop.status)) return resolve(loop.status)
    const stop = loop.subscribe(status => {
      if (!check(status)) return
      stop()
      resolve(status)
    })
  })
}
