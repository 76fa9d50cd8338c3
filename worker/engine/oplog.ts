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

/** The ops of a stored page. */
export function opsOfPage(page: Pick<PackedPage, 'bytes' | 'ids'>): Op[] {
  return decodeOpPack(page.bytes, page.ids).ops.map(entry => entry.op)
}

/** One durable transaction. Everything in it lands, or nothing does. */
export interface LogWrite {
  /** Ops to append (local or from the server), any spaces. */
  ops?: readonly Op[]
  /** Pages of server ops to append as they came (see PackedPage). */
  pages?: readonly PackedPage[]
  /** Local ops the server has not acknowledged yet. */
  pendingAdd?: readonly Op[]
  /** Ids of pending ops the server acknowledged (accepted or duplicate). */
  pendingRemove?: readonly string[]
  /** Small key-value state: clock, cursors, schemas, identity. */
  meta?: Readonly<Record<string, unknown>>
}

export interface LoadedLog {
  /** Every stored op, by space, in append order (duplicates possible across chunks). */
  ops: Map<string, Op[]>
  pending: Op[]
  meta: Map<string, unknown>
  /** The newest chunk key read: compaction only replaces chunks up to it. */
  lastChunk: number
}

export interface OpLog {
  load(): Promise<LoadedLog>
  commit(write: LogWrite): Promise<void>
  /** Reads chunks appended after `afterChunk` (by other tabs): what `load` would add. */
  readSince(afterChunk: number): Promise<{ ops: Op[]; lastChunk: number }>
  /**
   * Replaces the chunks of `space` up to `upToChunk` by `live` packed in pages.
   * Chunks appended later (another tab's writes) are kept.
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
