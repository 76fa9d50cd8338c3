/** Starts servers on a random port for tests, and closes them after each test. */
import { afterEach } from 'vitest'
import { createServer, type ServerOptions, type SyncServer } from '../server.ts'
import { memoryStore } from '../store/memory-store.ts'

const running: SyncServer[] = []

afterEach(async () => {
  for (const server of running.splice(0)) await server.close()
})

/** A server on 127.0.0.1, port 0, silent, with a memory store unless given one. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<SyncServer> {
  const server = await createServer({
    store: memoryStore(),
    port: 0,
    log: 'silent',
    pruneIntervalMs: 0,
    ...options,
  })
  running.push(server)
  return server
}

/** Schema used across the server tests. */
export const TEST_SCHEMA = [
  { name: 'items', crdt: 'lww' },
  { name: 'tags', crdt: 'lwwset' },
  { name: 'history', crdt: 'gset' },
  { name: 'profile', crdt: 'lww', owned: true },
  { name: 'typed', crdt: 'lww', fields: { title: 'string', done: 'boolean' } },
]
