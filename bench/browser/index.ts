/**
 * Browser benchmarks (issue 5, TARGETS.md) in headless Chromium with an on-disk
 * profile: local write latency to durable, sustained durable writes, same-tab and
 * other-tab notification latency. Prints a table, writes bench/results/browser.json.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright'
import { createServer as createViteServer } from 'vite'
import { CHROMIUM_ARGS, chromiumPath } from '../../.ci/find-chromium.mjs'
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
}
declare const bench: Bench

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

async function open(name: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${base}/bench/browser/page.html?name=${name}`)
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
} finally {
  await context.close()
  await vite.close()
  rmSync(profile, { recursive: true, force: true })
}

printTable('browser (headless Chromium, on-disk profile)', rows)
console.log(`\nwrote ${writeResults('browser', rows)}`)
