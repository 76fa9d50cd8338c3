/**
 * WS /v1/live (PROTOCOL.md §7): subscriptions from cursors, ops delivered as they are
 * accepted, several subscribers, reconnect and resume, push over the socket, ping.
 */
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { TestDevice } from './testing/test-device.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

async function setup() {
  const server = await startServer()
  const writer = await TestDevice.connect(server.url)
  await writer.putSchema('s', TEST_SCHEMA)
  return { server, writer }
}

describe('§7 live: subscribe and receive ops as they are accepted', () => {
  it('delivers every accepted op to several subscribers, in seq order', async () => {
    const { server, writer } = await setup()
    const readers = await Promise.all([1, 2, 3].map(() => TestDevice.connect(server.url)))
    const sockets = await Promise.all(readers.map(r => r.live()))
    for (const s of sockets) s.subscribe([{ space: 's', after: 0 }])
    // A round trip on each socket makes sure the subscriptions are in place.
    for (const s of sockets) {
      s.send({ type: 'ping' })
      await s.next(m => m.type === 'pong')
    }
    const ops = []
    for (let i = 0; i < 5; i++) {
      const op = await writer.op('s', 'items', `r${i}`)
      ops.push(op)
      await writer.push([op])
    }
    for (const s of sockets) {
      const entries = await s.opsUntil('s', 5)
      expect(entries).toEqual(ops.map((op, i) => ({ seq: i + 1, op })))
      await s.close()
    }
  })

  it('catches up from the cursor first, then continues live without gaps or repeats', async () => {
    const { server, writer } = await setup()
    const early = []
    for (let i = 0; i < 3; i++) early.push(await writer.op('s', 'items', `e${i}`))
    await writer.push(early)
    const reader = await TestDevice.connect(server.url)
    const socket = await reader.live()
    socket.subscribe([{ space: 's', after: 1 }])
    const late = await writer.op('s', 'items', 'late')
    await writer.push([late])
    const entries = await socket.opsUntil('s', 4)
    expect(entries.map(e => e.seq)).toEqual([2, 3, 4])
    expect(entries.at(-1)!.op).toEqual(late)
    await socket.close()
  })

  it('resumes after a reconnect from the last cursor: nothing lost across the drop', async () => {
    const { server, writer } = await setup()
    const reader = await TestDevice.connect(server.url)
    let socket = await reader.live()
    socket.subscribe([{ space: 's', after: 0 }])
    await writer.push([await writer.op('s', 'items', 'a')])
    const first = await socket.opsUntil('s', 1)
    const cursor = first.at(-1)!.seq
    await socket.close()
    await writer.push([await writer.op('s', 'items', 'b'), await writer.op('s', 'items', 'c')])
    socket = await reader.live()
    socket.subscribe([{ space: 's', after: cursor }])
    const rest = await socket.opsUntil('s', 3)
    expect(rest.map(e => e.seq)).toEqual([2, 3])
    await socket.close()
  })

  it('accepts pushes over the socket with the same per-op results as HTTP', async () => {
    const { server, writer } = await setup()
    const reader = await TestDevice.connect(server.url)
    const readSocket = await reader.live()
    readSocket.subscribe([{ space: 's', after: 0 }])
    readSocket.send({ type: 'ping' })
    await readSocket.next(m => m.type === 'pong')
    const socket = await writer.live()
    const op = await writer.op('s', 'items', 'ws')
    socket.send({ type: 'push', ref: 7, ops: [op, op, { nonsense: true }] })
    const answer = await socket.next(m => m.type === 'pushed')
    expect(answer.ref).toBe(7)
    expect(typeof answer.serverTime).toBe('string')
    expect(answer.results).toEqual([
      { id: op.id, status: 'accepted', seq: 1 },
      { id: op.id, status: 'duplicate', seq: 1 },
      { id: '', status: 'rejected', error: { code: 'malformed', message: expect.any(String) } },
    ])
    expect((await readSocket.opsUntil('s', 1))[0]!.op).toEqual(op)
    await socket.close()
    await readSocket.close()
  })

  it('pings, and counts a pong as acknowledging what was delivered', async () => {
    const server = await startServer({ pingIntervalMs: 50 })
    const writer = await TestDevice.connect(server.url)
    await writer.putSchema('s', TEST_SCHEMA)
    await writer.push([await writer.op('s', 'items', 'a')])
    const reader = await TestDevice.connect(server.url)
    const socket = await reader.live()
    socket.subscribe([{ space: 's', after: 0 }])
    await socket.opsUntil('s', 1)
    const pings = socket.received.filter(m => m.type === 'ping').length
    await socket.next(m => m.type === 'ping', socket.received.length)
    await socket.next(m => m.type === 'ping', socket.received.length)
    expect(socket.received.filter(m => m.type === 'ping').length).toBeGreaterThan(pings)
    await server.flush()
    const clients = await server.store.clients('s')
    expect(clients.find(c => c.device === reader.id)?.lastSynchronized).toBe(1)
    await socket.close()
  })

  it('refuses a socket without a valid token with 401', async () => {
    const { server } = await setup()
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/live?token=nope`)
      ws.on('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', chunk => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      ws.on('open', () => reject(new Error('socket opened')))
      ws.on('error', () => undefined)
    })
    expect(answer.status).toBe(401)
    expect(JSON.parse(answer.body).error.code).toBe('unauthenticated')
  })

  it('answers bad messages with coded errors and keeps the socket open', async () => {
    const { server } = await setup()
    const reader = await TestDevice.connect(server.url)
    const socket = await reader.live()
    const bad = [
      'not json',
      '[]',
      '{"type":"subscribe","type":"push"}',
      '{"type":"dance"}',
      '{"type":"subscribe","spaces":"s"}',
      '{"type":"subscribe","spaces":[{"space":"s","after":-1}]}',
      '{"type":"subscribe","spaces":[{"space":"","after":0}]}',
      '{"type":"push","ref":1,"ops":{}}',
      '{"type":"push","ref":{},"ops":[]}',
    ]
    for (const text of bad) socket.send(text)
    socket.send({ type: 'ping' })
    await socket.next(m => m.type === 'pong')
    const errors = socket.received.filter(m => m.type === 'error')
    expect(errors.map(e => e.error.code)).toEqual(bad.map(() => 'malformed'))
    await socket.close()
  })

  it('a subscription to a space that does not exist yet delivers its first ops live', async () => {
    const { server } = await setup()
    const reader = await TestDevice.connect(server.url)
    const socket = await reader.live()
    socket.subscribe([{ space: 'later', after: 0 }])
    socket.send({ type: 'ping' })
    await socket.next(m => m.type === 'pong')
    expect(socket.received.filter(m => m.type === 'error')).toEqual([])
    const writer = await TestDevice.connect(server.url)
    const op = await writer.op('later', '_members', writer.id, 'create', { access: 'admin' })
    expect((await writer.push([op])).body.results[0].status).toBe('accepted')
    const delivered = await socket.next(m => m.type === 'ops' && m.space === 'later')
    expect(delivered.ops.map((e: { op: { id: string } }) => e.op.id)).toEqual([op.id])
    await socket.close()
  })
})
