/**
 * The public API in real Chromium: a module worker, IndexedDB, Comlink. No server:
 * these are the local-replica guarantees (durable writes, live queries, coded errors).
 */
import { describe, expect, it } from 'vitest'
import { type Client, createClient, SynclineError } from './index.ts'

const schema = {
  items: { crdt: 'lww', onConflict: 'merge' },
  tags: { crdt: 'lwwset' },
  history: { crdt: 'gset' },
  profile: { crdt: 'lww', owned: true },
} as const

let counter = 0
const uniqueName = () => `client-test-${Date.now()}-${counter++}`
const open = (name: string): Promise<Client> => createClient({ name, schema: schema as never })

/** The next value `subscribe` delivers that satisfies `predicate`. */
function next<T>(subscribe: (listener: (value: T) => void) => () => void, predicate: (value: T) => boolean) {
  return new Promise<T>(resolve => {
    const stop = subscribe(value => {
      if (!predicate(value)) return
      queueMicrotask(() => stop())
      resolve(value)
    })
  })
}

describe('createClient without a server', () => {
  it('writes, reads and keeps records across a reopen', async () => {
    const name = uniqueName()
    const client = await open(name)
    expect(client.device.id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const space = await client.createSpace()
    const items = space.collection<{ title: string; done: boolean }>('items')
    await items.put('milk', { title: 'Milk', done: false })
    await items.update('milk', { done: true })
    await items.put('bread', { title: 'Bread', done: false })
    await items.delete('bread')
    expect(await items.get('milk')).toEqual({ title: 'Milk', done: true })
    expect(await items.get('bread')).toBeUndefined()
    await client.close()

    const again = await open(name)
    expect(again.device.id).toBe(client.device.id)
    const rows = await again.space(space.id).collection('items').list()
    expect(rows).toEqual([{ id: 'milk', value: { title: 'Milk', done: true } }])
    await again.close()
  })

  it('live queries fire at once and after every change that matches', async () => {
    const client = await open(uniqueName())
    const items = (await client.createSpace()).collection<{ n: number }>('items')
    const seen: number[][] = []
    const stop = items.subscribe(rows => seen.push(rows.map(r => r.value.n)), { prefix: 'a' })
    const first = next<number>(
      listener => items.subscribe(rows => listener(rows.length)),
      n => n === 2,
    )
    await items.put('a1', { n: 1 })
    await items.put('b1', { n: 99 })
    await items.put('a2', { n: 2 })
    expect(await first).toBe(2)
    stop()
    expect(seen[0]).toEqual([])
    expect(seen.at(-1)).toEqual([1, 2])
    expect(seen.some(list => list.includes(99))).toBe(false)
    await client.close()
  })

  it('owned records carry the device id in storage and hide it in the API', async () => {
    const client = await open(uniqueName())
    const profile = (await client.createSpace()).collection<{ nick: string }>('profile')
    await profile.put('me', { nick: 'ana' })
    expect(await profile.get('me')).toEqual({ nick: 'ana' })
    expect(await profile.list()).toEqual([{ id: 'me', owner: client.device.id, value: { nick: 'ana' } }])
    await client.close()
  })

  it('rejects with coded SynclineErrors', async () => {
    const client = await open(uniqueName())
    const space = await client.createSpace()
    const error = await space
      .collection('history')
      .update('h', {})
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SynclineError)
    expect((error as SynclineError).code).toBe('bad_action')
    await expect(space.collection('nope').put('x', {})).rejects.toMatchObject({ code: 'unknown_collection' })
    await client.close()
  })

  it('reports status with the pending count, and this tab as leader', async () => {
    const client = await open(uniqueName())
    const items = (await client.createSpace()).collection('items')
    await items.put('x', { v: 1 })
    const status = await next(client.status.subscribe, s => s.pendingOps === 2 && s.leader)
    expect(status.connected).toBe(false)
    await expect(client.sync()).rejects.toMatchObject({ code: 'unavailable' })
    await client.close()
  })

  it('a live query that cannot run reports its coded error to onError, and no rows', async () => {
    const client = await open(uniqueName())
    const space = await client.createSpace()
    const rows: unknown[] = []
    const error = await new Promise<SynclineError>(resolve =>
      space.collection('nope').subscribe(r => rows.push(r), { onError: resolve }),
    )
    expect(error).toBeInstanceOf(SynclineError)
    expect(error.code).toBe('unknown_collection')
    expect(rows).toEqual([])
    await client.close()
  })

  it('a sync error in the status is a SynclineError', async () => {
    const client = await createClient({
      name: uniqueName(),
      schema: { items: { crdt: 'lww' } },
      server: 'http://127.0.0.1:9', // nothing listens on the discard port
      serviceWorker: false,
    })
    await client.createSpace()
    const status = await next(client.status.subscribe, s => s.error !== null)
    expect(status.error).toBeInstanceOf(SynclineError)
    expect(status.error?.code).toBe('unavailable')
    await client.close()
  })

  it('an invalid schema is a coded error from createClient', async () => {
    await expect(
      createClient({ name: uniqueName(), schema: { bad: { crdt: 'gset', onConflict: 'merge' } } as never }),
    ).rejects.toMatchObject({
      code: 'malformed',
    })
  })
})
