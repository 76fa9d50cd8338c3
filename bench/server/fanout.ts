/**
 * Live fan-out: 1,000 WebSocket clients subscribed to one space, one writer pushing
 * ops over its socket (20 per second for 10 s); latency from the writer's send to each
 * client's receipt (all clients live in this process, so their own parsing counts),
 * and the server's RSS with all sockets open. Server on SQLite FULL, signatures verified.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { TestDevice } from '../../server/testing/test-device.ts'
import { percentile, type Row } from '../lib/report.ts'
import { SCHEMA, startServerProcess } from './harness.ts'

const CLIENTS = 1000
const OPS = 200
const INTERVAL_MS = 50

export async function benchFanout(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'syncline-fanout-'))
  const server = await startServerProcess({ store: 'sqlite', db: join(dir, 'fanout.db'), verify: true })
  try {
    const writer = await TestDevice.connect(server.url)
    await writer.putSchema('bench', SCHEMA)
    await writer.push([await writer.op('bench', 'items', 'genesis')])
    const reader = await TestDevice.connect(server.url)
    const rssBefore = await server.rss()
    const sent = new Map<string, number>()
    const latencies: number[] = []
    let delivered = 0
    const sockets: WebSocket[] = []
    const url = `${server.url.replace('http', 'ws')}/v1/live?token=${reader.token}`
    for (let i = 0; i < CLIENTS; i++) {
      const ws = new WebSocket(url)
      await new Promise((resolve, reject) => {
        ws.once('open', resolve)
        ws.once('error', reject)
      })
      ws.on('message', data => {
        const at = performance.now()
        const msg = JSON.parse(String(data))
        if (msg.type === 'ping') ws.send('{"type":"pong"}')
        if (msg.type !== 'ops') return
        for (const entry of msg.ops) {
          const start = sent.get(entry.op.id)
          if (start !== undefined) {
            latencies.push(at - start)
            delivered++
          }
        }
      })
      ws.send(JSON.stringify({ type: 'subscribe', spaces: [{ space: 'bench', after: 1 }] }))
      sockets.push(ws)
    }
    // Let every subscription settle before the first op.
    await new Promise(resolve => setTimeout(resolve, 1000))
    const rssConnected = await server.rss()
    const ops = []
    for (let i = 0; i < OPS; i++)
      ops.push(await writer.op('bench', 'items', `r${i}`, 'update', { title: `Item ${i}`, done: false }))
    const ws = await writer.live()
    for (const op of ops) {
      sent.set(op.id, performance.now())
      ws.send({ type: 'push', ref: 0, ops: [op] })
      await new Promise(resolve => setTimeout(resolve, INTERVAL_MS))
    }
    const deadline = Date.now() + 30_000
    while (delivered < CLIENTS * OPS && Date.now() < deadline)
      await new Promise(resolve => setTimeout(resolve, 100))
    const rssPeak = await server.rss()
    await ws.close()
    for (const s of sockets) s.close()
    return [
      {
        bench: `fan-out to ${CLIENTS} WS clients, delivered`,
        value: delivered,
        unit: 'deliveries',
        target: CLIENTS * OPS,
        runs: 1,
      },
      {
        bench: `fan-out to ${CLIENTS} WS clients, p50`,
        value: percentile(latencies, 50),
        unit: 'ms',
        target: '',
        runs: 1,
      },
      {
        bench: `fan-out to ${CLIENTS} WS clients, p99`,
        value: percentile(latencies, 99),
        unit: 'ms',
        target: '<= 100',
        runs: 1,
      },
      { bench: 'server RSS, idle', value: Math.round(rssBefore / 2 ** 20), unit: 'MiB', target: '', runs: 1 },
      {
        bench: `server RSS, ${CLIENTS} sockets connected`,
        value: Math.round(rssConnected / 2 ** 20),
        unit: 'MiB',
        target: '<= 300',
        runs: 1,
      },
      {
        bench: `server RSS, after ${OPS} ops fanned out`,
        value: Math.round(rssPeak / 2 ** 20),
        unit: 'MiB',
        target: '<= 300',
        runs: 1,
      },
    ]
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
