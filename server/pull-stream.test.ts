/**
 * The streamed pull (`oppack-stream`, docs/protocol.md): every page from `after` on in
 * one chunked answer, each page byte for byte the single-page oppack answer, gzip or
 * not; errors before the first page are ordinary JSON errors.
 */
import { request } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { OPPACK_TYPE, peekOpPack } from '../src/core/oppack.ts'
import { FrameReader, OPPACK_STREAM_TYPE } from '../src/core/oppack-stream.ts'
import { FIRST_FRAME_OPS } from './routes/pull-route.ts'
import { TestDevice } from './testing/test-device.ts'
import { startServer, TEST_SCHEMA } from './testing/test-server.ts'

/** An answer's raw bytes and headers, without fetch's decompression. */
function raw(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = request(url, { headers })
      req.on('response', res => {
        const chunks: Buffer[] = []
        res.on('data', d => chunks.push(d))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        )
      })
      req.on('error', reject)
      req.end()
    },
  )
}

async function seeded() {
  const server = await startServer()
  const a = await TestDevice.connect(server.url)
  await a.putSchema('s', TEST_SCHEMA)
  const ops = []
  for (let i = 0; i < 250; i++) ops.push(await a.op('s', 'items', `r${i}`, 'create', { title: `item ${i}` }))
  // 50 updates supersede 50 creates: a live snapshot skips those.
  for (let i = 0; i < 50; i++) ops.push(await a.op('s', 'items', `r${i * 5}`, 'update', { title: 'new' }))
  expect((await a.push(ops)).status).toBe(200)
  return { server, a }
}

/** The single-page oppack answers of a snapshot read page by page, as the old way does. */
async function pageByPage(url: string, token: string, query: string, accept: string) {
  const pages: Buffer[] = []
  let after = 0
  for (;;) {
    const res = await raw(`${url}/v1/spaces/s/ops?${query}&after=${after}`, {
      authorization: `Bearer ${token}`,
      accept,
    })
    expect(res.headers['content-type']).toBe(OPPACK_TYPE)
    pages.push(res.body)
    const { more, last } = peekOpPack(res.body)
    if (!more) return pages
    after = last
  }
}

describe('streamed pull (oppack-stream)', () => {
  it('sends every page in one answer, each the bytes of its single-page answer, gzip or not', async () => {
    const { server, a } = await seeded()
    for (const [query, ids] of [
      ['live=1&limit=40', false],
      ['live=1&limit=40', true],
      ['limit=100', false],
    ] as const) {
      const params = ids ? '; ids=1' : ''
      const expected = await pageByPage(server.url, a.token, query, `${OPPACK_TYPE}${params}`)
      expect(expected.length).toBeGreaterThan(2)
      for (const encoding of ['identity', 'gzip']) {
        const res = await raw(`${server.url}/v1/spaces/s/ops?${query}`, {
          authorization: `Bearer ${a.token}`,
          accept: `${OPPACK_STREAM_TYPE}${params}`,
          'accept-encoding': encoding,
        })
        expect(res.status).toBe(200)
        expect(res.headers['content-type']).toBe(OPPACK_STREAM_TYPE)
        expect(res.headers['transfer-encoding']).toBe('chunked')
        expect(res.headers['content-encoding']).toBe(encoding === 'gzip' ? 'gzip' : undefined)
        const body = encoding === 'gzip' ? gunzipSync(res.body) : res.body
        const reader = new FrameReader()
        const frames = reader.push(new Uint8Array(body))
        expect(reader.pending).toBe(0)
        expect(frames.map(f => Buffer.from(f))).toEqual(expected)
      }
    }
  })

  it(`holds at most ${FIRST_FRAME_OPS} ops in its first frame, so a client starts while the rest is read`, async () => {
    const server = await startServer()
    const a = await TestDevice.connect(server.url)
    await a.putSchema('s', TEST_SCHEMA)
    const ops = []
    for (let i = 0; i < FIRST_FRAME_OPS + 300; i++)
      ops.push(await a.op('s', 'items', `r${i}`, 'create', { i }))
    for (let i = 0; i < ops.length; i += 1000) expect((await a.push(ops.slice(i, i + 1000))).status).toBe(200)
    const headers = { authorization: `Bearer ${a.token}` }
    const res = await raw(`${server.url}/v1/spaces/s/ops?live=1&limit=5000`, {
      ...headers,
      accept: OPPACK_STREAM_TYPE,
    })
    const frames = new FrameReader().push(new Uint8Array(res.body)).map(f => Buffer.from(f))
    const first = await raw(`${server.url}/v1/spaces/s/ops?live=1&limit=${FIRST_FRAME_OPS}`, {
      ...headers,
      accept: OPPACK_TYPE,
    })
    const { last } = peekOpPack(first.body)
    const rest = await raw(`${server.url}/v1/spaces/s/ops?live=1&limit=5000&after=${last}`, {
      ...headers,
      accept: OPPACK_TYPE,
    })
    expect(frames).toEqual([first.body, rest.body])
  })

  it('starts from `after`, and answers errors before any page as JSON', async () => {
    const { server, a } = await seeded()
    const headers = { authorization: `Bearer ${a.token}`, accept: OPPACK_STREAM_TYPE }
    const tail = await raw(`${server.url}/v1/spaces/s/ops?after=288&limit=4`, headers)
    const frames = new FrameReader().push(new Uint8Array(tail.body))
    expect(frames.map(f => Buffer.from(f))).toEqual(
      await pageByPage(server.url, a.token, 'limit=4', OPPACK_TYPE).then(pages => pages.slice(-3)),
    )

    const missing = await fetch(`${server.url}/v1/spaces/nowhere/ops`, { headers })
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found')
    const bad = await fetch(`${server.url}/v1/spaces/s/ops?limit=0`, { headers })
    expect(bad.status).toBe(400)
  })

  it('stops reading pages for a client that went away, and goes on serving others', async () => {
    const { server, a } = await seeded()
    const headers = { authorization: `Bearer ${a.token}`, accept: OPPACK_STREAM_TYPE }
    await new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}/v1/spaces/s/ops?limit=1`, { headers })
      req.on('response', res => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', reject)
      req.end()
    })
    const after = await raw(`${server.url}/v1/spaces/s/ops?limit=100`, headers)
    expect(after.status).toBe(200)
    expect(new FrameReader().push(new Uint8Array(after.body))).toHaveLength(3)
  })
})
