/**
 * Server benchmarks (issue 4, TARGETS.md): ingest on SQLite with and without signature
 * checks, live fan-out to 1,000 WebSocket clients (latency and server RSS),
 * push-to-delivery latency between two WebSocket clients, and the bytes of a
 * 100,000-record cold sync in JSON and in the compact encoding.
 *
 *   npx tsx bench/server/index.ts [ingest|fanout|latency|coldsync]...
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { printTable, type Row, writeResults } from '../lib/report.ts'
import { benchColdSync } from './cold-sync.ts'
import { benchFanout } from './fanout.ts'
import { benchIngest } from './ingest.ts'
import { benchLatency } from './latency.ts'

const which = new Set(process.argv.slice(2))
const all = which.size === 0
const dir = mkdtempSync(join(tmpdir(), 'syncline-bench-'))
const rows: Row[] = []
try {
  if (all || which.has('ingest')) rows.push(...(await benchIngest(dir)))
  if (all || which.has('latency')) rows.push(...(await benchLatency()))
  if (all || which.has('fanout')) rows.push(...(await benchFanout()))
  if (all || which.has('coldsync')) rows.push(...(await benchColdSync(dir)))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
printTable('Syncline server', rows)
console.log(`\nwrote ${writeResults('server', rows)}`)
