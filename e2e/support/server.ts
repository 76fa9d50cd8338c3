/**
 * A real sync server for end-to-end tests: the `syncline-server` command in a child
 * process on SQLite, stopped by PID (SIGTERM, or SIGKILL to simulate a crash).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RunningServer {
  url: string
  port: number
  db: string
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** A free TCP port on loopback (so a restarted server can come back on the same one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export async function startServer(options: { port?: number; db?: string } = {}): Promise<RunningServer> {
  const port = options.port ?? (await freePort())
  const db = options.db ?? join(mkdtempSync(join(tmpdir(), 'syncline-e2e-')), 'server.db')
  const child: ChildProcess = spawn(
    process.execPath,
    ['server/bin/syncline-server.mjs', '--port', String(port), '--db', db, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  await new Promise<void>((resolve, reject) => {
    child.once('exit', code => reject(new Error(`server exited with ${code}`)))
    child.stdout!.on('data', chunk => {
      if (String(chunk).includes('listening on')) resolve()
    })
  })
  child.removeAllListeners('exit')
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    stop: (signal = 'SIGTERM') =>
      new Promise(resolve => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill(signal)
      }),
  }
}
