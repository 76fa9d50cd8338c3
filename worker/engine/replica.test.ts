import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { nobleEd25519 } from '../../src/core/ed25519.ts'
import { SynclineError } from '../../src/core/errors.ts'
import type { Op } from '../../src/core/op.ts'
import { createSchema } from '../../src/core/schema.ts'
import { msToNs, parseHlc } from '../../src/core/uhlc.ts'
import { MemoryOpLog, MemoryStore } from './memory-oplog.ts'
import type { LogWrite } from './oplog.ts'
import { type Change, Replica } from './replica.ts'

const created = createSchema([
  { name: 'items', crdt: 'lww' },
  { name: 'history', crdt: 'gset' },
  { name: 'profile', crdt: 'lww', owned: true },
])
if (!created.ok) throw new Error(created.error.message)
const schema = created.value

/** A log that counts commits and can be told to fail, like a full disk. */
class CountingLog extends MemoryOpLog {
  commits = 0
  loads = 0
  failNext = false
  override async load() {
    this.loads++
    return super.load()
  }
  override async commit(write: LogWrite) {
    this.commits++
    if (this.failNext) {
      this.failNext = false
      throw new SynclineError('quota_exceeded', 'disk full')
    }
    return super.commit(write)
  }
}

function open(store = new MemoryStore(), log: MemoryOpLog = new CountingLog(store)) {
  return Replica.open({
    log,
    schema,
    backend: nobleEd25519,
    wallNs: () => msToNs(Date.now()),
    random: n => new Uint8Array(randomBytes(n)),
  })
}

describe('Replica: local writes', () => {
  it('writes durably and reads back after reopening', async () => {
    const store = new MemoryStore()
    const replica = await open(store)
    const space = await replica.createSpace()
    await replica.write(space, 'items', 'milk', 'create', { title: 'Milk', done: false })
    await replica.write(space, 'items', 'milk', 'update', { done: true })
    expect(replica.get(space, 'items', 'milk')).toEqual({ title: 'Milk', done: true })
    expect(replica.get(space, '_members', replica.device)).toEqual({ access: 'admin' })
    const reopened = await open(store)
    expect(reopened.device).toBe(replica.device)
    expect(reopened.get(space, 'items', 'milk')).toEqual({ title: 'Milk', done: true })
    expect(reopened.pendingCount).toBe(3)
  })

  it('never issues a timestamp at or below one issued before a reload', async () => {
    const store = new MemoryStore()
    const replica = await open(store)
    const op = await replica.write('s', 'items', 'a', 'update', { n: 1 })
    const reopened = await open(store)
    const next = await reopened.write('s', 'items', 'a', 'update', { n: 2 })
    expect(parseHlc(next.hlc)!.time > parseHlc(op.hlc)!.time).toBe(true)
  })

  it('commits writes issued together in one transaction (group commit)', async () => {
    const log = new CountingLog()
    const replica = await open(undefined, log)
    const before = log.commits
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => replica.write('s', 'items', `r${i}`, 'update', { i })),
    )
    expect(log.commits - before).toBeLessThanOrEqual(2)
    expect(replica.list('s', 'items').length).toBe(500)
  })

  it('rejects a write the schema forbids with its code, and stores nothing', async () => {
    const replica = await open()
    await expect(replica.write('s', 'history', 'h', 'update', {})).rejects.toMatchObject({
      code: 'bad_action',
    })
    await expect(replica.write('s', 'nope', 'h', 'create', {})).rejects.toMatchObject({
      code: 'unknown_collection',
    })
    await expect(replica.write('s', 'profile', 'someone-else/me', 'create', {})).rejects.toMatchObject({
      code: 'owned',
    })
    expect(replica.pendingCount).toBe(0)
  })

  it('a failed commit (disk full) rejects with quota_exceeded and loses nothing written before', async () => {
    const log = new CountingLog()
    const replica = await open(undefined, log)
    await replica.write('s', 'items', 'kept', 'update', { v: 1 })
    log.failNext = true
    await expect(replica.write('s', 'items', 'lost', 'update', { v: 2 })).rejects.toMatchObject({
      code: 'quota_exceeded',
    })
    expect(replica.get('s', 'items', 'lost')).toBeUndefined()
    expect(replica.get('s', 'items', 'kept')).toEqual({ v: 1 })
    expect((await log.load()).pending.map(op => op.record)).toEqual(['kept'])
  })

  it('announces each change with the records it touched', async () => {
    const replica = await open()
    const changes: Change[] = []
    replica.onChange(change => changes.push(change))
    await replica.write('s', 'items', 'a', 'update', { v: 1 })
    expect(changes).toHaveLength(1)
    expect(changes[0]!.source).toBe('local')
    expect([...changes[0]!.records.get('items')!]).toEqual(['a'])
  })
})

