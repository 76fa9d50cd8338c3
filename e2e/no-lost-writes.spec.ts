/**
 * No lost writes (TARGETS.md, Reliability): a burst of writes is cut by a crash, of the
 * server (SIGKILL mid-push) or of the tab that was sending it (closed mid-burst).
 * Afterwards every write the app saw resolve is on the server exactly once: nothing
 * lost, and nothing sent twice under a new timestamp.
 */
import { expect, type Page, test } from '@playwright/test'
import { TestDevice } from '../server/testing/test-device.ts'
import { type RunningServer, startServer } from './support/server.ts'

type App = {
  createSpace(): Promise<string>
  openSpace(space: string): void
  put(space: string, key: string, value: Record<string, unknown>): Promise<void>
  list(space: string): Promise<{ id: string }[]>
  sync(): Promise<void>
  status(): { leader: boolean; pendingOps: number } | undefined
  errors(): unknown[]
}
declare const app: App
declare const burst: { done: string[]; finished: boolean }

const WAIT = { timeout: 30_000 }
const BURST = 400

let server: RunningServer
test.beforeEach(async () => {
  server = await startServer()
})
test.afterEach(async () => {
  await server.stop()
})

async function open(page: Page, name: string) {
  await page.goto(`/e2e/fixtures/app.html?name=${name}&server=${encodeURIComponent(server.url)}`)
  await expect(page.locator('#state')).toHaveText('ready')
}

/** Starts `count` awaited puts one after another; `burst.done` lists those that resolved. */
function startBurst(page: Page, space: string, count: number) {
  return page.evaluate(
    ([s, n]) => {
      const state = { done: [] as string[], finished: false }
      Object.assign(window, { burst: state })
      void (async () => {
        for (let i = 0; i < n; i++) {
          const key = `k${String(i).padStart(4, '0')}`
          await app.put(s, key, { i })
          state.done.push(key)
        }
        state.finished = true
      })()
    },
    [space, count] as const,
  )
}

const resolved = (page: Page) => page.evaluate(() => burst.done.slice())

/** The server's ops of `space` in the items collection: record id per op, in seq order. */
async function serverRecords(space: string): Promise<string[]> {
  const reader = await TestDevice.connect(server.url)
  const answer = await reader.pull(space, 'limit=10000')
  const ops = answer.body.ops as { op: { collection: string; record: string } }[]
  return ops.filter(e => e.op.collection === 'items').map(e => e.op.record)
}

function expectExactlyOnce(records: string[], acknowledged: string[]) {
  // Each key is written once, so it must appear in exactly one op on the server.
  expect(records.length).toBe(new Set(records).size)
  expect(records).toEqual(expect.arrayContaining(acknowledged))
}

test('the server killed with SIGKILL mid-push: every acknowledged write arrives exactly once', async ({
  page,
}) => {
  await open(page, `kill-${Date.now()}`)
  const space = await page.evaluate(() => app.createSpace())
  await page.evaluate(() => app.sync())
  await startBurst(page, space, BURST)
  await expect.poll(async () => (await resolved(page)).length, WAIT).toBeGreaterThanOrEqual(BURST / 4)
  const { port, db } = server
  await server.stop('SIGKILL')
  // Local writes go on while the server is gone: each resolves once durable in IndexedDB.
  await expect.poll(() => page.evaluate(() => burst.finished), WAIT).toBe(true)
  server = await startServer({ port, db })
  await expect.poll(() => page.evaluate(() => app.status()?.pendingOps), WAIT).toBe(0)
  const records = await serverRecords(space)
  expectExactlyOnce(records, await resolved(page))
  expect(records).toHaveLength(BURST)
  expect(await page.evaluate(() => app.errors())).toEqual([])
})

test('the sending tab closed mid-burst: the next tab leads and delivers every write exactly once', async ({
  context,
}) => {
  const name = `closed-${Date.now()}`
  const first = await context.newPage()
  await open(first, name)
  const space = await first.evaluate(() => app.createSpace())
  await first.evaluate(() => app.sync())
  const second = await context.newPage()
  await open(second, name)
  await second.evaluate(s => app.openSpace(s), space)
  await expect.poll(() => first.evaluate(() => app.status()?.leader), WAIT).toBe(true)
  expect(await second.evaluate(() => app.status()?.leader)).toBe(false)

  await startBurst(first, space, BURST)
  await expect.poll(async () => (await resolved(first)).length, WAIT).toBeGreaterThanOrEqual(BURST / 4)
  const acknowledged = await resolved(first)
  await first.close()

  await expect.poll(() => second.evaluate(() => app.status()?.leader), WAIT).toBe(true)
  await expect.poll(() => second.evaluate(() => app.status()?.pendingOps), WAIT).toBe(0)
  const records = await serverRecords(space)
  expectExactlyOnce(records, acknowledged)
  // What the surviving tab holds (every write that reached IndexedDB) is what the server has.
  const local = await second.evaluate(async s => (await app.list(s)).map(r => r.id), space)
  expect([...records].sort()).toEqual(local)
  expect(await second.evaluate(() => app.errors())).toEqual([])
})
