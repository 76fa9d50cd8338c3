/**
 * A sync server in its own process for the benchmarks, so that the load generator
 * does not share its event loop, and so its memory can be measured alone. Started
 * with fork(); options come as JSON in argv[2]; it answers IPC messages
 * 'rss' -> {rss}, 'cpu' -> {cpu} (user + system µs so far) and 'close' -> exit.
 */
import type { Verifier } from '../../src/core/ed25519.ts'
import { createServer } from '../../server/server.ts'
import { memoryStore } from '../../server/store/memory-store.ts'
import { sqliteStore } from '../../server/store/sqlite-store.ts'

export interface ServerProcessOptions {
  store: 'sqlite' | 'memory'
  db?: string
  /** false: a verifier that trusts every signature (ingest without signature checks). */
  verify: boolean
  synchronous?: 'full' | 'normal'
}

const options = JSON.parse(process.argv[2] ?? '{}') as ServerProcessOptions
const trusting: Verifier = { backend: 'trusting', verify: async () => true }
const server = await createServer({
  store:
    options.store === 'sqlite'
      ? sqliteStore(options.db!, { synchronous: options.synchronous })
      : memoryStore(),
  port: 0,
  log: 'error',
  pruneIntervalMs: 0,
  verifier: options.verify ? undefined : trusting,
})
process.send!({ type: 'ready', url: server.url })
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'rss') {
    global.gc?.()
    process.send!({ type: 'rss', rss: process.memoryUsage().rss })
  }
  if (msg.type === 'cpu') {
    const { user, system } = process.cpuUsage()
    process.send!({ type: 'cpu', cpu: user + system })
  }
  if (msg.type === 'close') server.close().then(() => process.exit(0))
})
