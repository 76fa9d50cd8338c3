/**
 * The HTTP layer: CORS for allowed origins, structured request logs, the compact
 * encoding of pull pages (negotiated by Accept), and gzip for large answers.
 */
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createLogger } from './log.ts'
import { decodeOpPack, OPPACK_TYPE } from '../src/core/oppack.ts'
import { TestDevice } from './testing/test-device.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

describe('CORS', () => {
  it('allows the configured origins (any port on a pattern) and no others', async () => {
    const server = await startServer({ allowedOrigins: ['http://localhost:*', 'https://app.example'] })
    const preflight = (origin: string) =>
      fetch(`${server.url}/v1/push`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      })
    const ok = await preflight('http://localhost:5173')
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization')
    expect((await preflight('https://app.example')).status).toBe(204)
    const denied = await preflight('https://evil.example')
    expect(denied.status).toBe(403)
    expect(denied.headers.get('access-control-allow-origin')).toBeNull()

    const health = await fetch(`${server.url}/v1/health`, { headers: { origin: 'http://localhost:3000' } })
    expect(health.headers.get('access-control-allow-origin')).toBe('http://localhost:3000')
    expect(health.headers.get('access-control-expose-headers')).toContain('syncline-server-time')
    const error = await fetch(`${server.url}/v1/push`, {
      method: 'POST',
      headers: { origin: 'http://localhost:3000' },
    })
    expect(error.status).toBe(401)
    expect(error.headers.get('access-control-allow-origin')).toBe('http://localhost:3000')
  })
})

describe('structured logs', () => {
  it('logs one JSON line per request at debug, and only errors at the error level', async () => {
    const lines: Record<string, unknown>[] = []
    const write = (line: string) => lines.push(JSON.parse(line))
    const server = await startServer({ log: createLogger({ level: 'debug', write }) })
    const device = await TestDevice.connect(server.url)
    await device.pull('nowhere')
    const requests = lines.filter(l => l.msg === 'request')
    expect(requests.map(l => [l.method, l.path, l.status])).toEqual([
      ['GET', '/v1/challenge', 200],
      ['POST', '/v1/session', 200],
      ['GET', '/v1/spaces/nowhere/ops', 404],
    ])
    expect(requests[2]).toMatchObject({
      level: 'debug',
      code: 'not_found',
      device: device.id,
      ms: expect.any(Number),
    })

    const quiet: string[] = []
    const logger = createLogger({ level: 'error', write: line => quiet.push(line) })
    logger.debug('no')
    logger.warn('no')
    logger.error('yes', { n: 1n })
    expect(quiet.map(l => JSON.parse(l))).toMatchObject([{ level: 'error', msg: 'yes', n: '1' }])
  })
})

describe('§7 compact encoding of pull pages', () => {
  it('carries exactly the ops of the JSON page, with or without ids, and is far smaller', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const ops = []
    for (let i = 0; i < 200; i++) {
      ops.push(
        await a.op('s', i % 2 ? 'items' : 'tags', `rec-${i}`, i % 2 ? 'update' : 'create', {
          title: `Item ${i}`,
          done: i % 3 === 0,
        }),
      )
    }
    ops.push(await a.op('s', 'items', 'rec-1', 'delete'))
    ops.push(await a.op('s', 'items', 'ünï😀', 'update', { nested: { a: [1, null, 'x'] } }))
    await a.push(ops)
    const json = await a.pull('s', 'limit=150')
    for (const accept of [OPPACK_TYPE, `${OPPACK_TYPE}; ids=1`]) {
      const res = await fetch(`${server.url}/v1/spaces/s/ops?limit=150`, {
        headers: { authorization: `Bearer ${a.token}`, accept },
      })
      expect(res.headers.get('content-type')).toBe(OPPACK_TYPE)
      const page = decodeOpPack(new Uint8Array(await res.arrayBuffer()))
      expect(page.ops).toEqual(json.body.ops)
      expect(page).toMatchObject({ space: 's', head: 202, horizon: 0, total: 202, more: true, after: 0 })
    }
    const rest = await fetch(`${server.url}/v1/spaces/s/ops?after=150`, {
      headers: { authorization: `Bearer ${a.token}`, accept: OPPACK_TYPE },
    })
    const tail = decodeOpPack(new Uint8Array(await rest.arrayBuffer()))
    expect(tail.ops.map(e => e.op)).toEqual(ops.slice(150))
    expect(tail.more).toBe(false)
  })

  it('compresses large answers with gzip when the client accepts it', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const ops = []
    for (let i = 0; i < 100; i++) ops.push(await a.op('s', 'items', `r${i}`))
    await a.push(ops)
    const raw = (encoding: string) =>
      new Promise<{ encoding: string | undefined; bytes: number }>((resolve, reject) => {
        const req = request(`${server.url}/v1/spaces/s/ops`, {
          headers: { authorization: `Bearer ${a.token}`, 'accept-encoding': encoding },
        })
        req.on('response', res => {
          let bytes = 0
          res.on('data', d => (bytes += d.length))
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes }))
        })
        req.on('error', reject)
        req.end()
      })
    const plain = await raw('identity')
    const gzipped = await raw('gzip, deflate')
    expect(plain.encoding).toBeUndefined()
    expect(gzipped.encoding).toBe('gzip')
    expect(gzipped.bytes).toBeLessThan(plain.bytes)
  })
})
