/**
 * Ingest: ops/s accepted by a server on SQLite (synchronous=FULL), pushed over HTTP in
 * batches of 1,000 by 4 concurrent pushers, with signature checks and with a trusting
 * verifier (ids, schema and merge are still checked). Median of 3 runs, fresh database each.
 * Also the server process's CPU time per op (user + system, verification threads
 * included): on a shared machine it moves much less than the rate does.
 */
import { join } from 'node:path'
import type { Op } from '../../src/core/op.ts'
import { TestDevice } from '../../server/testing/test-device.ts'
import { median, type Row } from '../lib/report.ts'
import { devices, makeOps, SCHEMA, startServerProcess } from './harness.ts'

const OPS = 40_000
const BATCH = 1000
const PUSHERS = 4

async function run(
  dir: string,
  verify: boolean,
  runIndex: number,
  ops: Op[][],
): Promise<{ rate: number; cpuUs: number }> {
  const server = await startServerProcess({
    store: 'sqlite',
    db: join(dir, `ingest-${verify}-${runIndex}.db`),
    verify,
  })
  try {
    const pushers = await Promise.all(Array.from({ length: PUSHERS }, () => TestDevice.connect(server.url)))
    await pushers[0]!.putSchema('bench', SCHEMA)
    const bodies = ops.map(batch => JSON.stringify({ ops: batch }))
    let next = 0
    const cpuBefore = await server.cpu()
    const start = performance.now()
    await Promise.all(
      pushers.map(async p => {
        while (next < bodies.length) {
          const body = bodies[next++]!
          const res = await p.request('POST', '/v1/push', body)
          if (
            res.status !== 200 ||
            res.body.results.some((r: { status: string }) => r.status !== 'accepted')
          ) {
            throw new Error(`push failed: ${JSON.stringify(res.body).slice(0, 300)}`)
          }
        }
      }),
    )
    const seconds = (performance.now() - start) / 1000
    return { rate: OPS / seconds, cpuUs: ((await server.cpu()) - cpuBefore) / OPS }
  } finally {
    await server.close()
  }
}

export async function benchIngest(dir: string): Promise<Row[]> {
  const rows: Row[] = []
  for (const verify of [true, false]) {
    const rates: number[] = []
    const cpus: number[] = []
    for (let r = 0; r < 3; r++) {
      // Fresh ops per run (a rerun would only find duplicates), from 8 authors, made before timing.
      const authors = await devices(8)
      const all: Op[] = []
      for (let a = 0; a < authors.length; a++) {
        all.push(...(await makeOps(authors[a]!, 'bench', OPS / authors.length, `a${a}-r${r}`)))
      }
      const batches: Op[][] = []
      for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH))
      const { rate, cpuUs } = await run(dir, verify, r, batches)
      rates.push(rate)
      cpus.push(cpuUs)
    }
    rows.push({
      bench: `ingest, SQLite FULL, ${verify ? 'signatures verified' : 'no signature checks'}`,
      value: Math.round(median(rates)),
      unit: 'ops/s',
      target: verify ? '>= 10,000' : '>= 100,000',
      runs: rates.map(r => Math.round(r)).join(' / '),
    })
    rows.push({
      bench: `ingest server CPU per op, ${verify ? 'signatures verified' : 'no signature checks'}`,
      value: Math.round(median(cpus) * 10) / 10,
      unit: 'us',
      target: verify ? '' : '<= 10',
      runs: cpus.map(c => c.toFixed(1)).join(' / '),
    })
  }
  return rows
}
