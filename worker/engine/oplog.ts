/**
 * The engine's durable storage (ARCHITECTURE.md: one small interface, an IndexedDB
 * implementation in the browser and an in-memory one for tests, one conformance suite).
 *
 * The log is append-only chunks of ops: each commit writes its ops as one chunk per
 * space, so a single local write costs one small value and a snapshot page of 1,000
 * ops costs one value too (IndexedDB charges about 75 µs per value whatever its size,
 * TARGETS.md). Compaction rewrites a space's chunks as packed pages of its live ops.
 * Records are not stored: the engine rebuilds them from the live ops at start, which
 * is the same work as reading materialised pages and keeps one source of truth.
 */
import type { Op } from '../../src/core/op.ts'
import { decodeOpPack } from '../../src/core/oppack.ts'

/**
 * A page of server ops kept as the bytes it came in (oppack, PROTOCOL.md §7) with its
 * op ids. Stored as one value, whose copy into IndexedDB is a memcpy: the same ops as
 * objects cost about 5 µs each to clone, a quarter of a cold start's work on the
 * engine's thread. The log decodes it when it is read.
 */
export interface PackedPage {
  space: string
  /** The page's bytes (oppack). */
  bytes: Uint8Array
  /** Its op ids, 64 hex digits each in page order (`opPackIds`): reading never rehashes. */
  ids: string
}

/** The page to store: its bytes copied out when they are a view (storing one stores its whole buffer). */
export function pageToStore(page: PackedPage): PackedPage {
  const { space, bytes, ids } = page
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
  return { space, bytes: whole ? bytes : bytes.slice(), ids }
}

/** What a log keeps per append: a commit's ops of one space, or a page as it came. */
export type StoredChunk = { space: string; ops: Op[] } | PackedPage

/** The ops of a stored chunk (a page is decoded). */
export function chunkOps(chunk: StoredChunk): Op[] {
  return 'ops' in chunk ? chunk.ops : decodeOpPack(chunk.bytes, chunk.ids).ops.map(entry => entry.op)
}

/**
 * One durable transaction. Everything in it lands, or nothing does.
 *
 * Local ops enter the log as pending (`pendingAdd`) and stay in it when acknowledged:
 * they are kept apart until then, so that a local write is one value in one store
 * (IndexedDB charges per value and per store a transaction spans: a write that also
 * appended a chunk was about 40 % slower awaited one by one).
 */
export interface LogWrite {
  /** Ops to append, any spaces: ops from the server (local ones come as `pendingAdd`). */
  ops?: readonly Op[]
  /** Pages of server ops to append as they came (see PackedPage). */
  pages?: readonly PackedPage[]
  /** Local ops the server has not acknowledged yet: in the log, and pending. */
  pendingAdd?: readonly Op[]
  /** Ids of pending ops the server acknowledged (accepted or duplicate): in the log, no longer pending. */
  acknowledged?: readonly string[]
  /** Ids of pending ops taken out of the log (rejected, re-stamped: `compact` drops the rest). */
  pendingRemove?: readonly string[]
  /** Small key-value state: clock, cursors, schemas, identity. */
  meta?: Readonly<Record<string, unknown>>
}

export interface LoadedLog {
  /**
   * Every op in the log, by space: the appended ones in append order, then the pending
   * ones (duplicates possible).
   */
  ops: Map<string, Op[]>
  /** The pending ops, in the order they were added. */
  pending: Op[]
  meta: Map<string, unknown>
  /** The newest chunk key read: compaction only replaces chunks up to it. */
  lastChunk: number
  /** The newest pending key read (pending values are keyed apart from chunks). */
  lastPending: number
}

export interface LogSince {
  ops: Op[]
  lastChunk: number
  lastPending: number
}

export interface OpLog {
  load(): Promise<LoadedLog>
  commit(write: LogWrite): Promise<void>
  /**
   * What other tabs added since `load` (or the last call) read up to the given keys: the
   * ops of chunks appended after `afterChunk` (acknowledged ops moved into the log
   * included), then the ops still pending that were added after `afterPending`.
   */
  readSince(afterChunk: number, afterPending: number): Promise<LogSince>
  /**
   * Replaces the chunks of `space` up to `upToChunk` by `live` packed in pages.
   * Chunks appended later (another tab's writes) are kept, and so are pending ops:
   * `live` holds none of them.
   */
  compact(space: string, live: readonly Op[], upToChunk: number): Promise<void>
  /**
   * Stores `value` under `key` unless a value is there already, and returns what is
   * stored, atomically: two tabs creating a device identity at once agree on one.
   */
  claimMeta<T>(key: string, value: T): Promise<T>
  /** Number of stored values of a space's chunks, for deciding when to compact. */
  chunkCount(space: string): Promise<number>
  close(): void
  /** Deletes everything (a reset, or a test's cleanup). */
  destroy(): Promise<void>
}

/** Ops per packed page when compacting or storing a snapshot. */
export const PAGE_SIZE = 1000

/** `ops` by space, each list in the order given. */
export function groupBySpace(ops: readonly Op[]): Map<string, Op[]> {
  const bySpace = new Map<string, Op[]>()
  for (const op of ops) {
    const list = bySpace.get(op.space)
    if (list) list.push(op)
    else bySpace.set(op.space, [op])
  }
  return bySpace
}