describe('Replica: change listeners', () => {
  it('calls a listener added as first before those added earlier (the sync loop pushes before others show)', async () => {
    const replica = await open()
    const calls: string[] = []
    replica.onChange(() => calls.push('shown'))
    const stop = replica.onChange(() => calls.push('pushed'), { first: true })
    await replica.write('s', 'items', 'a', 'update', { v: 1 })
    expect(calls).toEqual(['pushed', 'shown'])
    stop()
    await replica.write('s', 'items', 'b', 'update', { v: 1 })
    expect(calls).toEqual(['pushed', 'shown', 'shown'])
  })
})

describe('Replica: sync side', () => {
  it('acknowledged ops leave the pending set; rejected ones are returned', async () => {
    const replica = await open()
    const a = await replica.write('s', 'items', 'a', 'update', { v: 1 })
    const b = await replica.write('s', 'items', 'b', 'update', { v: 1 })
    const rejected = await replica.acknowledge([
      { id: a.id, status: 'accepted' },
      { id: b.id, status: 'rejected', error: { code: 'forbidden', message: 'no' } },
    ])
    expect(rejected.map(r => r.op.id)).toEqual([b.id])
    expect(replica.pendingOps().map(op => op.id)).toEqual([b.id])
  })

  it('applies remote ops with the cursor in one transaction and keeps both after reopening', async () => {
    const store = new MemoryStore()
    const writer = await open(new MemoryStore())
    const op = await writer.write('s', 'items', 'x', 'update', { from: 'server' })
    const replica = await open(store)
    await replica.applyRemote('s', [op], 7)
    expect(replica.get('s', 'items', 'x')).toEqual({ from: 'server' })
    expect(replica.cursor('s')).toBe(7)
    const reopened = await open(store)
    expect(reopened.cursor('s')).toBe(7)
    expect(reopened.summary('s').id).toBe(replica.summary('s').id)
  })

  it('shows remote ops while their commit is in flight, and moves the cursor after it', async () => {
    const writer = await open(new MemoryStore())
    const op = await writer.write('s', 'items', 'x', 'update', { from: 'server' })
    let release = () => {}
    const held = new Promise<void>(resolve => (release = resolve))
    class HeldLog extends MemoryOpLog {
      override async commit(write: LogWrite) {
        await held
        return super.commit(write)
      }
    }
    const replica = await open(new MemoryStore(), new HeldLog())
    const shown = new Promise<Change>(resolve => replica.onChange(resolve))
    const applied = replica.applyRemote('s', [op], 3)
    const change = await shown
    expect(replica.get('s', 'items', 'x')).toEqual({ from: 'server' })
    expect(replica.cursor('s')).toBe(0)
    expect(change.stored).toBeInstanceOf(Promise)
    release()
    await applied
    expect(replica.cursor('s')).toBe(3)
  })

  it('shows a live op before its commit starts, and starts the commit of a large page first', async () => {
    const writer = await open(new MemoryStore())
    const ops: Op[] = []
    for (let i = 0; i < 66; i++) ops.push(await writer.write('s', 'items', `r${i}`, 'update', { i }))
    const events: string[] = []
    class OrderLog extends MemoryOpLog {
      override async commit(write: LogWrite) {
        events.push(`commit ${write.ops?.length}`)
        return super.commit(write)
      }
    }
    const replica = await open(new MemoryStore(), new OrderLog())
    replica.onChange(change => events.push(`shown ${change.records.get('items')?.size}`))
    await replica.applyRemote('s', ops.slice(0, 1), 1)
    await replica.applyRemote('s', ops.slice(1), 66)
    expect(events).toEqual(['shown 1', 'commit 1', 'commit 65', 'shown 65'])
  })

  it('a failed commit of remote ops leaves the cursor where it was', async () => {
    const writer = await open(new MemoryStore())
    const op = await writer.write('s', 'items', 'x', 'update', { v: 1 })
    const log = new CountingLog()
    const replica = await open(new MemoryStore(), log)
    log.failNext = true
    await expect(replica.applyRemote('s', [op], 5)).rejects.toMatchObject({ code: 'quota_exceeded' })
    expect(replica.cursor('s')).toBe(0)
    await replica.applyRemote('s', [op], 5)
    expect(replica.cursor('s')).toBe(5)
  })

  it('its own pending ops coming back are acknowledged with the cursor, in one commit', async () => {
    const store = new MemoryStore()
    const log = new CountingLog(store)
    const replica = await open(store, log)
    const op = await replica.write('s', 'items', 'x', 'update', { v: 1 })
    const other = await replica.write('s', 'items', 'y', 'update', { v: 2 })
    const commits = log.commits
    // The answer to the push was lost; the op comes back from the server all the same.
    await replica.applyRemote('s', [op], 1)
    expect(log.commits).toBe(commits + 1)
    expect(replica.cursor('s')).toBe(1)
    expect(replica.pendingOps()).toEqual([other])
    const reopened = await open(store)
    expect(reopened.cursor('s')).toBe(1)
    expect(reopened.pendingOps()).toEqual([other])
    expect(reopened.get('s', 'items', 'x')).toEqual({ v: 1 })
    // The push's answer arriving late changes nothing.
    expect(await replica.acknowledge([{ id: op.id, status: 'accepted' }])).toEqual([])
    expect(replica.pendingOps()).toEqual([other])
  })

  it('a cursor moved past superseded ops alone is saved with the next commit', async () => {
    const store = new MemoryStore()
    const log = new CountingLog(store)
    const replica = await open(store, log)
    const commits = log.commits
    await replica.applyRemote('s', [], 5)
    expect(log.commits).toBe(commits)
    expect(replica.cursor('s')).toBe(5)
    expect((await open(store)).cursor('s')).toBe(0)
    await replica.write('s', 'items', 'x', 'update', { v: 1 })
    expect((await open(store)).cursor('s')).toBe(5)
  })

  it('removing a rejected local op shows again what it had superseded', async () => {
    const replica = await open()
    const other = await open(new MemoryStore())
    const remote = await other.write('s', 'items', 'x', 'update', { v: 'remote' })
    await replica.applyRemote('s', [remote], 1)
    const local = await replica.write('s', 'items', 'x', 'update', { v: 'local' })
    expect(replica.get('s', 'items', 'x')).toEqual({ v: 'local' })
    await replica.remove('s', [local.id])
    expect(replica.get('s', 'items', 'x')).toEqual({ v: 'remote' })
    expect(replica.pendingCount).toBe(0)
  })

  it('re-stamping a drifted op replaces it with the same change at a fresh time', async () => {
    const replica = await open()
    const op = await replica.write('s', 'items', 'x', 'update', { v: 1 })
    const fresh = await replica.restamp(op)
    expect(fresh.id).not.toBe(op.id)
    expect(fresh.hlc > op.hlc).toBe(true)
    expect(replica.pendingOps().map(o => o.id)).toEqual([fresh.id])
    expect(replica.get('s', 'items', 'x')).toEqual({ v: 1 })
  })

  it('re-stamps and removes many ops with one read of the log, keeping their order', async () => {
    const store = new MemoryStore()
    const log = new CountingLog(store)
    const replica = await open(store, log)
    const ops: Op[] = []
    for (let i = 0; i < 40; i++)
      ops.push(await replica.write(i % 2 ? 'a' : 'b', 'items', `r${i}`, 'update', { i }))
    const loads = log.loads
    const fresh = await replica.restampAll(ops)
    expect(log.loads - loads).toBe(1)
    expect(fresh.map(op => op.record)).toEqual(ops.map(op => op.record))
    expect(
      fresh.every((op, i) => op.hlc > ops[ops.length - 1]!.hlc && (i === 0 || op.hlc > fresh[i - 1]!.hlc)),
    ).toBe(true)
    expect(replica.pendingOps().map(op => op.id)).toEqual(fresh.map(op => op.id))
    expect(replica.get('a', 'items', 'r1')).toEqual({ i: 1 })

    await replica.remove(
      'a',
      fresh.filter(op => op.space === 'a').map(op => op.id),
    )
    expect(log.loads - loads).toBe(2)
    expect(replica.list('a', 'items')).toEqual([])
    const reopened = await open(store)
    expect(reopened.list('a', 'items')).toEqual([])
    expect(reopened.list('b', 'items')).toHaveLength(20)
    expect(new Set((await log.load()).ops.get('b')!.map(op => op.id))).toEqual(
      new Set(fresh.filter(op => op.space === 'b').map(op => op.id)),
    )
  })

  it('two tabs on one store see each other through the log, pending writes and acknowledged ones', async () => {
    const store = new MemoryStore()
    const tab1 = await open(store)
    const tab2 = await open(store)
    expect(tab2.device).toBe(tab1.device)
    const a = await tab1.write('s', 'items', 'a', 'update', { v: 1 })
    await tab2.catchUpWithTabs()
    expect(tab2.get('s', 'items', 'a')).toEqual({ v: 1 })
    // Acknowledged, the op moves into the log's chunks: read again, it changes nothing.
    await tab1.acknowledge([{ id: a.id, status: 'accepted' }])
    await tab2.catchUpWithTabs()
    expect(tab2.get('s', 'items', 'a')).toEqual({ v: 1 })
    await tab1.write('s', 'items', 'b', 'update', { v: 2 })
    await tab2.catchUpWithTabs()
    expect(tab2.get('s', 'items', 'b')).toEqual({ v: 2 })
  })
})

