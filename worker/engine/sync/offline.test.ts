/** Offline writes and catching up (ARCHITECTURE.md: reconnect; PROTOCOL.md §7: nothing lost across drops). */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../../../server/store/sqlite-store.ts'
import { startServer } from '../../../server/testing/test-server.ts'
import { openReplica, statusUntil, syncLoop, TestNetwork, until } from './testing.ts'

const dir = mkdtempSync(join(tmpdir(), 'syncline-sync-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('sync loop: a replica offline catches up both ways when the server is back', () => {
  it('server stopped: both replicas write, reconnect with backoff, and converge', async () => {
    const file = join(dir, 'offline.db')
    const first = await startServer({ store: sqliteStore(file) })
    const a = await openReplica()
    const b = await openReplica()
    const space = await a.createSpace()
    await a.write(space, 'items', 'before', 'create', { v: 0 })
    const loopA = syncLoop(a, first.url)
    const loopB = syncLoop(b, first.url, { spaces: [space] })
    loopA.start()
    await statusUntil(loopA, s => s.connected && s.pendingOps === 0)
    loopB.start()
    await statusUntil(loopB, s => s.connected)
    await until(b, () => b.get(space, 'items', 'before') !== undefined)

    await first.close()
    await statusUntil(loopA, s => !s.online && !s.connected)
    await statusUntil(loopB, s => !s.online && !s.connected)
    await a.write(space, 'items', 'from-a', 'create', { v: 1 })
    await b.write(space, 'items', 'from-b', 'create', { v: 2 })
    await b.write(space, 'items', 'before', 'update', { v: 3 })
    expect(loopA.status.pendingOps).toBe(1)
    expect(loopB.status.pendingOps).toBe(2)

    await startServer({ store: sqliteStore(file), port: first.port })
    const complete = (r: typeof a) => () =>
      r.get(space, 'items', 'from-a')?.v === 1 &&
      r.get(space, 'items', 'from-b')?.v === 2 &&
      r.get(space, 'items', 'before')?.v === 3
    await Promise.all([until(a, complete(a)), until(b, complete(b))])
    await statusUntil(loopA, s => s.connected && s.online && s.pendingOps === 0)
    await statusUntil(loopB, s => s.connected && s.online && s.pendingOps === 0)
    expect(a.list(space, 'items')).toEqual(b.list(space, 'items'))
  })

  it('fetch failing: sync() rejects with unavailable, then catches up both ways', async () => {
    const server = await startServer()
    const a = await openReplica()
    const b = await openReplica()
    const network = new TestNetwork()
    const loopA = syncLoop(a, server.url, { network })
    const loopB = syncLoop(b, server.url)
    const space = await a.createSpace()
    await loopA.sync()
    loopB.addSpace(space)
    await loopB.sync()

    network.offline = true
    await a.write(space, 'items', 'offline', 'create', { v: 1 })
    await expect(loopA.sync({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'unavailable' })
    expect(loopA.status).toMatchObject({ online: false, pendingOps: 1 })
    expect(loopA.status.error?.code).toBe('unavailable')
    await b.write(space, 'items', 'online', 'create', { v: 2 })
    await loopB.sync()

    network.offline = false
    await loopA.sync()
    await loopB.sync()
    for (const r of [a, b]) {
      expect(r.list(space, 'items')).toEqual([
        ['offline', { v: 1 }],
        ['online', { v: 2 }],
      ])
    }
    expect(loopA.status).toMatchObject({ online: true, pendingOps: 0, error: null })
  })
})
