/**
 * Cold start from the live snapshot with progress (ARCHITECTURE.md flows; TARGETS.md
 * compact pages): streamed in one answer, resumed from the last stored page when the
 * answer is cut, and page by page from a server that answers one page at a time.
 */
import { describe, expect, it } from 'vitest'
import type { Op } from '../../../src/core/op.ts'
import { OPPACK_TYPE } from '../../../src/core/oppack.ts'
import { OPPACK_STREAM_TYPE } from '../../../src/core/oppack-stream.ts'
import { TestDevice } from '../../../server/testing/test-device.ts'
import { startServer, TEST_SCHEMA } from '../../../server/testing/test-server.ts'
import { MemoryStore } from '../memory-oplog.ts'
import { type HashIds, idHasher, serveIdHashing, type WorkerLike } from './id-hasher.ts'
import type { FetchLike, SocketConstructor } from './io.ts'
import type { SyncEvent, SyncProgress } from './status.ts'
import { openReplica, syncLoop, TestNetwork, until } from './testing.ts'

/** A server holding `creates` records, the first `updates` of them updated once (superseding their creates). */
async function seededServer(space: string, creates: number, updates: number) {
  const server = await startServer()
  const writer = await TestDevice.connect(server.url)
  await writer.putSchema(space, TEST_SCHEMA)
  const ops: Op[] = []
  for (let i = 0; i < creates; i++) ops.push(await writer.op(space, 'items', `r${i}`, 'create', { n: 0 }))
  for (let i = 0; i < updates; i++) ops.push(await writer.op(space, 'items', `r${i}`, 'update', { n: 1 }))
  for (let i = 0; i < ops.length; i += 1000) {
    const pushed = await writer.push(ops.slice(i, i + 1000))
    expect(pushed.status).toBe(200)
  }
  return server
}

/** `res` with its body cut in the middle of frame `frame` (0-based), failing as a connection cut mid-answer does. */
async function cutInFrame(res: Response, frame: number): Promise<Response> {
  const body = new Uint8Array(await res.arrayBuffer())
  const view = new DataView(body.buffer)
  let at = 0
  for (let i = 0; i < frame; i++) at += 4 + view.getUint32(at)
  const cut = at + 4 + view.getUint32(at) / 2
  let sent = false
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return controller.error(new TypeError('terminated'))
      sent = true
      controller.enqueue(body.subarray(0, cut))
    },
  })
  return new Response(stream, { status: res.status, headers: res.headers })
}

