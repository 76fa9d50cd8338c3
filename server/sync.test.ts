/**
 * The sync server over real HTTP (PROTOCOL.md §7-8): sessions, push results,
 * sequence numbers, pulls with filters, and the health route.
 */
import { describe, expect, it } from 'vitest'
import { isHlc } from '../src/core/uhlc.ts'
import { TestDevice } from './testing/test-device.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

describe('§8 sessions: challenge, signed nonce, bearer token', () => {
  it('gives a token for a signed challenge, and every answer carries serverTime', async () => {
    const server = await startServer()
    const device = await TestDevice.connect(server.url)
    expect(device.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const health = await device.request('GET', '/v1/health')
    expect(isHlc(health.body.serverTime)).toBe(true)
    expect(health.headers.get('syncline-server-time')).toBe(health.body.serverTime)
  })

  it('rejects a nonce used twice, a wrong signature, and requests without a valid token', async () => {
    const server = await startServer()
    const device = await TestDevice.connect(server.url)
    const { body } = await device.request('GET', '/v1/challenge', undefined, { auth: false })
    const other = await TestDevice.connect(server.url)
    const { toBase64url, utf8 } = await import('../src/core/bytes.ts')
    const sig = toBase64url(await other.signer.sign(utf8(`syncline-session:${body.nonce}`)))
    const wrong = await device.request(
      'POST',
      '/v1/session',
      { device: device.id, nonce: body.nonce, sig },
      { auth: false },
    )
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.code).toBe('unauthenticated')
    const goodSig = toBase64url(await device.signer.sign(utf8(`syncline-session:${body.nonce}`)))
    const reused = await device.request(
      'POST',
      '/v1/session',
      { device: device.id, nonce: body.nonce, sig: goodSig },
      { auth: false },
    )
    expect(reused.status).toBe(401)

    const anonymous = await device.request('GET', '/v1/spaces/s/ops', undefined, { auth: false })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error.code).toBe('unauthenticated')
    const bogus = await device.request('GET', '/v1/spaces/s/ops', undefined, {
      auth: false,
      headers: { authorization: `Bearer ${'x'.repeat(43)}` },
    })
    expect(bogus.status).toBe(401)
  })

  it('rejects an expired token', async () => {
    let now = Date.now()
    const server = await startServer({ sessionTtlMs: 1000, now: () => now })
    const device = await TestDevice.connect(server.url)
    expect((await device.request('GET', '/v1/spaces/x/ops')).status).toBe(404)
    now += 1001
    const expired = await device.request('GET', '/v1/spaces/x/ops')
    expect(expired.status).toBe(401)
    expect(expired.body.error.message).toMatch(/expired/)
  })
})

