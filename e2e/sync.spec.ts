/**
 * Devices syncing through a real server (issue 5): two browser contexts are two
 * devices, each with its own IndexedDB; the server is the `syncline-server` command.
 */
import { expect, type Page, test } from '@playwright/test'
import { TestDevice } from '../server/testing/test-device.ts'
import { type RunningServer, startServer } from './support/server.ts'

type Row = { id: string; value: Record<string, unknown> }
type App = {
  device: string
  status(): { connected: boolean; online: boolean; pendingOps: number; progress: unknown } | undefined
  errors(): unknown[]
  createSpace(): Promise<string>
  openSpace(space: string): void
  put(space: string, key: string, value: Record<string, unknown>): Promise<void>
  update(space: string, key: string, value: Record<string, unknown>): Promise<void>
  list(space: string): Promise<Row[]>
  sync(): Promise<void>
  pause(): Promise<void>
  resume(): Promise<void>
  progress(): { done: number; total: number }[]
}
declare const app: App

let server: RunningServer
test.beforeEach(async () => {
  server = await startServer()
})
test.afterEach(async () => {
  await server.stop()
})

async function device(page: Page, name: string, url = server.url) {
  await page.goto(`/e2e/fixtures/app.html?name=${name}&server=${encodeURIComponent(url)}`)
  await expect(page.locator('#state')).toHaveText('ready')
}

const items = (page: Page, space: string) =>
  page.evaluate(async s => (await app.list(s)).map(r => [r.id, r.value]), space)

test('two devices converge through the server, live', async ({ browser }) => {
  const a = await (await browser.newContext()).newPage()
  const b = await (await browser.newContext()).newPage()
  await device(a, 'alice')
  await device(b, 'bob')
  const space = await a.evaluate(() => app.createSpace())
  await a.evaluate(s => app.put(s, 'milk', { title: 'Milk', done: false }), space)
  await b.evaluate(s => app.openSpace(s), space)
  await expect.poll(() => items(b, space)).toEqual([['milk', { title: 'Milk', done: false }]])
  await expect.poll(() => b.evaluate(() => app.status()?.connected)).toBe(true)
  await b.evaluate(s => app.update(s, 'milk', { done: true }), space)
  await a.evaluate(s => app.put(s, 'bread', { title: 'Bread' }), space)
  const both = [
    ['bread', { title: 'Bread' }],
    ['milk', { title: 'Milk', done: true }],
  ]
  await expect.poll(() => items(a, space)).toEqual(both)
  await expect.poll(() => items(b, space)).toEqual(both)
  expect(await a.evaluate(() => app.errors())).toEqual([])
})

test('a reload keeps everything, synced or not', async ({ page }) => {
  await device(page, 'reload')
  const space = await page.evaluate(() => app.createSpace())
  await page.evaluate(s => app.put(s, 'kept', { v: 1 }), space)
  await page.evaluate(() => app.sync())
  await page.evaluate(() => app.pause())
  await page.evaluate(s => app.put(s, 'offline', { v: 2 }), space)
  await page.reload()
  await expect(page.locator('#state')).toHaveText('ready')
  await page.evaluate(s => app.openSpace(s), space)
  expect(await items(page, space)).toEqual([
    ['kept', { v: 1 }],
    ['offline', { v: 2 }],
  ])
  // The write made while paused was never lost: it syncs now.
  await page.evaluate(() => app.sync())
  const reader = await TestDevice.connect(server.url)
  const pulled = await reader.pull(space)
  expect(pulled.body.ops.map((e: { op: { record: string } }) => e.op.record)).toContain('offline')
})

test('devices that could not reach the server catch up both ways when it is back', async ({ browser }) => {
  const a = await (await browser.newContext()).newPage()
  const b = await (await browser.newContext()).newPage()
  await device(a, 'a')
  await device(b, 'b')
  const space = await a.evaluate(() => app.createSpace())
  await a.evaluate(s => app.put(s, 'before', { v: 0 }), space)
  await a.evaluate(() => app.sync())
  await b.evaluate(s => app.openSpace(s), space)
  await expect.poll(() => items(b, space)).toEqual([['before', { v: 0 }]])

  const { port, db } = server
  await server.stop()
  await a.evaluate(s => app.put(s, 'from-a', { v: 1 }), space)
  await b.evaluate(s => app.put(s, 'from-b', { v: 2 }), space)
  await expect.poll(() => a.evaluate(() => app.status()?.connected)).toBe(false)
  server = await startServer({ port, db })
  const all = [
    ['before', { v: 0 }],
    ['from-a', { v: 1 }],
    ['from-b', { v: 2 }],
  ]
  await expect.poll(() => items(a, space), { timeout: 30_000 }).toEqual(all)
  await expect.poll(() => items(b, space), { timeout: 30_000 }).toEqual(all)
})

test('cold start of a large space reports progress and ends with all data', async ({ page }) => {
  const seeder = await TestDevice.connect(server.url)
  const space = `big-${Date.now()}`
  await seeder.putSchema(space, [{ name: 'items', crdt: 'lww' }])
  // More than one snapshot page (5,000 ops), so progress moves.
  const N = 12_000
  for (let start = 0; start < N; start += 1000) {
    const ops = []
    for (let i = start; i < start + 1000; i++) {
      ops.push(await seeder.op(space, 'items', `r${String(i).padStart(5, '0')}`, 'create', { n: i }))
    }
    expect((await seeder.push(ops)).status).toBe(200)
  }
  await device(page, 'cold')
  await page.evaluate(s => app.openSpace(s), space)
  await expect
    .poll(() => page.evaluate(async s => (await app.list(s)).length, space), { timeout: 30_000 })
    .toBe(N)
  const progress = await page.evaluate(() => app.progress())
  expect(progress.length).toBeGreaterThan(1)
  expect(progress.at(-1)).toEqual({ done: N, total: N })
})
