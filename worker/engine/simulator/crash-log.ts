/**
 * An OpLog over the replica's "disk" (a MemoryStore that outlives the replica) that
 * can die: after `commitsLeft` more commits every call fails, as if the process had
 * gone between two transactions. What was committed stays; what was not is lost.
 */
import type { Op } from '../../../src/core/op.ts'
import { MemoryOpLog, type MemoryStore } from '../memory-oplog.ts'
import type { LoadedLog, LogSince, LogWrite, OpLog } from '../oplog.ts'

export class CrashLog implements OpLog {
  private readonly inner: MemoryOpLog
  /** Commits still allowed before the simulated crash. */
  commitsLeft = Infinity

  constructor(disk: MemoryStore) {
    this.inner = new MemoryOpLog(disk)
  }

  get dead(): boolean {
    return this.commitsLeft <= 0
  }

  private check(): void {
    if (this.dead) throw new Error('simulated crash: the replica process is gone')
  }

  async load(): Promise<LoadedLog> {
    this.check()
    return this.inner.load()
  }

  async commit(write: LogWrite): Promise<void> {
    this.check()
    this.commitsLeft--
    return this.inner.commit(write)
  }

  async readSince(afterChunk: number, afterPending: number): Promise<LogSince> {
    this.check()
    return this.inner.readSince(afterChunk, afterPending)
  }

  async compact(space: string, live: readonly Op[], upToChunk: number): Promise<void> {
    this.check()
    this.commitsLeft--
    return this.inner.compact(space, live, upToChunk)
  }

  async claimMeta<T>(key: string, value: T): Promise<T> {
    this.check()
    return this.inner.claimMeta(key, value)
  }

  async chunkCount(space: string): Promise<number> {
    this.check()
    return this.inner.chunkCount(space)
  }

  close(): void {}

  async destroy(): Promise<void> {
    return this.inner.destroy()
  }
}
