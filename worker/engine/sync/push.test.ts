/**
 * Pushes pipeline: a write pushed while an earlier push waits for its answer leaves at
 * once, no op is on its way twice, and a full round waits for the pushes under way.
 */
import { describe, expect, it } from 'vitest'
import type { Op } from '../../../src/core/op.ts'
import { createBackoff } from './backoff.ts'
import { defaultIo } from './io.ts'
import type { Replica } from '../replica.ts'
import { Pusher, type PushResult, type PushTransport } from './push.ts'
import { KeyedQueue } from './serial.ts'
import { StatusHub } from './status.ts'
import { openReplica } from './testing.ts'

/** A transport whose pushes wait until the test answers them. */
function heldTransport() {
  const pushes: { ops: Op[]; answer: () => void }[] = []
  const transport = (ops: Op[]) =>
    new Promise<PushResult[]>(resolve => {
      const answer = () => resolve(ops.map(op => ({ id: op.id, status: 'accepted' as const, seq: 1 })))
      pushes.push({ ops, answer })
    })
  return { pushes, transport }
}

/** A pusher of `replica` over `transport`. */
function pusherFor(replica: Replica, transport: PushTransport): Pusher {
  return new Pusher({
    replica,
    transport,
    ensureSchema: () => undefined,
    spaces: new KeyedQueue(),
    status: new StatusHub(),
    io: defaultIo(),
    backoff: createBackoff(),
    onAccepted: () => undefined,
  })
}

async function setup() {
  const replica = await openReplica()
  const { pushes, transport } = heldTransport()
  return { replica, pusher: pusherFor(replica, transport), pushes }
}

describe('Pusher: pipelined pushes', () => {
  it('pushes a new write while the previous push waits for its answer, each op once', async () => {
    const { replica, pusher, pushes } = await setup()
    const first = await replica.write('s', 'items', 'a', 'update', { v: 1 })
    const firstDone = pusher.pushNew()
    const second = await replica.write('s', 'items', 'b', 'update', { v: 2 })
    const secondDone = pusher.pushNew()
    expect(pushes.map(p => p.ops.map(op => op.id))).toEqual([[first.id], [second.id]])

    // A full round sends nothing new and settles only once both answers are in.
    let roundDone = false
    const round = pusher.pushPending().then(() => (roundDone = true))
    await new Promise(resolve => setImmediate(resolve))
    expect(pushes).toHaveLength(2)
    pushes[1]!.answer()
    await secondDone
    expect(roundDone).toBe(false)
    pushes[0]!.answer()
    await Promise.all([firstDone, round])
    expect(pushes).toHaveLength(2)
    expect(replica.pendingCount).toBe(0)
  })

  it('a full round pushes again what a failed push carried', async () => {
    const replica = await openReplica()
    const sent: string[][] = []
    let fail = true
    const pusher = pusherFor(replica, async ops => {
      sent.push(ops.map(op => op.id))
      if (fail) throw new Error('socket closed')
      return ops.map(op => ({ id: op.id, status: 'accepted' as const, seq: 1 }))
    })
    const op = await replica.write('s', 'items', 'a', 'update', { v: 1 })
    const lost = pusher.pushNew()
    fail = false
    await pusher.pushPending()
    await expect(lost).rejects.toThrow('socket closed')
    expect(sent).toEqual([[op.id], [op.id]])
    expect(replica.pendingCount).toBe(0)
  })
})
