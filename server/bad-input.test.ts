/**
 * Bad input (PROTOCOL.md §9, TARGETS.md "bad input"): every route answers malformed
 * JSON, wrong types, oversize bodies, unknown spaces and bad tokens with a coded 4xx,
 * and no request produces a 5xx or stops the server.
 */
import { describe, expect, it } from 'vitest'
import { TestDevice } from './testing/test-device.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

interface Case {
  name: string
  method: string
  path: string
  body?: string | Uint8Array
  auth?: boolean
  headers?: Record<string, string>
  status: number
  code: string
}

const big = (bytes: number) => `{"ops":[${'"x",'.repeat(Math.ceil(bytes / 4))}"x"]}`

const cases: Case[] = [
  // sessions
  {
    name: 'session: not JSON',
    method: 'POST',
    path: '/v1/session',
    body: '{device:',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'session: wrong types',
    method: 'POST',
    path: '/v1/session',
    body: '{"device":1,"nonce":2,"sig":3}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'session: unknown key',
    method: 'POST',
    path: '/v1/session',
    body: '{"device":"a","nonce":"b","sig":"c","x":1}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'session: bad device key',
    method: 'POST',
    path: '/v1/session',
    body: `{"device":"abc","nonce":"n","sig":"${'A'.repeat(86)}"}`,
    status: 400,
    code: 'malformed',
  },
  {
    name: 'session: unknown nonce',
    method: 'POST',
    path: '/v1/session',
    body: `{"device":"${'A'.repeat(43)}","nonce":"n","sig":"${'A'.repeat(86)}"}`,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'session: oversize',
    method: 'POST',
    path: '/v1/session',
    body: `{"device":"${'A'.repeat(5000)}"}`,
    status: 413,
    code: 'too_large',
  },
  // push
  {
    name: 'push: no token',
    method: 'POST',
    path: '/v1/push',
    body: '{"ops":[]}',
    auth: false,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'push: not a bearer token',
    method: 'POST',
    path: '/v1/push',
    body: '{"ops":[]}',
    auth: false,
    headers: { authorization: 'Basic abc' },
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'push: not JSON',
    method: 'POST',
    path: '/v1/push',
    body: '{"ops":[',
    status: 400,
    code: 'malformed',
  },
  { name: 'push: empty body', method: 'POST', path: '/v1/push', body: '', status: 400, code: 'malformed' },
  {
    name: 'push: invalid UTF-8',
    method: 'POST',
    path: '/v1/push',
    body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]),
    status: 400,
    code: 'malformed',
  },
  {
    name: 'push: duplicate keys',
    method: 'POST',
    path: '/v1/push',
    body: '{"ops":[],"ops":[]}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'push: huge number',
    method: 'POST',
    path: '/v1/push',
    body: '{"ops":[1e999]}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'push: ops not an array',
    method: 'POST',
    path: '/v1/push',
    body: '{"ops":{}}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'push: body an array',
    method: 'POST',
    path: '/v1/push',
    body: '[]',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'push: deep nesting',
    method: 'POST',
    path: '/v1/push',
    body: `{"ops":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    status: 400,
    code: 'malformed',
  },
  {
    name: 'push: too many ops',
    method: 'POST',
    path: '/v1/push',
    body: `{"ops":[${Array(1001).fill('{}').join(',')}]}`,
    status: 413,
    code: 'too_large',
  },
  {
    name: 'push: body over 4 MiB',
    method: 'POST',
    path: '/v1/push',
    body: big(4 * 1024 * 1024 + 10),
    status: 413,
    code: 'too_large',
  },
  // pull
  {
    name: 'pull: no token',
    method: 'GET',
    path: '/v1/spaces/s/ops',
    auth: false,
    status: 401,
    code: 'unauthenticated',
  },
  { name: 'pull: unknown space', method: 'GET', path: '/v1/spaces/nope/ops', status: 404, code: 'not_found' },
  {
    name: 'pull: negative after',
    method: 'GET',
    path: '/v1/spaces/s/ops?after=-1',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'pull: after not a number',
    method: 'GET',
    path: '/v1/spaces/s/ops?after=1e3',
    status: 400,
    code: 'malformed',
  },
  { name: 'pull: limit 0', method: 'GET', path: '/v1/spaces/s/ops?limit=0', status: 400, code: 'malformed' },
  {
    name: 'pull: limit too big',
    method: 'GET',
    path: '/v1/spaces/s/ops?limit=10001',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'pull: bad live flag',
    method: 'GET',
    path: '/v1/spaces/s/ops?live=yes',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'pull: empty collection',
    method: 'GET',
    path: '/v1/spaces/s/ops?collections=a,,b',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'pull: repeated parameter',
    method: 'GET',
    path: '/v1/spaces/s/ops?after=1&after=2',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'pull: unknown parameter',
    method: 'GET',
    path: '/v1/spaces/s/ops?since=1',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'pull: bad escape in path',
    method: 'GET',
    path: '/v1/spaces/%E0%A4%A/ops',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'pull: space too long',
    method: 'GET',
    path: `/v1/spaces/${'s'.repeat(257)}/ops`,
    status: 400,
    code: 'malformed',
  },
  // ids and fetch
  {
    name: 'ids: not JSON',
    method: 'POST',
    path: '/v1/spaces/s/ids',
    body: 'nope',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'ids: bad after',
    method: 'POST',
    path: '/v1/spaces/s/ids',
    body: '{"after":"ABC"}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'ids: bad limit',
    method: 'POST',
    path: '/v1/spaces/s/ids',
    body: '{"limit":"10"}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'ids: unknown space',
    method: 'POST',
    path: '/v1/spaces/nope/ids',
    body: '{}',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'ids: no token',
    method: 'POST',
    path: '/v1/spaces/s/ids',
    body: '{}',
    auth: false,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'ids: oversize',
    method: 'POST',
    path: '/v1/spaces/s/ids',
    body: big(1024 * 1024 + 10),
    status: 413,
    code: 'too_large',
  },
  {
    name: 'fetch: ids not a list',
    method: 'POST',
    path: '/v1/spaces/s/fetch',
    body: '{"ids":"a"}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'fetch: id not hex',
    method: 'POST',
    path: '/v1/spaces/s/fetch',
    body: '{"ids":["xyz"]}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'fetch: too many ids',
    method: 'POST',
    path: '/v1/spaces/s/fetch',
    body: `{"ids":[${Array(10001).fill('"a"').join(',')}]}`,
    status: 413,
    code: 'too_large',
  },
  {
    name: 'fetch: unknown space',
    method: 'POST',
    path: '/v1/spaces/nope/fetch',
    body: '{"ids":[]}',
    status: 404,
    code: 'not_found',
  },
  // reconcile
  {
    name: 'reconcile: not JSON',
    method: 'POST',
    path: '/v1/spaces/s/reconcile',
    body: '{',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'reconcile: cells not a power of two',
    method: 'POST',
    path: '/v1/spaces/s/reconcile',
    body: `{"setId":"${'0'.repeat(64)}","count":0,"cells":3,"sketch":"${'A'.repeat(128)}"}`,
    status: 400,
    code: 'malformed',
  },
  {
    name: 'reconcile: sketch of the wrong size',
    method: 'POST',
    path: '/v1/spaces/s/reconcile',
    body: `{"setId":"${'0'.repeat(64)}","count":0,"cells":2,"sketch":"AAAA"}`,
    status: 400,
    code: 'malformed',
  },
  {
    name: 'reconcile: cells above the cap',
    method: 'POST',
    path: '/v1/spaces/s/reconcile',
    body: `{"setId":"${'0'.repeat(64)}","count":0,"cells":131072,"sketch":""}`,
    status: 400,
    code: 'malformed',
  },
  {
    name: 'reconcile: unknown space',
    method: 'POST',
    path: '/v1/spaces/nope/reconcile',
    body: `{"setId":"${'0'.repeat(64)}","count":0,"cells":1,"sketch":"${'A'.repeat(43)}"}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'reconcile: no token',
    method: 'POST',
    path: '/v1/spaces/s/reconcile',
    body: '{}',
    auth: false,
    status: 401,
    code: 'unauthenticated',
  },
  // schema
  {
    name: 'schema sync: wrong types',
    method: 'POST',
    path: '/v1/spaces/s/schema',
    body: '{"id":1,"count":0,"cells":8,"sketch":""}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'schema sync: 32 cells',
    method: 'POST',
    path: '/v1/spaces/s/schema',
    body: `{"id":"${'0'.repeat(64)}","count":0,"cells":32,"sketch":""}`,
    status: 400,
    code: 'malformed',
  },
  {
    name: 'schema put: not a list',
    method: 'PUT',
    path: '/v1/spaces/s/schema',
    body: '{"descriptors":{}}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'schema put: unknown crdt',
    method: 'PUT',
    path: '/v1/spaces/s/schema',
    body: '{"descriptors":[{"name":"x","crdt":"orset"}]}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'schema put: onConflict on a set',
    method: 'PUT',
    path: '/v1/spaces/s/schema',
    body: '{"descriptors":[{"name":"x","crdt":"gset","onConflict":"merge"}]}',
    status: 400,
    code: 'malformed',
  },
  {
    name: 'schema put: no token',
    method: 'PUT',
    path: '/v1/spaces/s/schema',
    body: '{"descriptors":[]}',
    auth: false,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'schema get: unknown space',
    method: 'GET',
    path: '/v1/spaces/nope/schema',
    status: 404,
    code: 'not_found',
  },
  // routing
  { name: 'unknown route', method: 'GET', path: '/v1/nothing', status: 404, code: 'not_found' },
  { name: 'wrong method', method: 'DELETE', path: '/v1/push', status: 404, code: 'not_found' },
  {
    name: 'health with a body',
    method: 'POST',
    path: '/v1/health',
    body: '{}',
    status: 404,
    code: 'not_found',
  },
]

describe('§9 every route answers bad input with a coded 4xx', () => {
  it.each(cases)('$name -> $status $code', async c => {
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

describe('mutated requests never produce a 5xx', () => {
  it('survives 600 random mutations of valid requests to every route', async () => {
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
    let seed = 12345
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
    for (let i = 0; i < 600; i++) {
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
        await res.arrayBuffer()
      } catch {
        status = 0 // a URL fetch itself refuses to send
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      expect(status).toBeLessThan(500)
    }
    expect(statuses.get(400)).toBeGreaterThan(0)
    expect((await device.pull('s')).status).toBe(200)
  })
})
