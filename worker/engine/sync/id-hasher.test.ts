/** Op ids of snapshot pages hashed by a helper: the same ids, and the engine's own hashing whenever the helper cannot answer. */
import { describe, expect, it } from 'vitest'
import { encodeOpPack, opPackIds } from '../../../src/core/oppack.ts'
import { TestDevice } from '../../../server/testing/test-device.ts'
import { startServer } from '../../../server/testing/test-server.ts'
import { idHasher, serveIdHashing, type WorkerLike } from './id-hasher.ts'

/** A helper on the other end of a MessageChannel, as a worker would be. */
function channelHelper(): WorkerLike & { fail(): void } {
  const { port1, port2 } = new MessageChannel()
  serveIdHashing(port2 as unknown as WorkerLike)
  const worker = Object.assign(port1, { onerror: null }) as unknown as WorkerLike & { fail(): void }
  worker.fail = () => {
    port2.close()
    worker.onerror?.({} as ErrorEvent)
  }
  return worker
}

async function page(): Promise<Uint8Array> {
  const device = await TestDevice.connect((await startServer()).url)
  const rows = []
  for (let i = 0; i < 50; i++) {
    const op = await device.op('s', 'items', `r${i}`, 'create', { n: i })
    rows.push({ ...op, seq: i + 1, fields: JSON.stringify(op.fields) })
  }
  return encodeOpPack('s', rows, { after: 0, head: 50, horizon: 0, total: 50, more: false })
}

const ready = (worker: WorkerLike) =>
  new Promise<void>(resolve => {
    const on = worker.onmessage!
    worker.onmessage = event => {
      on.call(worker, event)
      if ((event.data as { ready?: boolean }).ready) resolve()
    }
  })

describe('id hasher', () => {
  it('starts the helper with the first page, answers with ids once it is ready, and leaves them to the caller before', async () => {
    const bytes = await page()
    const helper = channelHelper()
    let starts = 0
    const { hash } = idHasher(() => {
      starts++
      return helper
    })
    // No helper until a snapshot page comes: most page loads pull none.
    expect(starts).toBe(0)
    expect(await hash(bytes)).toBeUndefined()
    expect(starts).toBe(1)
    await ready(helper)
    expect(await hash(bytes)).toBe(opPackIds(bytes))
    expect(starts).toBe(1)
    // The page the caller keeps is intact (the helper got a copy).
    expect(opPackIds(bytes)).toHaveLength(64 * 50)
    // A page the helper cannot read: the caller decodes it and reports what is wrong.
    expect(await hash(new Uint8Array([1, 2, 3]))).toBeUndefined()
  })

  it('leaves hashing to the caller when the helper fails or cannot start', async () => {
    const bytes = await page()
    const helper = channelHelper()
    const { hash } = idHasher(() => helper)
    expect(await hash(bytes)).toBeUndefined()
    await ready(helper)
    const asked = hash(bytes)
    helper.fail()
    expect(await asked).toBeUndefined()
    expect(await hash(bytes)).toBeUndefined()

    const none = idHasher(() => {
      throw new Error('no workers here')
    })
    expect(await none.hash(bytes)).toBeUndefined()
  })

  it('starts the helper when a snapshot is asked for, so that its first page finds it ready', async () => {
    const bytes = await page()
    const helper = channelHelper()
    let starts = 0
    const hasher = idHasher(() => {
      starts++
      return helper
    })
    hasher.start()
    hasher.start()
    expect(starts).toBe(1)
    await ready(helper)
    expect(await hasher.hash(bytes)).toBe(opPackIds(bytes))
    expect(starts).toBe(1)
  })
})
