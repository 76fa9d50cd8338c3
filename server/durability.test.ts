/**
 * Streams under load and across restarts (PROTOCOL.md §7): concurrent pushes from
 * many clients give gapless sequences with nothing lost, and a server restarted on the
 * same SQLite file holds every accepted op and continues the sequence.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createServer } from './server.ts'
import { sqliteStore } from './store/sqlite-store.ts'
import { TestDevice } from './testing/test-device.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

const dir = mkdtempSync(join(tmpdir(), 'syncline-server-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('§7 sequence numbers under concurrent pushes', () => {
  it('gives 20 concurrent clients gapless seqs 1..N with every op stored once', async () => {
    const server = await startServer({ store: sqliteStore(join(dir, 'concurrent.db')) })
    const devices = await Promise.all(Array.from({ length: 20 }, () => TestDevice.connect(server.url)))
    await devices[0]!.putSchema('s', TEST_SCHEMA)
    const perDevice = 10
    const batches = await Promise.all(
      devices.map(async (d, i) => {
        const ops = []
        for (let k = 0; k < perDevice; k++) ops.push(await d.op('s', 'items', `d${i}-${k}`))
        return ops
      }),
    )
    // Every device pushes its ops in two batches, all devices at once.
    const results = await Promise.all(
      batches.flatMap((ops, i) => [devices[i]!.push(ops.slice(0, 4)), devices[i]!.push(ops.slice(4))]),
    )
    const accepted = results.flatMap(r => r.body.results)
    expect(accepted.every((r: { status: string }) => r.status === 'accepted')).toBe(true)
    const total = 20 * perDevice
    expect(accepted.map((r: { seq: number }) => r.seq).sort((a: number, b: number) => a - b)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    )
    const pulled = await devices[1]!.pull('s', `limit=${total}`)
    expect(pulled.body.ops.map((e: { seq: number }) => e.seq)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    )
    const ids = new Set(pulled.body.ops.map((e: { op: { id: string } }) => e.op.id))
    expect(ids).toEqual(new Set(batches.flat().map(op => op.id)))
  })
})

describe('§7 durability: restart on the same SQLite file', () => {
  it('keeps every accepted op, continues the sequence, and keeps sessions', async () => {
    const file = join(dir, 'restart.db')
    const first = await createServer({ store: sqliteStore(file), port: 0, log: 'silent', pruneIntervalMs: 0 })
    const device = await TestDevice.connect(first.url)
    await device.putSchema('s', TEST_SCHEMA)
    const ops = []
    for (let i = 0; i < 30; i++) ops.push(await device.op('s', 'items', `r${i % 7}`, 'update', { i }))
    const pushed = await device.push(ops)
    expect(pushed.body.results.every((r: { status: string }) => r.status === 'accepted')).toBe(true)
    const before = (await device.pull('s', 'limit=100')).body
    await first.close()

    const second = await startServer({ store: sqliteStore(file) })
    const again = device
    again.url = second.url
    const after = (await again.pull('s', 'limit=100')).body
    expect(after.ops).toEqual(before.ops)
    expect(after.head).toBe(30)
    const live = (await again.pull('s', 'live=1&limit=100')).body
    expect(live.ops.map((e: { op: { record: string } }) => e.op.record).sort()).toEqual([
      'r0',
      'r1',
      'r2',
      'r3',
      'r4',
      'r5',
      'r6',
    ])
    const dup = await again.push([ops[3]!])
    expect(dup.body.results[0]).toEqual({ id: ops[3]!.id, status: 'duplicate', seq: 4 })
    const next = await again.push([await again.op('s', 'items', 'new')])
    expect(next.body.results[0]).toMatchObject({ status: 'accepted', seq: 31 })
  })
})