describe('sync loop: cold start of a space', () => {
  it('reads the 10,000 live ops of 12,000 in snapshot pages, with progress, and ends with all data', async () => {
    const server = await startServer()
    const writer = await TestDevice.connect(server.url)
    const space = 'big'
    await writer.putSchema(space, TEST_SCHEMA)
    const ops: Op[] = []
    for (let i = 0; i < 10_000; i++) ops.push(await writer.op(space, 'items', `r${i}`, 'create', { n: 0 }))
    // Updates of the same field supersede 2,000 creates: the snapshot skips those.
    for (let i = 0; i < 2000; i++) ops.push(await writer.op(space, 'items', `r${i}`, 'update', { n: 1 }))
    for (let i = 0; i < ops.length; i += 1000) {
      const pushed = await writer.push(ops.slice(i, i + 1000))
      expect(pushed.status).toBe(200)
    }

    const replica = await openReplica()
    const network = new TestNetwork()
    // Ids hashed by a helper on the other end of a channel, as the browser's helper worker does.
    const { port1, port2 } = new MessageChannel()
    serveIdHashing(port2 as unknown as WorkerLike)
    const helper = idHasher(() => Object.assign(port1, { onerror: null }) as unknown as WorkerLike)
    let helped = 0
    const hashIds: HashIds = {
      start: () => helper.start(),
      async hash(page) {
        const ids = await helper.hash(page)
        if (ids !== undefined) helped++
        return ids
      },
    }
    const loop = syncLoop(replica, server.url, {
      network,
      spaces: [space],
      snapshotPageSize: 1000,
      hashIds,
      helperMinOps: 0,
    })
    const progress: SyncProgress[] = []
    const events: SyncEvent[] = []
    loop.subscribe(status => {
      if (status.progress) progress.push(status.progress)
    })
    loop.onEvent(event => events.push(event))
    await loop.sync()

    expect(progress.length).toBe(10)
    expect(progress.every(p => p.space === space && p.total === 10_000)).toBe(true)
    expect(progress.map(p => p.done)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1000))
    expect(loop.status.progress).toBeNull()
    const items = replica.list(space, 'items')
    expect(items).toHaveLength(10_000)
    expect(replica.get(space, 'items', 'r0')).toEqual({ n: 1 })
    expect(replica.get(space, 'items', 'r1999')).toEqual({ n: 1 })
    expect(replica.get(space, 'items', 'r2000')).toEqual({ n: 0 })
    expect(replica.cursor(space)).toBe(12_000)
    // The snapshot's ten pages came in one streamed answer, then one normal pull found nothing more.
    expect(network.count(`GET /v1/spaces/${space}/ops`)).toBe(2)
    expect(helped).toBeGreaterThan(0)
    port1.close()
    await loop.verified()
    expect(events).toEqual([])
    expect(replica.list(space, 'items')).toHaveLength(10_000)
  })

  it('hashes a small snapshot on its own thread and leaves the helper unstarted', async () => {
    const space = 'small'
    const server = await seededServer(space, 3000, 500)
    const replica = await openReplica()
    let starts = 0
    const hashIds: HashIds = {
      start: () => starts++,
      hash: async () => {
        throw new Error('the helper is not used for a small snapshot')
      },
    }
    const loop = syncLoop(replica, server.url, { spaces: [space], snapshotPageSize: 1000, hashIds })
    await loop.sync()
    expect(replica.list(space, 'items')).toHaveLength(3000)
    expect(starts).toBe(0)
  })

  it('resumes a cut stream from the last stored page, without loss or duplicates', async () => {
    const space = 'cut'
    const server = await seededServer(space, 3000, 500)
    const store = new MemoryStore()
    const replica = await openReplica({ store })
    const network = new TestNetwork()
    const streams: { after: number; durable: number }[] = []
    const fetch: FetchLike = async (input, init) => {
      const url = new URL(input)
      const accept = new Headers(init?.headers).get('accept') ?? ''
      if (!url.pathname.endsWith('/ops') || !accept.includes(OPPACK_STREAM_TYPE))
        return network.fetch(input, init)
      // What a replica opened from the same store now would start from: the durable cursor.
      const durable = (await openReplica({ store })).cursor(space)
      streams.push({ after: Number(url.searchParams.get('after')), durable })
      const res = await network.fetch(input, init)
      // The first answer is cut in the middle of its third page.
      return streams.length === 1 ? cutInFrame(res, 2) : res
    }
    const loop = syncLoop(replica, server.url, {
      network,
      spaces: [space],
      snapshotPageSize: 500,
      io: { fetch },
    })
    const progress: SyncProgress[] = []
    loop.subscribe(status => {
      if (status.progress) progress.push(status.progress)
    })
    await loop.sync()

    expect(streams.length).toBe(2)
    expect(streams[0]).toEqual({ after: 0, durable: 0 })
    // Two whole pages (the live ops of seqs 501 to 1500) were stored before the cut; the
    // second answer starts after them.
    expect(streams[1]).toEqual({ after: 1500, durable: 1500 })
    expect(progress.map(p => p.done)).toEqual([500, 1000, 1500, 2000, 2500, 3000])
    expect(progress.every(p => p.total === 3000)).toBe(true)
    expect(replica.list(space, 'items')).toHaveLength(3000)
    expect(replica.get(space, 'items', 'r0')).toEqual({ n: 1 })
    expect(replica.get(space, 'items', 'r2999')).toEqual({ n: 0 })
    expect(replica.cursor(space)).toBe(3500)
    expect((await openReplica({ store })).cursor(space)).toBe(3500)
  })

  it('reads a snapshot page by page from a server that answers one page at a time', async () => {
    const space = 'paged'
    const server = await seededServer(space, 3000, 500)
    const replica = await openReplica()
    const network = new TestNetwork()
    // A server without streams: the engine's Accept reaches it without the stream type.
    const fetch: FetchLike = (input, init) => {
      const headers = new Headers(init?.headers)
      if (headers.get('accept')?.includes(OPPACK_STREAM_TYPE)) headers.set('accept', OPPACK_TYPE)
      return network.fetch(input, { ...init, headers })
    }
    const loop = syncLoop(replica, server.url, {
      network,
      spaces: [space],
      snapshotPageSize: 1000,
      io: { fetch },
    })
    const progress: SyncProgress[] = []
    loop.subscribe(status => {
      if (status.progress) progress.push(status.progress)
    })
    await loop.sync()

    expect(progress.map(p => p.done)).toEqual([1000, 2000, 3000])
    expect(replica.list(space, 'items')).toHaveLength(3000)
    expect(replica.cursor(space)).toBe(3500)
    // Three snapshot pages, then one normal pull found nothing more.
    expect(network.count(`GET /v1/spaces/${space}/ops`)).toBe(4)
  })

  it('reads a space opened while the live socket connects as its snapshot, not by reconciling it', async () => {
    const space = 'late'
    const server = await seededServer(space, 2000, 0)
    const replica = await openReplica()
    const network = new TestNetwork()
    let created!: () => void
    const socketMade = new Promise<void>(resolve => (created = resolve))
    let open!: () => void
    const opening = new Promise<void>(resolve => (open = resolve))
    // The socket opens only when the test says so: the space is opened in between.
    const Base = network.WebSocket as unknown as new (url: string) => {
      emit(event: string, ...args: unknown[]): boolean
    }
    class Gated extends Base {
      constructor(url: string) {
        super(url)
        created()
      }
      override emit(event: string, ...args: unknown[]): boolean {
        if (event !== 'open') return super.emit(event, ...args)
        void opening.then(() => super.emit(event, ...args))
        return true
      }
    }
    const loop = syncLoop(replica, server.url, {
      network,
      snapshotPageSize: 500,
      io: { WebSocket: Gated as unknown as SocketConstructor },
    })
    const progress: number[] = []
    loop.subscribe(status => {
      if (status.progress) progress.push(status.progress.done)
    })
    loop.start()
    await socketMade
    loop.addSpace(space)
    open()
    await until(replica, () => progress.at(-1) === 2000 && loop.status.connected, loop)

    expect(progress).toEqual([500, 1000, 1500, 2000])
    expect(replica.list(space, 'items')).toHaveLength(2000)
    expect(network.count(`POST /v1/spaces/${space}/reconcile`)).toBe(0)
    expect(network.count(`POST /v1/spaces/${space}/fetch`)).toBe(0)
  })
})
