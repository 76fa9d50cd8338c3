/**
 * Tabs of one replica (ARCHITECTURE.md, multi-tab): they share IndexedDB, see each
 * other's writes live, and exactly one of them leads; when it closes another takes over.
 */
import { expect, type Page, test } from '@playwright/test'
import { startProxy } from './support/proxy.ts'
import { startServer } from './support/server.ts'

type App = {
  device: string
  status(): { leader: boolean; connected: boolean; pendingOps: number } | undefined
  createSpace(): Promise<string>
  put(space: string, key: string, value: Record<string, unknown>): Promise<void>
  watch(space: string): void
  rows(space: string): { id: string; value: Record<string, unknown> }[] | undefined
}
declare const app: App

async function openTab(page: Page, name: string, server?: string) {
  const query = server ? `&server=${encodeURIComponent(server)}` : ''
  await page.goto(`/e2e/fixtures/app.html?name=${name}${query}`)
  await expect(page.locator('#state')).toHaveText('ready')
}

const leaders = (pages: Page[]) =>
  Promise.all(pages.map(p => p.evaluate(() => app.status()?.leader ?? false)))

test('three tabs see each other’s writes and exactly one leads', async ({ context }) => {
  const name = `tabs-${Date.now()}`
  const pages = [await context.newPage(), await context.newPage(), await context.newPage()]
  for (const page of pages) await openTab(page, name)
  const devices = await Promise.all(pages.map(p => p.evaluate(() => app.device)))
  expect(new Set(devices).size).toBe(1)

  const space = await pages[0]!.evaluate(() => app.createSpace())
  for (const page of pages) await page.evaluate(s => app.watch(s), space)
  await pages[0]!.evaluate(s => app.put(s, 'from-1', { tab: 1 }), space)
  await pages[1]!.evaluate(s => app.put(s, 'from-2', { tab: 2 }), space)
  await pages[2]!.evaluate(s => app.put(s, 'from-3', { tab: 3 }), space)
  for (const page of pages) {
    await expect
      .poll(() => page.evaluate(s => app.rows(s)?.map(r => r.id), space))
      .toEqual(['from-1', 'from-2', 'from-3'])
  }
  await expect.poll(() => leaders(pages).then(l => l.filter(Boolean).length)).toBe(1)
})

test('when the leader tab closes, another takes over', async ({ context }) => {
  const name = `takeover-${Date.now()}`
  const pages = [await context.newPage(), await context.newPage()]
  for (const page of pages) await openTab(page, name)
  await expect.poll(() => leaders(pages).then(l => l.filter(Boolean).length)).toBe(1)
  const [first] = await leaders(pages)
  const leader = first ? pages[0]! : pages[1]!
  const follower = first ? pages[1]! : pages[0]!
  await leader.close()
  await expect.poll(() => follower.evaluate(() => app.status()?.leader), { timeout: 1000 }).toBe(true)
})

test('with three tabs of one device, only the leader talks to the server', async ({ context }) => {
  const server = await startServer()
  const proxy = await startProxy(server.url)
  try {
    const name = `talk-${Date.now()}`
    const pages = [await context.newPage(), await context.newPage(), await context.newPage()]
    for (const page of pages) await openTab(page, name, proxy.url)
    const space = await pages[0]!.evaluate(() => app.createSpace())
    for (const [i, page] of pages.entries())
      await page.evaluate(([s, n]) => app.put(s, `from-${n}`, { n }), [space, i] as const)
    for (const page of pages) {
      await expect
        .poll(() => page.evaluate(() => app.status()?.connected === true && app.status()?.pendingOps === 0))
        .toBe(true)
    }
    expect((await leaders(pages)).filter(Boolean)).toHaveLength(1)
    // Every tab's writes reached the server through one session and one live socket.
    expect(proxy.requests.filter(r => r === 'POST /v1/session')).toHaveLength(1)
    expect(proxy.liveOpened).toBe(1)
  } finally {
    await proxy.close()
    await server.stop()
  }
})