describe('Replica: clock rewind and live ops (for the sync loop)', () => {
  it('rewinds a clock fed by a wall clock that ran ahead, once skew correction knows it', async () => {
    const aheadNs = 600_000_000_000n
    const replica = await Replica.open({
      log: new MemoryOpLog(),
      schema,
      backend: nobleEd25519,
      wallNs: () => msToNs(Date.now()) + aheadNs,
      random: n => new Uint8Array(randomBytes(n)),
    })
    const ahead = await replica.write('s', 'items', 'a', 'update', { v: 1 })
    expect(await replica.rewindClock()).toBe(false)
    const now = msToNs(Date.now())
    replica.skew.add({ sentNs: now + aheadNs, receivedNs: now + aheadNs, serverNs: now })
    const id = replica.clock.id
    expect(await replica.rewindClock()).toBe(true)
    expect(replica.clock.id).not.toBe(id)
    const fresh = await replica.restamp(ahead)
    expect(parseHlc(fresh.hlc)!.time < msToNs(Date.now()) + 60_000_000_000n).toBe(true)
    expect(await replica.rewindClock()).toBe(false)
  })

  it('lists the live ops of a space', async () => {
    const replica = await open()
    const first = await replica.write('s', 'items', 'a', 'update', { v: 1 })
    const second = await replica.write('s', 'items', 'a', 'update', { v: 2 })
    expect(replica.liveOps('s').map(op => op.id)).toEqual([second.id])
    expect(replica.liveOps('s').map(op => op.id)).not.toContain(first.id)
    expect(replica.liveOps('none')).toEqual([])
  })
})
