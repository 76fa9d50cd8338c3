/**
 * The service worker outbox (issue 6) in real Chromium: pushes made offline are
 * queued in the service worker and replayed in hlc order on Background Sync, `online`,
 * a page load or a message, with every tab closed too. Each scenario also runs with
 * `serviceWorker: false` (the engine retries by itself) and must reach the same end
 * state. The server sits behind a recording proxy (support/proxy.ts) so a test can see
 * every push and cut one off.
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test'
import { type Proxy, startProxy } from './support/proxy.ts'
import { type RunningServer, startServer } from './support/server.ts'

type App = {
  status(): { outboxOps: number; pendingOps: number } | undefined
  errors(): unknown[]
  createSpace(): Promise<string>
  put(space: string, key: string, value: Record<string, unknown>): Promise<void>
  sync(): Promise<void>
  controlledAtStart: boolean
  controlled(): Promise<boolean>
}
declare const app: App

let server: RunningServer
let proxy: Proxy
test.beforeEach(async () => {
  server = await startServer()
  proxy = await startProxy(server.url)
})
test.afterEach(async () => {
  await proxy.close()
  await server.stop()
})

/** How long a wait may take before the test fails (waits, not timed assertions). */
const WAIT = { timeout: 45_000 }
const SW = '/syncline-sw.js'

async function openApp(context: BrowserContext, name: string, sw: string | false) {
  const page = await context.newPage()
  const query = `name=${name}&server=${encodeURIComponent(proxy.url)}${sw ? `&sw=${encodeURIComponent(sw)}` : ''}`
  await page.goto(`/e2e/fixtures/app.html?${query}`)
  await expect(page.locator('#state')).toHaveText('ready')
  if (sw && !(await page.evaluate(() => app.controlledAtStart))) {
    // First load: the engine worker may have started before the service worker took
    // control, and then its requests bypass it. The next load is controlled throughout.
    await page.evaluate(() => app.controlled())
    await page.reload()
    await expect(page.locator('#state')).toHaveText('ready')
  }
  return page
}

/** The network goes down: new requests fail, and the open live sockets are cut. */
async function goOffline(context: BrowserContext) {
  await context.setOffline(true)
  proxy.dropLive()
}

async function write(page: Page, space: string, keys: string[]) {
  await page.evaluate(([s, ks]) => Promise.all((ks as string[]).map(k => app.put(s as string, k, { k }))), [
    space,
    keys,
  ] as const)
}

