/**
 * Cold sync bytes and time: 100,000 live records (about 40 bytes of fields each) read
 * as a live snapshot in pages of 10,000, as JSON, JSON with gzip, and the compact
 * encoding with gzip (and with ids). Bytes are what crosses the wire; time is until
 * the last page is decoded (JSON.parse, or decodeOpPack which recomputes ids).
 *
 * The server's share: the same snapshot in pages of 5,000 (oppack + gzip), each page
 * timed from request to last byte with no decoding, first as read from the store
 * (every page is new to the server's page cache), then again from the cache; and the
 * whole snapshot streamed in one answer (`oppack-stream`), from the store (a server
 * just started) and then from the cache, with the server's CPU time for it.
 */
import { request } from 'node:http'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { decodeOpPack, OPPACK_TYPE } from '../../src/core/oppack.ts'
import { FrameReader, OPPACK_STREAM_TYPE } from '../../src/core/oppack-stream.ts'
import { TestDevice } from '../../server/testing/test-device.ts'
import { median, type Row } from '../lib/report.ts'
import { devices, makeOps, SCHEMA, type ServerProcess, startServerProcess } from './harness.ts'

const RECORDS = 100_000
const PAGE = 10_000
const SERVE_PAGE = 5_000

function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ bytes: number; body: Buffer; gzip: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers })
    req.on('response', res => {
      const chunks: Buffer[] = []
      res.on('data', d => chunks.push(d))
      res.on('end', () => {
        const raw = Buffer.concat(chunks)
        const gzip = res.headers['content-encoding'] === 'gzip'
        resolve({ bytes: raw.length, body: gzip ? gunzipSync(raw) : raw, gzip })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

async function snapshot(url: string, device: TestDevice, accept: string, encoding: string) {
  let after = 0
  let bytes = 0
  let ops = 0
  const start = performance.now()
  for (;;) {
    const res = await get(`${url}/v1/spaces/bench/ops?live=1&limit=${PAGE}&after=${after}`, {
      authorization: `Bearer ${device.token}`,
      accept,
      'accept-encoding': encoding,
    })
    bytes += res.bytes
    if (accept.startsWith(OPPACK_TYPE)) {
      const page = decodeOpPack(new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.length))
      ops += page.ops.length
      if (!page.more) break
      after = page.ops[page.ops.length - 1]!.seq
    } else {
      const page = JSON.parse(res.body.toString('utf8'))
      ops += page.ops.length
      if (!page.more) break
      after = page.ops[page.ops.length - 1].seq
    }
  }
  if (ops !== RECORDS) throw new Error(`snapshot had ${ops} ops`)
  return { bytes, seconds: (performance.now() - start) / 1000 }
}

/** Each page's request-to-last-byte time (ms) and bytes, for the whole snapshot in pages of SERVE_PAGE. */
async function servePages(url: string, device: TestDevice) {
  const pages: { ms: number; bytes: number }[] = []
  for (let after = 0, more = true; more;) {
    const start = performance.now()
    const res = await get(`${url}/v1/spaces/bench/ops?live=1&limit=${SERVE_PAGE}&after=${after}`, {
      authorization: `Bearer ${device.token}`,
      accept: OPPACK_TYPE,
      'accept-encoding': 'gzip',
    })
    pages.push({ ms: performance.now() - start, bytes: res.bytes })
    const page = decodeOpPack(new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.length))
    more = page.more
    after = page.ops[page.ops.length - 1]!.seq
  }
  if (pages.length !== RECORDS / SERVE_PAGE) throw new Error(`snapshot had ${pages.length} pages`)
  return pages
}

/** The whole snapshot in one streamed answer: time to its last byte, its bytes, the server's CPU time. */
async function serveStream(server: ServerProcess, device: TestDevice, label: string): Promise<Row[]> {
  const cpu = await server.cpu()
  const start = performance.now()
  const res = await get(`${server.url}/v1/spaces/bench/ops?live=1&limit=${SERVE_PAGE}`, {
    authorization: `Bearer ${device.token}`,
    accept: OPPACK_STREAM_TYPE,
    'accept-encoding': 'gzip',
  })
  const seconds = (performance.now() - start) / 1000
  const serverCpu = ((await server.cpu()) - cpu) / 1e6
  const frames = new FrameReader().push(new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.length))
  const ops = frames.reduce((sum, frame) => sum + decodeOpPack(frame).ops.length, 0)
  if (ops !== RECORDS) throw new Error(`the stream had ${ops} ops`)
  const what = `${RECORDS / 1000}k cold sync streamed in one answer, ${label}`
  return [
    { bench: `${what}, time`, value: seconds, unit: 's', target: '< 0.5', runs: 1 },
    { bench: `${what}, server CPU`, value: serverCpu, unit: 's', target: '', runs: 1 },
    { bench: `${what}, bytes`, value: res.bytes, unit: 'bytes', target: '<= 9 MB', runs: 1 },
  ]
}

function serveRows(label: string, pages: { ms: number; bytes: number }[]): Row[] {
  const total = pages.reduce((sum, p) => sum + p.ms, 0)
  return [
    {
      bench: `snapshot page serve, ${SERVE_PAGE.toLocaleString('en')} live ops, ${label}`,
      value: median(pages.map(p => p.ms)),
      unit: 'ms',
      target: '',
      runs: pages.length,
    },
    {
      bench: `snapshot page bytes, ${SERVE_PAGE.toLocaleString('en')} live ops (oppack + gzip)`,
      value: median(pages.map(p => p.bytes)),
      unit: 'bytes',
      target: '',
      runs: pages.length,
    },
    {
      bench: `${RECORDS / 1000}k cold sync server time, ${label}`,
      value: total / 1000,
      unit: 's',
      target: '< 0.5',
      runs: 1,
    },
  ]
}

export async function benchColdSync(dir: string): Promise<Row[]> {
  const options = { store: 'sqlite', db: join(dir, 'cold.db'), verify: false, synchronous: 'normal' } as const
  let server = await startServerProcess(options)
  try {
    // Ops are made first (slow), then sessions opened: an idle keep-alive socket would be closed under us.
    const [writer] = await devices(1)
    const ops = await makeOps(writer!, 'bench', RECORDS)
    writer!.url = server.url
    await writer!.login()
    const reader = await TestDevice.connect(server.url)
    await writer!.putSchema('bench', SCHEMA)
    for (let i = 0; i < ops.length; i += 1000) await writer!.push(ops.slice(i, i + 1000))
    const rows = await serveStream(server, reader, 'from the store')
    rows.push(...(await serveStream(server, reader, 'cached')))
    // A new server process: its page cache is empty again (sessions are in the file).
    await server.close()
    server = await startServerProcess(options)
    reader.url = server.url
    writer!.url = server.url
    rows.push(
      ...serveRows('from the store', await servePages(server.url, reader)),
      ...serveRows('cached', await servePages(server.url, reader)).filter(
        r => !String(r.bench).includes('bytes'),
      ),
    )
    const variants: [string, string, string][] = [
      ['JSON', 'application/json', 'identity'],
      ['JSON + gzip', 'application/json', 'gzip'],
      ['oppack + gzip', OPPACK_TYPE, 'gzip'],
      ['oppack with ids + gzip', `${OPPACK_TYPE}; ids=1`, 'gzip'],
    ]
    for (const [label, accept, encoding] of variants) {
      const r = await snapshot(server.url, reader, accept, encoding)
      rows.push({
        bench: `cold sync ${RECORDS / 1000}k records, ${label}, bytes`,
        value: r.bytes,
        unit: 'bytes',
        target: '<= 9 MB',
        runs: 1,
      })
      rows.push({
        bench: `cold sync ${RECORDS / 1000}k records, ${label}, time`,
        value: r.seconds,
        unit: 's',
        target: '',
        runs: 1,
      })
    }
    return rows
  } finally {
    await server.close()
  }
}
