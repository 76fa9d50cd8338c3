/**
 * Browser benchmarks (issue 5, TARGETS.md) in headless Chromium with an on-disk
 * profile: local write latency to durable, sustained durable writes, same-tab and
 * other-tab notification latency. Prints a table, writes bench/results/browser.json.
 */
import diagnostics from 'node:diagnostics_channel'
import { mkdtempSync, rmSync } from 'node:fs'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright'
import { createServer as createViteServer } from 'vite'
import { CHROMIUM_ARGS, chromiumPath } from '../../.ci/find-chromium.mjs'
import { createServer, sqliteStore } from '../../server/index.ts'
import { TestDevice } from '../../server/testing/test-device.ts'
import { median, percentile, printTable, type Row, writeResults } from '../lib/report.ts'

interface Bench {
  createSpace(): Promise<string>
  writeLatency(space: string, count: number): Promise<number[]>
  burst(space: string, count: number): Promise<number>
  sequential(space: string, count: number): Promise<number>
  sameTabNotify(space: string, count: number): Promise<number[]>
  stampedWrites(space: string, count: number, gapMs: number): Promise<void>
  startWatch(space: string): void
  watched(): number[]
  coldStart(
    space: string,
    count: number,
  ): Promise<{ ms: number; shownMs: number; firstProgressMs: number | null }>
  reopen(space: string, count: number): Promise<number>
  connected(): Promise<void>
  synced(): Promise<void>
  openSpace(space: string): void
}
declare const bench: Bench

/** Sockets of HTTP requests served in this process (the sync server's and Vite's), by local port. */
const httpSockets = new Map<Socket, number | undefined>()
diagnostics.subscribe('http.server.request.start', message => {
  const { socket } = message as { socket: Socket }
  // Read now: a closed socket no longer knows its port.
  if (!httpSockets.has(socket)) httpSockets.set(socket, socket.localPort)
})
/** Bytes the server on `port` has written to its HTTP clients: what they received. */
const bytesServed = (port: number) =>
  [...httpSockets].reduce((sum, [s, p]) => sum + (p === port ? s.bytesWritten : 0), 0)

const vite = await createViteServer({ server: { port: 0, host: '127.0.0.1' }, logLevel: 'error' })
await vite.listen()
const address = vite.httpServer!.address()
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
const profile = mkdtempSync(join(tmpdir(), 'syncline-bench-profile-'))
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath(),
  args: CHROMIUM_ARGS,
  headless: true,
})

async function open(name: string, server?: string): Promise<Page> {
  const page = await context.newPage()
  const query = server ? `&server=${encodeURIComponent(server)}` : ''
  await page.goto(`${base}/bench/browser/page.html?name=${name}${query}`)
  await page.locator('#state').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 })
  return page
}

