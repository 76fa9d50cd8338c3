/**
 * Pulling a space up to the server's head (PROTOCOL.md §7) in the compact encoding
 * (`oppack`), one transaction per page (`applyRemote` stores, merges and advances the
 * cursor together). A space with no cursor yet starts cold from the live snapshot
 * (`live=1`: superseded ops skipped) with progress from the server's `total`; a cursor
 * below the horizon (`resync`) reads the live snapshot after its cursor, which gives
 * the same state as the pruned stream (live(live(A) ∪ B) = live(A ∪ B), §4).
 */
import { SynclineError } from '../../../src/core/errors.ts'
import type { Op } from '../../../src/core/op.ts'
import { decodeOpPack, OPPACK_TYPE, type OpPackPage, peekOpPack } from '../../../src/core/oppack.ts'
import { FrameReader, OPPACK_STREAM_TYPE } from '../../../src/core/oppack-stream.ts'
import type { Replica } from '../replica.ts'
import { type HttpClient, isNetworkError, NetworkError } from './http.ts'
import type { HashIds } from './id-hasher.ts'
import type { KeyedQueue } from './serial.ts'
import type { StatusHub } from './status.ts'

export interface PullDeps {
  http: HttpClient
  replica: Replica
  spaces: KeyedQueue
  status: StatusHub
  /** Called with the ops of every page once stored (the background signature checks). */
  stored(space: string, ops: readonly Op[]): void
  /** Holds the background checks back during a snapshot; returns the release. */
  holdChecks(): () => void
  /** Ops per page of the stream. */
  pageSize: number
  /** Ops per page of a snapshot (cold start, resync): larger, fewer round trips. */
  snapshotPageSize: number
  /** Hashes the op ids of snapshot pages on another thread; without it they are hashed here. */
  hashIds?: HashIds
  /** The helper is used for snapshots of at least this many ops (HELPER_MIN_OPS). */
  helperMinOps?: number
}

/**
 * A snapshot smaller than this is hashed on the engine's thread: starting the helper
 * (the engine's module loaded once more) and warming its code took longer than hashing
 * 10,000 ops here, and the engine's thread sat idle waiting for its answers.
 */
export const HELPER_MIN_OPS = 20_000

/** Pulls `space` to the head; false when the server has no such space (yet). */
export async function pullSpace(deps: PullDeps, space: string): Promise<boolean> {
  if (deps.replica.cursor(space) === 0 && !(await readSnapshot(deps, space))) return false
  for (;;) {
    const after = deps.replica.cursor(space)
    const page = await fetchPage(deps, space, after, false)
    if (!page) return false
    if (page.resync) {
      await readSnapshot(deps, space)
      continue
    }
    const last = page.ops[page.ops.length - 1]?.seq
    await apply(deps, space, page, last)
    if (!page.more) return true
  }
}

/**
 * Reads the live snapshot after the space's cursor, reporting progress; false when the
 * server has no such space. The whole snapshot comes in one streamed answer
 * (`oppack-stream`): no round trip or CORS preflight per page. Each page is stored
 * with its cursor as it arrives while the next ones come in; the next page is decoded
 * while this one is written. An answer cut short is asked for again from the last
 * page stored; a server that answers one page at a time (plain oppack) is asked page
 * after page the same way.
 */
export async function readSnapshot(deps: PullDeps, space: string): Promise<boolean> {
  let done = 0
  const release = deps.holdChecks()
  try {
    for (;;) {
      let storing: Promise<void> | undefined
      let stored = 0
      let last: OpPackPage | undefined
      try {
        const pages = await snapshotPages(deps, space, deps.replica.cursor(space))
        if (!pages) return false
        for await (const { bytes, ids } of hashedAhead(
          pages,
          deps.hashIds,
          deps.helperMinOps ?? HELPER_MIN_OPS,
        )) {
          const page = decodePage(space, bytes, await ids)
          const end = page.ops[page.ops.length - 1]?.seq ?? page.after
          // The last page covers every live op up to the head it was read at: what lies
          // between its last op and that head is superseded.
          const applying = apply(deps, space, page, page.more ? end : Math.max(end, page.head))
          applying.catch(() => undefined) // awaited in its turn
          await storing
          storing = applying.then(() => {
            stored++
            done += page.ops.length
            deps.status.set({ progress: { space, done, total: Math.max(page.total, done) } })
          })
          last = page
          if (!page.more) break
        }
        await storing
        if (last && !last.more) return true
      } catch (error) {
        // What was stored stays; a cut answer that brought pages is asked for again.
        await storing?.catch(() => undefined)
        if (stored === 0 || !isNetworkError(error)) throw error
        continue
      }
      if (stored === 0) throw new SynclineError('malformed', 'the server ended a snapshot without a page')
    }
  } finally {
    release()
    deps.status.set({ progress: null })
  }
}

