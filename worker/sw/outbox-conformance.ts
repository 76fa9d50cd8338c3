/**
 * The conformance suite every Outbox must pass: run by outbox.test.ts (memory, Node)
 * and idb-outbox.browser.test.ts (IndexedDB, Chromium).
 */
import { describe, expect, it } from 'vitest'
import type { Outbox } from './outbox.ts'
import { testOp } from './testing.ts'

const S1 = 'http://one.test'
const S2 = 'http://two.test'

/** `open(name)` opens an outbox; two opens of one name share storage (two service worker versions). */
export function outboxConformance(label: string, open: (name: string) => Promise<Outbox>) {
  let counter = 0
  const fresh = () => open(`outbox-${Date.now()}-${counter++}`)

  describe(`Outbox conformance: ${label}`, () => {
    it('keeps pushed batches in the order they were added, and nothing empty', async () => {
      const outbox = await fresh()
      await outbox.add({ server: S1, device: 'a', ops: [testOp(2), testOp(3)] })
      await outbox.add({ server: S1, device: 'a', ops: [] })
      await outbox.add({ server: S2, device: 'b', ops: [testOp(1)] })
      expect(await outbox.batches()).toEqual([
        { server: S1, device: 'a', ops: [testOp(2), testOp(3)] },
        { server: S2, device: 'b', ops: [testOp(1)] },
      ])
      expect(await outbox.holds(S1)).toBe(true)
      expect(await outbox.holds('http://three.test')).toBe(false)
      outbox.close()
    })

    it('settling takes acknowledged ops out of every batch of that server only', async () => {
      const outbox = await fresh()
      await outbox.add({ server: S1, device: 'a', ops: [testOp(1), testOp(2)] })
      await outbox.add({ server: S1, device: 'a', ops: [testOp(2), testOp(3)] })
      await outbox.add({ server: S2, device: 'a', ops: [testOp(2)] })
      await outbox.settle({ server: S1, acked: [testOp(2).id, testOp(3).id], rejected: [] })
      expect(await outbox.batches()).toEqual([
        { server: S1, device: 'a', ops: [testOp(1)] },
        { server: S2, device: 'a', ops: [testOp(2)] },
      ])
      await outbox.settle({ server: S1, acked: [testOp(1).id], rejected: [] })
      expect(await outbox.holds(S1)).toBe(false)
      outbox.close()
    })

    it('a rejected op leaves the queue and is kept with its code until forgotten', async () => {
      const outbox = await fresh()
      await outbox.add({ server: S1, device: 'a', ops: [testOp(1), testOp(2)] })
      const error = { code: 'drift' as const, message: 'ahead' }
      await outbox.settle({
        server: S1,
        acked: [testOp(1).id],
        rejected: [{ server: S1, device: 'a', op: testOp(2), error }],
      })
      expect(await outbox.batches()).toEqual([])
      expect(await outbox.rejections('a')).toEqual([{ server: S1, device: 'a', op: testOp(2), error }])
      expect(await outbox.rejections('b')).toEqual([])
      await outbox.forget(S2, [testOp(2).id])
      expect(await outbox.rejections('a')).toHaveLength(1)
      await outbox.forget(S1, [testOp(2).id])
      expect(await outbox.rejections('a')).toEqual([])
      outbox.close()
    })

    it('a second open (a new service worker version) sees the same queue', async () => {
      const name = `outbox-shared-${Date.now()}`
      const first = await open(name)
      await first.add({ server: S1, device: 'a', ops: [testOp(1)] })
      const second = await open(name)
      expect(await second.batches()).toEqual([{ server: S1, device: 'a', ops: [testOp(1)] }])
      await second.settle({ server: S1, acked: [testOp(1).id], rejected: [] })
      expect(await first.batches()).toEqual([])
      first.close()
      second.close()
    })
  })
}