const rows: Row[] = []
const ms = (v: number) => Math.round(v * 1000) / 1000
try {
  const name = `bench-${Date.now()}`
  const a = await open(name)
  const space = await a.evaluate(() => bench.createSpace())

  await a.evaluate(s => bench.writeLatency(s, 50), space) // warm-up
  const latency = await a.evaluate(s => bench.writeLatency(s, 500), space)
  rows.push({
    what: 'local write, put -> durable',
    p50: ms(median(latency)),
    p99: ms(percentile(latency, 99)),
    unit: 'ms',
    target: 'p50 <= 1, p99 <= 3',
  })

  const bursts: number[] = []
  for (let r = 0; r < 3; r++) bursts.push(await a.evaluate(s => bench.burst(s, 10_000), space))
  rows.push({
    what: '10k writes back to back, all durable',
    p50: Math.round(median(bursts)),
    p99: null,
    unit: 'writes/s',
    target: '>= 10,000',
  })

  const sequential = await a.evaluate(s => bench.sequential(s, 1000), space)
  rows.push({
    what: 'writes awaited one by one',
    p50: Math.round(sequential),
    p99: null,
    unit: 'writes/s',
    target: '>= 1,000',
  })

  const same = await a.evaluate(s => bench.sameTabNotify(s, 300), space)
  rows.push({
    what: 'same-tab subscriber notified after a write',
    p50: ms(median(same)),
    p99: ms(percentile(same, 99)),
    unit: 'ms',
    target: 'p50 <= 2',
  })

  const b = await open(name)
  await b.evaluate(s => bench.startWatch(s), space)
  await a.evaluate(s => bench.stampedWrites(s, 300, 5), space)
  await b.waitForTimeout(200)
  const other = await b.evaluate(() => bench.watched())
  rows.push({
    what: `other-tab subscriber notified (${other.length} seen)`,
    p50: ms(median(other)),
    p99: ms(percentile(other, 99)),
    unit: 'ms',
    target: 'p50 <= 3',
  })

  // Through a real server (SQLite, on loopback): device A -> device B, and cold starts.
  const sync = await createServer({ store: sqliteStore(join(profile, 'server.db')), port: 0, log: 'error' })
  try {
    const aliceName = `alice-${Date.now()}`
    const alice = await open(aliceName, sync.url)
    const bob = await open(`bob-${Date.now()}`, sync.url)
    const shared = await alice.evaluate(() => bench.createSpace())
    await alice.evaluate(s => bench.stampedWrites(s, 1, 0), shared)
    await bob.evaluate(s => bench.openSpace(s), shared)
    await bob.evaluate(() => bench.connected())
    await bob.evaluate(s => bench.startWatch(s), shared)
    await alice.evaluate(() => bench.connected())
    await alice.evaluate(s => bench.stampedWrites(s, 300, 10), shared)
    await bob.waitForTimeout(500)
    const ab = (await bob.evaluate(() => bench.watched())).slice(1)
    rows.push({
      what: `device A -> device B via server (${ab.length} seen)`,
      p50: ms(median(ab)),
      p99: ms(percentile(ab, 99)),
      unit: 'ms',
      target: 'p50 <= 2, p99 <= 8',
    })

    // The same burst with the server connected: the writes are pushed as they commit.
    const own = await alice.evaluate(() => bench.createSpace())
    await alice.evaluate(s => bench.stampedWrites(s, 1, 0), own)
    const online: number[] = []
    for (let r = 0; r < 3; r++) {
      online.push(await alice.evaluate(s => bench.burst(s, 10_000), own))
      // The writes are durable here but still on their way: let them land before the next row.
      await alice.evaluate(() => bench.synced())
    }
    rows.push({
      what: '10k writes back to back, all durable, connected to the server',
      p50: Math.round(median(online)),
      p99: null,
      unit: 'writes/s',
      target: '>= 10,000',
    })

    const seeder = await TestDevice.connect(sync.url)
    // 1,000,000 records take minutes to sign and push: only with BENCH_COLD_1M=1.
    const sizes = process.env.BENCH_COLD_1M === '1' ? [10_000, 100_000, 1_000_000] : [10_000, 100_000]
    for (const n of sizes) {
      const space = `cold-${n}-${Date.now()}`
      await seeder.putSchema(space, [{ name: 'items', crdt: 'lww' }])
      for (let start = 0; start < n; start += 1000) {
        const ops = await Promise.all(
          Array.from({ length: 1000 }, (_, i) =>
            seeder.op(space, 'items', `r${String(start + i).padStart(6, '0')}`, 'create', {
              title: `item ${start + i}`,
              done: false,
            }),
          ),
        )
        const pushed = await seeder.push(ops)
        if (pushed.status !== 200)
          throw new Error(`seeding failed: ${JSON.stringify(pushed.body).slice(0, 200)}`)
      }
      const readerName = `cold-${n}-${Date.now()}`
      const reader = await open(readerName, sync.url)
      const served = bytesServed(sync.port)
      const result = await reader.evaluate(
        ([s, count]) => bench.coldStart(s as string, count as number),
        [space, n],
      )
      const received = bytesServed(sync.port) - served
      rows.push({
        what: `cold start ${n.toLocaleString('en-US')} records -> all shown (${ms(result.shownMs / 1000)} s) and persisted (progress after ${Math.round(result.firstProgressMs ?? 0)} ms)`,
        p50: ms(result.ms / 1000),
        p99: null,
        unit: 's',
        target: n === 10_000 ? '<= 0.3' : n === 100_000 ? '<= 1.5' : '<= 8',
      })
      rows.push({
        what: `bytes received for that cold start (HTTP, headers included)`,
        p50: Math.round((received / 1e6) * 100) / 100,
        p99: null,
        unit: 'MB',
        target: n === 100_000 ? '<= 9' : '',
      })
      await reader.close()
      // The same replica opened again (no server: the stored records alone).
      const again = await open(readerName)
      const reopenMs = await again.evaluate(
        ([s, count]) => bench.reopen(s as string, count as number),
        [space, n],
      )
      rows.push({
        what: `reopen with ${n.toLocaleString('en-US')} records stored -> all shown (from createClient)`,
        p50: ms(reopenMs / 1000),
        p99: null,
        unit: 's',
        target: '',
      })
      await again.close()
    }
  } finally {
    await sync.close()
  }
} finally {
  await context.close()
  await vite.close()
  rmSync(profile, { recursive: true, force: true })
}

printTable('browser (headless Chromium, on-disk profile)', rows)
console.log(`\nwrote ${writeResults('browser', rows)}`)