describe('§7 push and pull', () => {
  it('round-trips ops: accepted with seq 1, 2, 3, then pulled in seq order', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    expect((await a.putSchema('s', TEST_SCHEMA)).status).toBe(200)
    const ops = [
      await a.op('s', 'items', 'milk'),
      await a.op('s', 'items', 'bread'),
      await a.op('s', 'tags', 'red', 'create'),
    ]
    const pushed = await a.push(ops)
    expect(pushed.status).toBe(200)
    expect(pushed.body.results).toEqual([
      { id: ops[0]!.id, status: 'accepted', seq: 1 },
      { id: ops[1]!.id, status: 'accepted', seq: 2 },
      { id: ops[2]!.id, status: 'accepted', seq: 3 },
    ])
    const b = await TestDevice.connect(server.url)
    const pulled = await b.pull('s', 'after=0')
    expect(pulled.status).toBe(200)
    expect(pulled.body.ops).toEqual(ops.map((op, i) => ({ seq: i + 1, op })))
    expect(pulled.body).toMatchObject({ head: 3, horizon: 0, total: 3, more: false })
  })

  it('answers a repeated push with duplicate and the same seq, storing nothing twice', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const op = await a.op('s', 'items', 'milk')
    const other = await a.op('s', 'items', 'eggs')
    expect((await a.push([op])).body.results[0]).toMatchObject({ status: 'accepted', seq: 1 })
    const again = await a.push([op, other, other])
    expect(again.body.results).toEqual([
      { id: op.id, status: 'duplicate', seq: 1 },
      { id: other.id, status: 'accepted', seq: 2 },
      { id: other.id, status: 'duplicate', seq: 2 },
    ])
    expect((await a.pull('s')).body.ops).toHaveLength(2)
  })

  it('applies a batch in hlc order: seqs follow the hlcs, not the request order', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const first = await a.op('s', 'items', 'x', 'update', { v: 1 })
    const second = await a.op('s', 'items', 'x', 'update', { v: 2 })
    const res = await a.push([second, first])
    expect(res.body.results).toEqual([
      { id: second.id, status: 'accepted', seq: 2 },
      { id: first.id, status: 'accepted', seq: 1 },
    ])
    const live = await a.pull('s', 'live=1')
    expect(live.body.ops.map((e: { op: { id: string } }) => e.op.id)).toEqual([second.id])
  })

  it('rejects each bad op with its code and accepts the rest of the batch', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    const b = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const good = await a.op('s', 'items', 'ok')
    const badId = { ...(await a.op('s', 'items', 'k')), id: 'f'.repeat(64) }
    const otherSig = await b.op('s', 'items', 'k2')
    const badSig = { ...(await a.op('s', 'items', 'k2')), sig: otherSig.sig }
    const unknown = await a.op('s', 'nope', 'k')
    const badAction = await a.op('s', 'history', 'h', 'delete')
    const badField = await a.op('s', 'typed', 't', 'update', { title: 5 })
    const owned = await a.op('s', 'profile', `${b.id}/me`)
    const mine = await a.op('s', 'profile', `${a.id}/me`)
    const extraKey = { ...(await a.op('s', 'items', 'e')), extra: 1 }
    const res = await a.push([good, badId, badSig, unknown, badAction, badField, owned, mine, extraKey, 42])
    const codes = res.body.results.map(
      (r: { status: string; error?: { code: string } }) => r.error?.code ?? r.status,
    )
    expect(codes).toEqual([
      'accepted',
      'bad_id',
      'bad_signature',
      'unknown_collection',
      'bad_action',
      'bad_field',
      'owned',
      'accepted',
      'malformed',
      'malformed',
    ])
    expect((await a.pull('s')).body.ops.map((e: { op: { id: string } }) => e.op.id)).toEqual([
      good.id,
      mine.id,
    ])
  })

  it('rejects an op more than maxDrift ahead of the server clock with drift, accepts one at the limit', async () => {
    const now = Date.now()
    const server = await startServer({ now: () => now, maxDriftMs: 100 })
    const { msToNs } = await import('../src/core/uhlc.ts')
    const atLimit = await TestDevice.connect(server.url, { physicalNs: () => msToNs(now + 100) })
    const ahead = await TestDevice.connect(server.url, { physicalNs: () => msToNs(now + 100) + 1n })
    await atLimit.putSchema('s', TEST_SCHEMA)
    const ok = await atLimit.push([await atLimit.op('s', 'items', 'a')])
    const drift = await ahead.push([await ahead.op('s', 'items', 'b')])
    expect(ok.body.results[0].status).toBe('accepted')
    expect(drift.body.results[0]).toMatchObject({ status: 'rejected', error: { code: 'drift' } })
  })

  it('pulls pages with limit and more, and filters live ops, collections and record prefixes', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    await a.push([
      await a.op('s', 'items', 'milk', 'update', { v: 1 }),
      await a.op('s', 'items', 'milk', 'update', { v: 2 }),
      await a.op('s', 'items', 'bread'),
      await a.op('s', 'tags', 'mint', 'create'),
      await a.op('s', 'items', 'mango'),
    ])
    const seqs = async (q: string) => (await a.pull('s', q)).body.ops.map((e: { seq: number }) => e.seq)
    const page = await a.pull('s', 'after=1&limit=2')
    expect(page.body.ops.map((e: { seq: number }) => e.seq)).toEqual([2, 3])
    expect(page.body).toMatchObject({ more: true, head: 5, total: 5 })
    expect(await seqs('live=1')).toEqual([2, 3, 4, 5])
    expect((await a.pull('s', 'live=1')).body.total).toBe(4)
    expect(await seqs('collections=tags')).toEqual([4])
    expect(await seqs('collections=items,tags&prefix=m')).toEqual([1, 2, 4, 5])
    expect(await seqs('prefix=ma')).toEqual([5])
  })

  it('has _members built in: a space comes into being with a _members op, stored and synced like any other', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    const genesis = await a.op('fresh', '_members', a.id, 'create', { access: 'admin' })
    expect((await a.push([genesis])).body.results[0]).toMatchObject({ status: 'accepted', seq: 1 })
    const b = await TestDevice.connect(server.url)
    const grant = await b.op('fresh', '_members', b.id, 'update', { access: 'write' })
    expect((await b.push([grant])).body.results[0]).toMatchObject({ status: 'accepted', seq: 2 })
    const other = await b.op('fresh', '_other', 'x')
    expect((await b.push([other])).body.results[0].error.code).toBe('unknown_collection')
    expect((await b.pull('fresh')).body.ops.map((e: { op: unknown }) => e.op)).toEqual([genesis, grant])
  })

  it('answers 404 not_found for an unknown space and an unknown route', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    const res = await a.pull('nowhere')
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('not_found')
    expect((await a.request('GET', '/v2/nothing')).status).toBe(404)
  })
})

describe('health', () => {
  it('reports version, store, uptime and counts', async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    await a.push([await a.op('s', 'items', 'x')])
    const res = await a.request('GET', '/v1/health', undefined, { auth: false })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      status: 'ok',
      version: expect.any(String),
      store: { kind: 'memory', location: ':memory:' },
      uptimeMs: expect.any(Number),
      counts: { spaces: 1, ops: 1, liveOps: 1 },
    })
  })
})
