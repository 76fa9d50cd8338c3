/**
 * Push-to-delivery latency between two WebSocket clients through the server (SQLite,
 * synchronous=FULL, signatures verified): A pushes one op over its socket, B is
 * subscribed; the time from A's send to B's receipt, one op at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestDevice } from '../../server/testing/test-device.ts'
import { percentile, type Row } from '../lib/report.ts'
import { SCHEMA, startServerProcess } from './harness.ts'

const ROUNDS = 2000

export async function benchLatency(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'syncline-latency-'))
  const server = await startServerProcess({ store: 'sqlite', db: join(dir, 'latency.db'), verify: true })
  try {
    const a = await TestDevice.connect(server.url)
    const b = await TestDevice.connect(server.url)
    await a.putSchema('bench', SCHEMA)
    const ops = []
    for (let i = 0; i < ROUNDS + 200; i++)
      ops.push(await a.op('bench', 'items', `r${i}`, 'update', { title: `Item ${i}`, done: false }))
    const sa = await a.live()
    const sb = await b.live()
    sb.subscribe([{ space: 'bench', after: 0 }])
    sb.send({ type: 'ping' })
    await sb.next(m => m.type === 'pong')
    const latencies: number[] = []
    let waiting: ((t: number) => void) | undefined
    sb.ws.on('message', () => waiting?.(performance.now()))
    for (let i = 0; i < ops.length; i++) {
      const received = new Promise<number>(resolve => {
        waiting = resolve
      })
      const start = performance.now()
      sa.send({ type: 'push', ref: i, ops: [ops[i]] })
      const at = await received
      if (i >= 200) latencies.push(at - start) // the first 200 warm up
    }
    await sa.close()
    await sb.close()
    return [
      {
        bench: 'push -> delivery, WS A -> server -> WS B, p50',
        value: percentile(latencies, 50),
        unit: 'ms',
        target: '<= 2',
        runs: ROUNDS,
      },
      {
        bench: 'push -> delivery, WS A -> server -> WS B, p99',
        value: percentile(latencies, 99),
        unit: 'ms',
        target: '<= 8',
        runs: ROUNDS,
      },
    ]
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
