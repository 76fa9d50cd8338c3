/**
 * The service worker's server client against a real sync server (PROTOCOL.md §7-8):
 * pushes with the engine's token, logs in as the device when it has none or it
 * expired, and turns every failure into an outcome the replay can act on.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { toBase64url } from '../../src/core/bytes.ts'
import { nobleEd25519 } from '../../src/core/ed25519.ts'
import { type Op, signOp } from '../../src/core/op.ts'
import { createClock, instanceId, msToNs } from '../../src/core/uhlc.ts'
import { startServer } from '../../server/testing/test-server.ts'
import { importDeviceKey } from './device-key.ts'
import { createServerClient, type FetchLike } from './server-client.ts'

async function device() {
  const seed = new Uint8Array(randomBytes(32))
  const signer = await nobleEd25519.importSigner(seed)
  const id = toBase64url(signer.publicKey)
  const clock = createClock({ id: instanceId(randomBytes(16)), physicalNs: () => msToNs(Date.now()) })
  const space = `space-${toBase64url(randomBytes(6))}`
  let n = 0
  /** Ops of a fresh space: its genesis, then updates of the same `_members` record. */
  const ops = (count: number): Promise<Op[]> =>
    Promise.all(
      Array.from({ length: count }, () =>
        signOp(
          {
            space,
            collection: '_members',
            record: id,
            action: n++ === 0 ? 'create' : 'update',
            fields: { access: 'admin' },
            hlc: clock.now(),
            author: id,
          },
          signer,
        ),
      ),
    )
  return { seed, id, ops, key: await importDeviceKey(seed) }
}

/** fetch that counts the requests by path. */
function counting(): { fetch: FetchLike; paths: string[] } {
  const paths: string[] = []
  return {
    paths,
    fetch: (input, init) => {
      paths.push(new URL(input).pathname)
      return fetch(input, init)
    },
  }
}

describe('device keys: the session key from the replica’s seed (WebCrypto)', () => {
  it('derives the same device id as the engine (noble) from a seed', async () => {
    const d = await device()
    expect(d.key.device).toBe(d.id)
  })
})

describe('service worker pushes: sessions and outcomes (PROTOCOL.md §7-8)', () => {
  it('logs in as the device with its key when it has no token, and pushes', async () => {
    const server = await startServer()
    const d = await device()
    const net = counting()
    const client = createServerClient({
      fetch: net.fetch,
      keyOf: async id => (id === d.id ? d.key : undefined),
    })
    const ops = await d.ops(2)
    const outcome = await client.push(server.url, d.id, ops)
    expect(outcome).toMatchObject({
      kind: 'answered',
      results: ops.map(op => ({ id: op.id, status: 'accepted' })),
    })
    expect(net.paths).toEqual(['/v1/challenge', '/v1/session', '/v1/push'])
    // The session is kept: the next push needs no login, and a repeat is a duplicate.
    const again = await client.push(server.url, d.id, ops)
    expect(again).toMatchObject({ results: ops.map(op => ({ id: op.id, status: 'duplicate' })) })
    expect(net.paths.slice(3)).toEqual(['/v1/push'])
  })

  it('uses the token a page pushed with, and logs in afresh once it is refused', async () => {
    const server = await startServer()
    const d = await device()
    const net = counting()
    const client = createServerClient({ fetch: net.fetch, keyOf: async () => d.key })
    client.remember(server.url, d.id, 'an-expired-token')
    const outcome = await client.push(server.url, d.id, await d.ops(1))
    expect(outcome.kind).toBe('answered')
    expect(net.paths).toEqual(['/v1/push', '/v1/challenge', '/v1/session', '/v1/push'])
  })

  it('without a token or the device’s key the ops wait (no-session), nothing is sent', async () => {
    const server = await startServer()
    const d = await device()
    const net = counting()
    const client = createServerClient({ fetch: net.fetch, keyOf: async () => undefined })
    expect(await client.push(server.url, d.id, await d.ops(1))).toMatchObject({ kind: 'no-session' })
    expect(net.paths).toEqual([])
  })

  it('a key that is not the device’s gives no session: the ops wait, they are not rejected', async () => {
    const server = await startServer()
    const [d, other] = [await device(), await device()]
    const client = createServerClient({ fetch, keyOf: async () => ({ ...other.key, device: d.id }) })
    expect(await client.push(server.url, d.id, await d.ops(1))).toMatchObject({ kind: 'no-session' })
  })

  it('a stopped server is unreachable', async () => {
    const server = await startServer()
    const url = server.url
    await server.close()
    const d = await device()
    const client = createServerClient({ fetch, keyOf: async () => d.key })
    expect(await client.push(url, d.id, await d.ops(1))).toMatchObject({ kind: 'unreachable' })
  })

  it('a 5xx or 429 is unreachable, a 4xx for the whole batch is refused with its code', async () => {
    const d = await device()
    const answer =
      (status: number, body: unknown): FetchLike =>
      async () =>
        Response.json(body, { status })
    const ops = await d.ops(1)
    const push = (f: FetchLike) => {
      const client = createServerClient({ fetch: f, keyOf: async () => d.key })
      client.remember('http://s.test', d.id, 'token')
      return client.push('http://s.test', d.id, ops)
    }
    expect(await push(answer(503, {}))).toMatchObject({ kind: 'unreachable' })
    expect(await push(answer(429, { error: { code: 'rate_limited', message: 'slow' } }))).toMatchObject({
      kind: 'unreachable',
    })
    expect(await push(answer(413, { error: { code: 'too_large', message: 'big' } }))).toEqual({
      kind: 'refused',
      error: { code: 'too_large', message: 'big' },
    })
    expect(await push(async () => new Response('<html>', { status: 400 }))).toMatchObject({
      kind: 'refused',
      error: { code: 'malformed' },
    })
  })

  it('the server’s per-op rejections come back as results with codes', async () => {
    const server = await startServer()
    const d = await device()
    const client = createServerClient({ fetch, keyOf: async () => d.key })
    const [op] = await d.ops(1)
    const forged = { ...op!, sig: toBase64url(new Uint8Array(64)) }
    const outcome = await client.push(server.url, d.id, [forged])
    expect(outcome).toMatchObject({
      kind: 'answered',
      results: [{ id: op!.id, status: 'rejected', error: { code: 'bad_signature' } }],
    })
  })
})
