/**
 * Bad input (PROTOCOL.md §9, TARGETS.md "bad input"): every route answers malformed
 * JSON, wrong types, oversize bodies, unknown spaces and bad tokens with a coded 4xx,
 * and no request produces a 5xx or stops the server.
 */
import { describe, expect, it } from 'vitest'
import { type ErrorCode, httpStatus } from '../src/core/errors.ts'
import { TestDevice } from './testing/test-device.ts'
import { BAD_REQUESTS } from './testing/bad-requests.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

describe('§9 every route answers bad input with a coded 4xx', () => {
  it.each(BAD_REQUESTS)('$name -> $status $code', async c => {
    const server = await startServer()
    const device = await TestDevice.connect(server.url)
    await device.putSchema('s', TEST_SCHEMA)
    await device.push([await device.op('s', 'items', 'x')])
    const headers: Record<string, string> = { ...c.headers }
    if (c.auth !== false) headers.authorization = `Bearer ${device.token}`
    const res = await fetch(server.url + c.path, {
      method: c.method,
      headers,
      body: c.body as BodyInit | undefined,
    })
    const body = await res.json()
    expect({ status: res.status, code: body.error?.code }).toEqual({ status: c.status, code: c.code })
    expect(typeof body.error.message).toBe('string')
    expect(typeof body.serverTime).toBe('string')
    // The server still serves.
    expect((await device.pull('s')).status).toBe(200)
  })
})

/**
 * `npm test` runs 600 mutations; `npm run fuzz` runs 100,000 (TARGETS.md), and
 * FUZZ_RUNS / FUZZ_SEED pick any number and another sequence.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 600)
const SEED = Number(process.env.FUZZ_SEED ?? 12345)

describe('mutated requests never produce a 5xx', () => {
  it(
    `survives ${RUNS} random mutations of valid requests to every route, each answered with its coded error`,
    async () => {
      const server = await startServer()
      const device = await TestDevice.connect(server.url)
      await device.putSchema('s', TEST_SCHEMA)
      const op = await device.op('s', 'items', 'x')
      const valid: { method: string; path: string; body?: string }[] = [
        { method: 'POST', path: '/v1/push', body: JSON.stringify({ ops: [op] }) },
        { method: 'GET', path: '/v1/spaces/s/ops?after=0&limit=10&live=1&collections=items&prefix=x' },
        { method: 'POST', path: '/v1/spaces/s/ids', body: '{"limit":5}' },
        { method: 'POST', path: '/v1/spaces/s/fetch', body: JSON.stringify({ ids: [op.id] }) },
        {
          method: 'POST',
          path: '/v1/spaces/s/reconcile',
          body: `{"setId":"${'0'.repeat(64)}","count":0,"cells":1,"sketch":"${'A'.repeat(43)}"}`,
        },
        { method: 'PUT', path: '/v1/spaces/s/schema', body: JSON.stringify({ descriptors: TEST_SCHEMA }) },
        { method: 'POST', path: '/v1/session', body: '{"device":"x","nonce":"y","sig":"z"}' },
      ]
      let seed = SEED
      const random = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff
        return seed / 0x7fffffff
      }
      const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!
      const junk = [
        '{',
        '}',
        '[',
        ']',
        '"',
        '\\',
        ',',
        ':',
        'null',
        '-1',
        '1e999',
        '\u0000',
        '\ud800',
        '%',
        '😀',
        '0'.repeat(20),
      ]
      const mutate = (text: string) => {
        const chars = [...text]
        const n = 1 + Math.floor(random() * 4)
        for (let i = 0; i < n; i++) {
          const at = Math.floor(random() * (chars.length + 1))
          const kind = random()
          if (kind < 0.4) chars.splice(at, 1)
          else if (kind < 0.8) chars.splice(at, 0, pick(junk))
          else chars.splice(at, 1, pick(junk))
        }
        return chars.join('')
      }
      const statuses = new Map<number, number>()
      const codes = new Map<string, number>()
      for (let i = 0; i < RUNS; i++) {
        const req = pick(valid)
        const mutateBody = req.body !== undefined && random() < 0.7
        const path = mutateBody ? req.path : mutate(req.path)
        const body = mutateBody ? mutate(req.body!) : req.body
        let status: number
        try {
          const res = await fetch(server.url + (path.startsWith('/') ? path : `/${path}`), {
            method: req.method,
            headers: { authorization: `Bearer ${device.token}` },
            body,
          })
          status = res.status
          const text = await res.text()
          if (status >= 400) {
            // An error answer is JSON with a code whose status it carries (§9).
            const code = (JSON.parse(text) as { error: { code: ErrorCode } }).error.code
            expect(status, `${req.method} ${path} -> ${code}`).toBe(httpStatus(code))
            codes.set(code, (codes.get(code) ?? 0) + 1)
          }
        } catch (error) {
          if (!(error instanceof TypeError)) throw error
          status = 0 // a URL fetch itself refuses to send
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        expect(status).toBeLessThan(500)
      }
      expect(statuses.get(400)).toBeGreaterThan(0)
      expect(codes.get('malformed')).toBeGreaterThan(0)
      expect((await device.pull('s')).status).toBe(200)
    },
    Math.max(60_000, RUNS * 10),
  )
})