const keys = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`)

/** Waits until the server holds these records, then checks: each op once, in hlc order. */
async function expectDelivered(space: string, records: string[]) {
  await expect
    .poll(async () => {
      const held = new Set((await proxy.stream(space)).map(e => e.op.record))
      return records.filter(r => !held.has(r)).length
    }, WAIT)
    .toBe(0)
  const stream = await proxy.stream(space)
  const ids = stream.map(e => e.op.id)
  expect(new Set(ids).size).toBe(ids.length)
  expect(
    stream
      .map(e => e.op.record)
      .filter(r => records.includes(r))
      .sort(),
  ).toEqual([...records].sort())
  // Sequence order (arrival) is hlc order.
  const hlcs = stream.map(e => e.op.hlc)
  expect(hlcs).toEqual([...hlcs].sort())
  // Every push the server answered accepted each op at most once.
  const accepted = proxy.pushes.flatMap(p => p.results ?? []).filter(r => r.status === 'accepted')
  expect(new Set(accepted.map(r => r.id)).size).toBe(accepted.length)
}

/** A space the server already has (created and synced online). */
async function onlineSpace(page: Page) {
  const space = await page.evaluate(() => app.createSpace())
  await page.evaluate(() => app.sync())
  return space
}

for (const sw of [SW, false] as const) {
  const mode = sw ? 'service worker' : 'serviceWorker: false'

  test(`${mode}: offline writes, every tab closed, network back: the server has them once, in hlc order`, async ({
    context,
  }) => {
    const name = `closed-${Date.now()}`
    const page = await openApp(context, name, sw)
    const space = await onlineSpace(page)
    await goOffline(context)
    const written = keys('k', 20)
    await write(page, space, written)
    if (sw) await expect.poll(() => page.evaluate(() => app.status()?.outboxOps), WAIT).toBe(written.length)
    await page.close()
    const pushesBefore = proxy.pushes.length
    await context.setOffline(false)
    if (sw) {
      // Background Sync delivers with no page open.
      await expectDelivered(space, written)
      expect(context.pages()).toEqual([])
      expect(proxy.pushes.length).toBeGreaterThan(pushesBefore)
    } else {
      // Nothing is delivered without a page: the next page load does it.
      const again = await openApp(context, name, sw)
      await expectDelivered(space, written)
      await expect.poll(() => again.evaluate(() => app.status()?.pendingOps), WAIT).toBe(0)
    }
  })

  test(`${mode}: writes of two tabs while offline are replayed interleaved in hlc order`, async ({
    context,
  }) => {
    const name = `tabs-${Date.now()}`
    const [a, b] = [await openApp(context, name, sw), await openApp(context, name, sw)]
    const space = await onlineSpace(a!)
    await goOffline(context)
    const written: string[] = []
    for (let i = 0; i < 6; i++) {
      const page = i % 2 ? b! : a!
      const batch = keys(`t${i}-`, 3)
      await write(page, space, batch)
      written.push(...batch)
    }
    if (sw) await expect.poll(() => a!.evaluate(() => app.status()?.outboxOps), WAIT).toBe(written.length)
    await context.setOffline(false)
    await expectDelivered(space, written)
    await expect.poll(() => a!.evaluate(() => app.status()?.outboxOps), WAIT).toBe(0)
  })

  test(`${mode}: server stopped (network up), writes wait, server restarted: all delivered once`, async ({
    context,
  }) => {
    const name = `stopped-${Date.now()}`
    const page = await openApp(context, name, sw)
    const space = await onlineSpace(page)
    await server.stop()
    proxy.dropLive()
    const written = keys('s', 10)
    await write(page, space, written)
    if (sw) await expect.poll(() => page.evaluate(() => app.status()?.outboxOps), WAIT).toBe(written.length)
    server = await startServer({ port: server.port, db: server.db })
    await expectDelivered(space, written)
    await expect.poll(() => page.evaluate(() => app.status()?.pendingOps), WAIT).toBe(0)
    await expect.poll(() => page.evaluate(() => app.status()?.outboxOps), WAIT).toBe(0)
  })

  test(`${mode}: a replay cut off halfway (offline mid-replay) resumes, each op accepted once`, async ({
    context,
  }) => {
    const name = `cut-${Date.now()}`
    const page = await openApp(context, name, sw)
    const space = await onlineSpace(page)
    await goOffline(context)
    const written = keys('c', 1500)
    await write(page, space, written)
    if (sw) await expect.poll(() => page.evaluate(() => app.status()?.outboxOps), WAIT).toBe(written.length)
    // Back online: the first push of the replay goes through, the second is cut off
    // by the network going down again.
    const from = proxy.pushes.length
    let dropped = false
    proxy.onPush = async (_push, index) => {
      if (dropped || index === from) return 'forward'
      dropped = true
      await goOffline(context)
      return 'drop'
    }
    await context.setOffline(false)
    await expect.poll(() => dropped, WAIT).toBe(true)
    const firstBatch = proxy.pushes[from]!
    await expect.poll(() => firstBatch.results?.length, WAIT).toBe(firstBatch.ids.length)
    const held = new Set((await proxy.stream(space)).map(e => e.op.record))
    expect(written.filter(k => held.has(k)).length).toBeLessThan(written.length)
    await context.setOffline(false)
    await expectDelivered(space, written)
  })

  test(`${mode}: a new service worker version mid-queue loses and duplicates nothing`, async ({
    context,
  }) => {
    const name = `update-${Date.now()}`
    const page = await openApp(context, name, sw)
    const space = await onlineSpace(page)
    // The server goes away (so nothing drains), while the network stays up for the update.
    await server.stop()
    proxy.dropLive()
    const before = keys('u', 8)
    await write(page, space, before)
    if (sw) await expect.poll(() => page.evaluate(() => app.status()?.outboxOps), WAIT).toBe(before.length)
    // The app ships a new version of the service worker (a second tab loads it): it
    // takes over every page and the queue the old version left.
    const updated = await openApp(context, name, sw && `${SW}?v=2`)
    if (sw) {
      for (const p of [page, updated]) {
        await expect
          .poll(() => p.evaluate(() => navigator.serviceWorker.controller?.scriptURL), WAIT)
          .toContain('?v=2')
      }
    }
    const after = keys('v', 4)
    await write(updated, space, after)
    if (sw) {
      await expect
        .poll(() => page.evaluate(() => app.status()?.outboxOps), WAIT)
        .toBe(before.length + after.length)
    }
    server = await startServer({ port: server.port, db: server.db })
    await expectDelivered(space, [...before, ...after])
    await expect.poll(() => page.evaluate(() => app.status()?.pendingOps), WAIT).toBe(0)
    expect(await page.evaluate(() => app.errors())).toEqual([])
  })
}
