/** The live socket (PROTOCOL.md §7): ops without polling, drops, missed pongs, resuming from cursors. */
import { describe, expect, it } from 'vitest'
import { startServer } from '../../../server/testing/test-server.ts'
import { openReplica, statusUntil, syncLoop, TestNetwork, until } from './testing.ts'

async function twoConnected(options: { pingIntervalMs?: number } = {}) {
  const server = await startServer()
  const a = await openReplica()
  const b = await openReplica()
  const space = await a.createSpace()
  const netB = new TestNetwork()
  const loopA = syncLoop(a, server.url)
  const loopB = syncLoop(b, server.url, { network: netB, spaces: [space], ...options })
  loopA.start()
  await statusUntil(loopA, s => s.connected && s.pendingOps === 0)
  loopB.start()
  await statusUntil(loopB, s => s.connected)
  await until(b, () => b.get(space, '_members', a.device) !== undefined)
  return { server, a, b, space, netB, loopA, loopB }
}

describe('sync loop: live ops', () => {
  it('a live op reaches the other replica without polling', async () => {
    const { a, b, space, netB } = await twoConnected()
    const pulls = () => netB.count(`GET /v1/spaces/${space}/ops`)
    const before = pulls()
    await a.write(space, 'items', 'live', 'create', { v: 1 })
    await until(b, () => b.get(space, 'items', 'live') !== undefined)
    expect(b.get(space, 'items', 'live')).toEqual({ v: 1 })
    expect(pulls()).toBe(before)
    expect(netB.sockets).toHaveLength(1)
  })

  it('writes committed together leave in one push over the socket, not one push each', async () => {
    const { server, a, b, space, loopA } = await twoConnected()
    const netA = new TestNetwork()
    await loopA.stop()
    const live = syncLoop(a, server.url, { network: netA })
    live.start()
    await statusUntil(live, s => s.connected)
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => a.write(space, 'items', `burst${i}`, 'create', { i })),
    )
    await statusUntil(live, s => s.pendingOps === 0)
    await until(b, () => b.list(space, 'items').length === 200)
    // The 200 writes share a commit or two; before, each write sent its own push.
    expect(netA.sent.filter(type => type === 'push').length).toBeLessThanOrEqual(3)
  })

  it('reconnect after a drop resumes from the cursor with nothing lost', async () => {
    const { server, a, b, space, netB, loopA, loopB } = await twoConnected()
    netB.offline = true
    netB.sockets[0]!.close()
    await statusUntil(loopB, s => !s.connected)
    for (let i = 0; i < 20; i++) await a.write(space, 'items', `r${i}`, 'create', { i })
    await statusUntil(loopA, s => s.pendingOps === 0)
    expect(b.list(space, 'items')).toEqual([])

    netB.offline = false
    await until(b, () => b.list(space, 'items').length === 20)
    await statusUntil(loopB, s => s.connected)
    expect(b.list(space, 'items')).toEqual(a.list(space, 'items'))
    expect(b.cursor(space)).toBe((await server.store.getSpace(space))!.head)
    await a.write(space, 'items', 'after', 'create', { v: 1 })
    await until(b, () => b.get(space, 'items', 'after') !== undefined)
    expect(netB.sockets.length).toBeGreaterThanOrEqual(2)
  })

  it('a socket that stops hearing the server (missed pongs) is dropped and reconnected', async () => {
    const { a, b, space, netB, loopB } = await twoConnected({ pingIntervalMs: 50 })
    netB.deaf = true
    await statusUntil(loopB, s => !s.connected)
    netB.deaf = false
    await statusUntil(loopB, s => s.connected)
    await a.write(space, 'items', 'heard', 'create', { v: 1 })
    await until(b, () => b.get(space, 'items', 'heard') !== undefined)
    expect(netB.sockets.length).toBeGreaterThanOrEqual(2)
  })
})
