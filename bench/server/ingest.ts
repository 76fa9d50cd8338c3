/**
 * Ingest: ops/s accepted by a server on SQLite (synchronous=FULL), pushed over HTTP in
 * batches of 1,000 by 4 concurrent pushers, with signature checks and with a trusting
 * verifier (ids, schema and merge are still checked). Median of 3 runs, fresh database each.
 * Also the server process's CPU time per op (user + system, verification threads
 * included): on a shared machine it moves much less than the rate does.
 *
 * Then the same with 32 clients pushing one op at a time (no signature checks): each
 * push is a commit of its own unless the server groups them (group commit), so this
 * row measures commits and request handling rather than rows.
 */
import { join } from 'node:path'
import type { Op } from '../../src/core/op.ts'
import { TestDevice } from '../../server/testing/test-device.ts'
import { median, type Row } from '../lib/report.ts'
import { devices, makeOps, SCHEMA, startServerProcess } from './harness.ts'

interface Shape {
  ops: number
  batch: number
  pushers: number
}

const BULK: Shape = { ops: 40_000, batch: 1000, pushers: 4 }
const SMALL: Shape = { ops: 4000, batch: 1, pushers: 32 }

async function run(
  dir: string,
  verify: boolean,
  runIndex: number,
  ops: Op[][],
  shape: Shape,
): Promise<{ rate: number; cpuUs: number }> {
  const server = await startServerProcess({
    store: 'sqlite',
    db: join(dir, `ingest-${verify}-${shape.batch}-${runIndex}.db`),
    verify,
  })
  try {
    const pushers = await Promise.all(
      Array.from({ length: shape.pushers }, () => TestDevice.connect(server.url)),
    )
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
    return { rate: shape.ops / seconds, cpuUs: ((await server.cpu()) - cpuBefore) / shape.ops }
  } finally {
    await server.close()
  }
}

export async function benchIngest(dir: string): Promise<Row[]> {
  const rows: Row[] = []
  for (const [verify, shape] of [
    [true, BULK],
    [false, BULK],
    [false, SMALL],
  ] as const) {
    const rates: number[] = []
    const cpus: number[] = []
    for (let r = 0; r < 3; r++) {
      // Fresh ops per run (a rerun would only find duplicates), from 8 authors, made before timing.
      const authors = await devices(8)
      const all: Op[] = []
      for (let a = 0; a < authors.length; a++) {
        all.push(...(await makeOps(authors[a]!, 'bench', shape.ops / authors.length, `a${a}-r${r}`)))
      }
      const batches: Op[][] = []
      for (let i = 0; i < all.length; i += shape.batch) batches.push(all.slice(i, i + shape.batch))
      const { rate, cpuUs } = await run(dir, verify, r, batches, shape)
      rates.push(rate)
      cpus.push(cpuUs)
    }
    const what =
      shape === SMALL
        ? `1-op pushes from ${shape.pushers} clients, no signature checks`
        : verify
          ? 'signatures verified'
          : 'no signature checks'
    rows.push({
      bench: `ingest, SQLite FULL, ${what}`,
      value: Math.round(median(rates)),
      unit: 'ops/s',
      target: shape === SMALL ? '' : verify ? '>= 10,000' : '>= 100,000',
      runs: rates.map(r => Math.round(r)).join(' / '),
    })
    rows.push({
      bench: `ingest server CPU per op, ${what}`,
      value: Math.round(median(cpus) * 10) / 10,
      unit: 'us',
      target: shape === BULK && !verify ? '<= 10' : '',
      runs: cpus.map(c => c.toFixed(1)).join(' / '),
    })
  }
  return rows
}
