/**
 * The browser side of bench/browser: measurements that run inside a page, driven by
 * index.ts through `window.bench`. Times are from `performance.now()`; cross-tab
 * latency uses `performance.timeOrigin + now()`, the same clock in every tab.
 */
import { createClient } from '../../src/client/index.ts'

const params = new URLSearchParams(location.search)
const clientStart = performance.now()
const client = await createClient({
  name: params.get('name') ?? 'bench',
  server: params.get('server') ?? undefined,
  schema: { items: { crdt: 'lww' } },
})
const wallNow = () => performance.timeOrigin + performance.now()

const bench = {
  device: client.device.id,
  createSpace: async () => (await client.createSpace()).id,

  /** Latency of `put` until it resolves (durable), awaited one by one. */
  async writeLatency(space: string, count: number) {
    const items = client.space(space).collection('items')
    const times: number[] = []
    for (let i = 0; i < count; i++) {
      const start = performance.now()
      await items.put(`lat-${i}`, { title: `item ${i}`, done: false })
      times.push(performance.now() - start)
    }
    return times
  },

  /** Writes issued back to back, all durable: writes per second. */
  async burst(space: string, count: number) {
    const items = client.space(space).collection('items')
    const start = performance.now()
    await Promise.all(
      Array.from({ length: count }, (_, i) => items.put(`burst-${i}`, { title: `item ${i}` })),
    )
    return count / ((performance.now() - start) / 1000)
  },

  /** Writes awaited one by one: writes per second. */
  async sequential(space: string, count: number) {
    const items = client.space(space).collection('items')
    const start = performance.now()
    for (let i = 0; i < count; i++) await items.put(`seq-${i}`, { title: `item ${i}` })
    return count / ((performance.now() - start) / 1000)
  },

  /** Same tab: from calling `update` to the subscriber seeing the change. */
  async sameTabNotify(space: string, count: number) {
    const items = client.space(space).collection<{ n: number }>('items')
    const times: number[] = []
    let resolveSeen: (() => void) | undefined
    let want = -1
    const stop = items.subscribe(
      rows => {
        if (rows.some(r => r.value.n === want)) resolveSeen?.()
      },
      { prefix: 'notify' },
    )
    for (let i = 0; i < count; i++) {
      want = i
      const seen = new Promise<void>(resolve => (resolveSeen = resolve))
      const start = performance.now()
      void items.update('notify', { n: i })
      await seen
      times.push(performance.now() - start)
    }
    stop()
    return times
  },

  /** Cold start: opens a space the server has and waits until all `count` records are here. */
  /**
   * Cold start of `space`: ms until `count` records are shown, and until they are also
   * persisted (the snapshot's progress cleared: every page stored with its cursor).
   */
  async coldStart(space: string, count: number) {
    const start = performance.now()
    let firstProgressAt: number | undefined
    let shownAt: number | undefined
    let persistedAt: number | undefined
    await new Promise<void>(resolve => {
      const done = () => {
        if (shownAt === undefined || persistedAt === undefined) return
        queueMicrotask(() => {
          stopStatus()
          stopRows()
        })
        resolve()
      }
      const stopStatus = client.status.subscribe(s => {
        if (s.progress && firstProgressAt === undefined) firstProgressAt = performance.now() - start
        if (!s.progress && firstProgressAt !== undefined && persistedAt === undefined) {
          persistedAt = performance.now() - start
          done()
        }
      })
      const stopRows = client
        .space(space)
        .collection('items')
        .subscribe(rows => {
          if (rows.length >= count && shownAt === undefined) {
            shownAt = performance.now() - start
            done()
          }
        })
    })
    return {
      ms: Math.max(shownAt!, persistedAt!),
      shownMs: shownAt!,
      firstProgressMs: firstProgressAt ?? null,
    }
  },

  /** A replica opened with `count` records stored: ms from `createClient` until they are shown. */
  async reopen(space: string, count: number) {
    await new Promise<void>(resolve => {
      const stop = client
        .space(space)
        .collection('items')
        .subscribe(rows => {
          if (rows.length >= count) {
            queueMicrotask(() => stop())
            resolve()
          }
        })
    })
    return performance.now() - clientStart
  },

  /** Resolves when everything written here is on the server and pulled back. */
  synced: () => client.sync(),

  /** Waits until this replica is connected live to the server. */
  async connected() {
    await new Promise<void>(resolve => {
      const stop = client.status.subscribe(s => {
        if (s.connected) {
          queueMicrotask(() => stop())
          resolve()
        }
      })
    })
  },

  openSpace(space: string) {
    client.space(space)
  },

  /** Other tab, writer side: writes `count` updates, each stamped with the wall time. */
  async stampedWrites(space: string, count: number, gapMs: number) {
    const items = client.space(space).collection('items')
    for (let i = 0; i < count; i++) {
      await items.update('stamp', { i, at: wallNow() })
      await new Promise(resolve => setTimeout(resolve, gapMs))
    }
  },

  /** Other tab, reader side: records the delay of each stamped update it sees. */
  watchStamps(space: string) {
    const delays: number[] = []
    const seen = new Set<number>()
    client
      .space(space)
      .collection<{ i: number; at: number }>('items')
      .subscribe(
        rows => {
          const row = rows.find(r => r.id === 'stamp')
          if (row && !seen.has(row.value.i)) {
            seen.add(row.value.i)
            delays.push(wallNow() - row.value.at)
          }
        },
        { prefix: 'stamp' },
      )
    return { delays: () => delays }
  },
}

let watcher: { delays(): number[] } | undefined
Object.assign(window, {
  bench: {
    ...bench,
    startWatch: (space: string) => {
      watcher = bench.watchStamps(space)
    },
    watched: () => watcher?.delays() ?? [],
  },
})
document.getElementById('state')!.textContent = 'ready'
