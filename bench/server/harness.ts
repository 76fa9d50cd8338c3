/** Helpers of the server benchmarks: a server in a child process, and devices that make many signed ops fast. */
import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import type { Op } from '../../src/core/op.ts'
import { createServer } from '../../server/server.ts'
import { memoryStore } from '../../server/store/memory-store.ts'
import { TestDevice } from '../../server/testing/test-device.ts'
import type { ServerProcessOptions } from './server-process.ts'

export interface ServerProcess {
  url: string
  rss(): Promise<number>
  /** CPU time the server process has used so far (user + system), µs: less noisy than wall time here. */
  cpu(): Promise<number>
  close(): Promise<void>
}

export function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child: ChildProcess = fork(
    join(import.meta.dirname, 'server-process.ts'),
    [JSON.stringify(options)],
    {
      // SYNCLINE_BENCH_NODE_ARGS adds flags to the server process (e.g. --cpu-prof).
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        ...(process.env.SYNCLINE_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  )
  const next = (type: string) =>
    new Promise<Record<string, unknown>>(resolve => {
      const on = (msg: Record<string, unknown>) => {
        if (msg.type !== type) return
        child.off('message', on)
        resolve(msg)
      }
      child.on('message', on)
    })
  return next('ready').then(ready => ({
    url: ready.url as string,
    async rss() {
      const answer = next('rss')
      child.send({ type: 'rss' })
      return (await answer).rss as number
    },
    async cpu() {
      const answer = next('cpu')
      child.send({ type: 'cpu' })
      return (await answer).cpu as number
    },
    close() {
      return new Promise<void>(resolve => {
        child.once('exit', () => resolve())
        child.send({ type: 'close' })
      })
    },
  }))
}

/** `count` signed update ops on distinct records of about 40 bytes, from `device`. */
export async function makeOps(
  device: TestDevice,
  space: string,
  count: number,
  prefix = 'rec',
): Promise<Op[]> {
  const ops: Op[] = new Array(count)
  for (let i = 0; i < count; i++) {
    ops[i] = await device.op(space, 'items', `${prefix}-${i}`, 'update', {
      title: `Item ${i}`,
      done: i % 3 === 0,
    })
  }
  return ops
}

/** Devices (keys and clocks) for making ops; their sessions are with a throwaway server. */
export async function devices(n: number): Promise<TestDevice[]> {
  const server = await createServer({ store: memoryStore(), port: 0, log: 'silent', pruneIntervalMs: 0 })
  try {
    return await Promise.all(Array.from({ length: n }, () => TestDevice.connect(server.url)))
  } finally {
    await server.close()
  }
}

export const SCHEMA = [{ name: 'items', crdt: 'lww' }]
