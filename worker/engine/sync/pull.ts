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
import type { Replica } from '../replica.ts'
import type { HttpClient } from './http.ts'
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
}

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
    await apply(deps, space, page.ops, last)
    if (!page.more) return true
  }
}

/** Snapshot pages requested ahead of the one being decoded, stored and merged. */
const PAGES_AHEAD = 2

/**
 * Reads the live snapshot after the space's cursor, page by page, reporting progress;
 * false when the server has no such space.
 */
export async function readSnapshot(deps: PullDeps, space: string): Promise<boolean> {
  const after = deps.replica.cursor(space)
  let done = 0
  // Each page is requested as soon as the one before it has arrived (its last seq, read
  // without decoding it, is the next `after`), up to PAGES_AHEAD pages ahead: the server
  // reads the next pages while the worker decodes, stores and merges this one, and a
  // cold start is bound by the slower of the two rather than their sum.
  let stopped = false
  const settle = (bytes: Promise<Uint8Array | undefined>) => {
    bytes.catch(() => undefined) // awaited in its turn; a failure surfaces there
    return bytes
  }
  const follow = (previous: Promise<Uint8Array | undefined>) =>
    settle(
      previous.then(bytes => {
        if (!bytes || stopped) return undefined
        const { more, last } = peekOpPack(bytes)
        return more ? fetchBytes(deps, space, last, true) : undefined
      }),
    )
  const ahead = [settle(fetchBytes(deps, space, after, true))]
  while (ahead.length < PAGES_AHEAD) ahead.push(follow(ahead[ahead.length - 1]!))
  const release = deps.holdChecks()
  try {
    for (;;) {
      const bytes = await ahead.shift()!
      if (!bytes) return false
      ahead.push(follow(ahead[ahead.length - 1]!))
      const page = decodePage(space, bytes)
      const last = page.ops[page.ops.length - 1]?.seq ?? page.after
      // The last page covers every live op up to the head it was read at: what lies
      // between its last op and that head is superseded.
      await apply(deps, space, page.ops, page.more ? last : Math.max(last, page.head))
      done += page.ops.length
      deps.status.set({ progress: { space, done, total: Math.max(page.total, done) } })
      if (!page.more) return true
    }
  } finally {
    stopped = true
    release()
    deps.status.set({ progress: null })
  }
}

async function fetchPage(
  deps: PullDeps,
  space: string,
  after: number,
  live: boolean,
): Promise<OpPackPage | undefined> {
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

function decodePage(space: string, bytes: Uint8Array): OpPackPage {
  const page = decodeOpPack(bytes)
  if (page.space !== space) throw new SynclineError('malformed', 'the server sent a page of another space')
  return page
}

async function apply(
  deps: PullDeps,
  space: string,
  entries: { seq: number; op: Op }[],
  cursor: number | undefined,
): Promise<void> {
  if (entries.length === 0 && (cursor === undefined || cursor <= deps.replica.cursor(space))) return
  const ops = entries.map(e => e.op)
  await deps.spaces.run(space, () => deps.replica.applyRemote(space, ops, cursor))
  deps.stored(space, ops)
}