/** The snapshot's pages after `after` as they arrive, or undefined when the server has no such space. */
async function snapshotPages(
  deps: PullDeps,
  space: string,
  after: number,
): Promise<AsyncIterable<Uint8Array> | undefined> {
  const path = `/v1/spaces/${encodeURIComponent(space)}/ops?after=${after}&limit=${deps.snapshotPageSize}&live=1`
  let answer: { type: string; chunks: AsyncIterable<Uint8Array> }
  try {
    answer = await deps.http.chunks(path, `${OPPACK_STREAM_TYPE}, ${OPPACK_TYPE}`)
  } catch (error) {
    if (error instanceof SynclineError && error.code === 'not_found') return undefined
    throw error
  }
  return answer.type.startsWith(OPPACK_STREAM_TYPE) ? frames(answer.chunks) : whole(answer.chunks)
}

/** Pages hashed on another thread ahead of the one being decoded, stored and merged. */
const HASHED_AHEAD = 3

/**
 * The pages with their ids: each page is handed to `hashIds` as soon as it has arrived,
 * up to HASHED_AHEAD pages before the caller asks for it, so that its ids are ready
 * when its turn comes. The first page tells how large the snapshot is: below `minOps`
 * the helper is not used (nor started).
 */
async function* hashedAhead(
  pages: AsyncIterable<Uint8Array>,
  hashIds: HashIds | undefined,
  minOps: number,
): AsyncGenerator<{ bytes: Uint8Array; ids: Promise<string | undefined> | undefined }> {
  if (!hashIds) {
    for await (const bytes of pages) yield { bytes, ids: undefined }
    return
  }
  const source = pages[Symbol.asyncIterator]()
  let helped: boolean | undefined
  const ids = (bytes: Uint8Array): Promise<string | undefined> => {
    if (helped === undefined) {
      // A page that cannot be read goes to the caller, which reports what is wrong.
      helped = (tryPeek(bytes)?.total ?? 0) >= minOps
      if (helped) hashIds.start()
    }
    return helped ? hashIds.hash(bytes) : Promise.resolve(undefined)
  }
  const ahead: Promise<IteratorResult<{ bytes: Uint8Array; ids: Promise<string | undefined> }>>[] = []
  const readOne = () => {
    const next = source
      .next()
      .then(r => (r.done ? r : { done: false as const, value: { bytes: r.value, ids: ids(r.value) } }))
    next.catch(() => undefined) // awaited in its turn
    ahead.push(next)
  }
  try {
    while (ahead.length < HASHED_AHEAD) readOne()
    for (;;) {
      const next = await ahead.shift()!
      if (next.done) return
      readOne()
      yield next.value
    }
  } finally {
    // Not awaited: the pages asked for ahead may still be on their way.
    source.return?.().catch(() => undefined)
  }
}

async function* frames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = new FrameReader()
  for await (const chunk of chunks) yield* reader.push(chunk)
  if (reader.pending > 0) throw new NetworkError('the snapshot was cut within a page')
}

/** A one-page answer as one page. */
async function* whole(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const chunk of chunks) {
    parts.push(chunk)
    length += chunk.length
  }
  const bytes = new Uint8Array(length)
  let at = 0
  for (const part of parts) {
    bytes.set(part, at)
    at += part.length
  }
  yield bytes
}

async function fetchPage(
  deps: PullDeps,
  space: string,
  after: number,
  live: boolean,
): Promise<ReadPage | undefined> {
  const bytes = await fetchBytes(deps, space, after, live)
  return bytes && decodePage(space, bytes)
}

/** A page's bytes (oppack), or undefined when the server has no such space. */
async function fetchBytes(
  deps: PullDeps,
  space: string,
  after: number,
  live: boolean,
): Promise<Uint8Array | undefined> {
  const query = `after=${after}&limit=${live ? deps.snapshotPageSize : deps.pageSize}${live ? '&live=1' : ''}`
  try {
    return await deps.http.bytes(`/v1/spaces/${encodeURIComponent(space)}/ops?${query}`, OPPACK_TYPE)
  } catch (error) {
    if (error instanceof SynclineError && error.code === 'not_found') return undefined
    throw error
  }
}

/** A decoded page with what it came as: the replica stores the bytes, not the ops. */
interface ReadPage extends OpPackPage {
  packed: { bytes: Uint8Array; ids: string }
}

function decodePage(space: string, bytes: Uint8Array, ids?: string): ReadPage {
  const page = decodeOpPack(bytes, ids)
  if (page.space !== space) throw new SynclineError('malformed', 'the server sent a page of another space')
  return { ...page, packed: { bytes, ids: ids ?? page.ops.map(e => e.op.id).join('') } }
}

async function apply(
  deps: PullDeps,
  space: string,
  page: ReadPage,
  cursor: number | undefined,
): Promise<void> {
  if (page.ops.length === 0 && (cursor === undefined || cursor <= deps.replica.cursor(space))) return
  const ops = page.ops.map(e => e.op)
  await deps.spaces.run(space, () =>
    deps.replica.applyRemote(space, ops, cursor, ops.length ? page.packed : undefined),
  )
  deps.stored(space, ops)
}

function tryPeek(bytes: Uint8Array): { total: number } | undefined {
  try {
    return peekOpPack(bytes)
  } catch {
    return undefined
  }
}
