/**
 * LiveHub fan-out order: a commit reaches the other subscribers of its space before
 * the pushing device hears anything (its echo and its `pushed` answer come last).
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { toBase64url } from '../../src/core/bytes.ts'
import { createVerifier } from '../../src/core/ed25519.ts'
import { DEFAULT_OP_LIMITS, signOp } from '../../src/core/op.ts'
import { createClock, instanceId, msToNs } from '../../src/core/uhlc.ts'
import { createLogger } from '../log.ts'
import { nodeEd25519 } from '../node-ed25519.ts'
import { memoryStore } from '../store/memory-store.ts'
import { ClientPool } from '../sync/client-pool.ts'
import { SyncService } from '../sync/sync-service.ts'
import { LiveHub } from './live-hub.ts'

/** What the hub sent, in order, over every fake socket. */
type Sent = { to: string; msg: { type: string; [key: string]: unknown } }[]

/** Just what the hub uses of a `ws` socket; every send lands in `sent`. */
function fakeSocket(name: string, sent: Sent): WebSocket {
  const ws = Object.assign(new EventEmitter(), {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: 0,
    send: (text: string) => sent.push({ to: name, msg: JSON.parse(text) }),
    close: () => undefined,
    terminate: () => undefined,
  })
  return ws as unknown as WebSocket
}

function setup() {
  const log = createLogger({ level: 'silent' })
  const store = memoryStore()
  const service = new SyncService({
    store,
    pool: new ClientPool(store, () => Date.now(), 60_000),
    verifier: createVerifier(nodeEd25519),
    physicalNs: () => msToNs(Date.now()),
    maxDriftNs: msToNs(60_000),
    opLimits: DEFAULT_OP_LIMITS,
    log,
  })
  const hub = new LiveHub(service, {
    pingIntervalMs: 60_000,
    maxBufferedBytes: 1 << 20,
    maxOpsPerPush: 1000,
    serverTime: () => '',
    log,
  })
  const sent: Sent = []
  const connect = (device: string) => {
    const ws = fakeSocket(device, sent)
    hub.attach(ws, device)
    return (message: object) => ws.emit('message', Buffer.from(JSON.stringify(message)), false)
  }
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise(resolve => setTimeout(resolve, 1))
  }
  return { hub, sent, connect, until }
}

describe('LiveHub fan-out', () => {
  it('sends a commit to the other subscribers before the pusher gets its echo and answer', async () => {
    const { hub, sent, connect, until } = setup()
    const signer = await nodeEd25519.importSigner(new Uint8Array(randomBytes(32)))
    const author = toBase64url(signer.publicKey)
    const clock = createClock({ id: instanceId(randomBytes(16)), physicalNs: () => msToNs(Date.now()) })
    const genesis = await signOp(
      {
        space: 's',
        collection: '_members',
        record: author,
        action: 'create',
        fields: { access: 'admin' },
        hlc: clock.now(),
        author,
      },
      signer,
    )
    // The pusher subscribes first: in subscription order it would hear first.
    const pusher = connect('pusher')
    const other = connect('other')
    for (const send of [pusher, other]) send({ type: 'subscribe', spaces: [{ space: 's', after: 0 }] })
    for (const send of [pusher, other]) send({ type: 'ping' })
    await until(() => sent.filter(s => s.msg.type === 'pong').length === 2)
    sent.length = 0

    pusher({ type: 'push', ref: 1, ops: [genesis] })
    await until(() => sent.some(s => s.msg.type === 'pushed'))
    expect(sent.map(s => `${s.to} ${s.msg.type}`)).toEqual(['other ops', 'pusher ops', 'pusher pushed'])
    hub.close()
  })
})
