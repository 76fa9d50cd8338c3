/**
 * Op ids of snapshot pages hashed on a second thread. Pages come without ids (they
 * would be a third of the bytes) and hashing is over half the work of decoding one,
 * while the engine's thread also merges and stores every page: with the hashing done
 * beside it, a cold start is bound by the rest. The helper is the engine's own module
 * started once more as a worker under another name (the packaged engine is one
 * self-contained file); `worker.ts` turns it into a hasher. It is started by the first
 * page of a snapshot large enough to need it (pull.ts, HELPER_MIN_OPS); until it says
 * it is ready (or when it fails) the caller hashes pages itself (`undefined`): a page
 * never waits for the helper to load.
 */
import { opPackIds } from '../../../src/core/oppack.ts'

/** The worker name under which the engine's module serves `opPackIds`. */
export const ID_HASHER_NAME = 'syncline-op-ids'

/** What the hasher uses of a Worker, and the helper of its global scope. */
export interface MessagePortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void
  onmessage: ((event: MessageEvent) => void) | null
}

export interface WorkerLike extends MessagePortLike {
  onerror: ((event: ErrorEvent) => void) | null
}

export interface HashIds {
  /** Starts the helper, if it is not running yet: a snapshot is about to come. */
  start(): void
  /** A page's ids (`opPackIds`), or undefined to hash it on the caller's thread. */
  hash(page: Uint8Array): Promise<string | undefined>
}

/** The helper's side: answers each page with its ids, or with none when it cannot read it. */
export function serveIdHashing(scope: MessagePortLike): void {
  scope.onmessage = ({ data }: MessageEvent<{ id: number; page: Uint8Array }>) => {
    let ids: string | undefined
    try {
      ids = opPackIds(data.page)
    } catch {
      // A bad page: the engine decodes it itself and reports what is wrong with it.
    }
    scope.postMessage({ id: data.id, ids })
  }
  scope.postMessage({ ready: true })
}

/** The engine's side: starts the helper when asked (or on the first page), and asks it once it is ready. */
export function idHasher(startWorker: () => WorkerLike): HashIds {
  let worker: WorkerLike | undefined
  let ready = false
  let nextId = 0
  const waiting = new Map<number, (ids: string | undefined) => void>()
  const giveUp = () => {
    worker = undefined
    for (const resolve of waiting.values()) resolve(undefined)
    waiting.clear()
  }
  let started = false
  const boot = () => {
    started = true
    try {
      worker = startWorker()
      worker.onmessage = ({ data }: MessageEvent<{ ready?: true; id: number; ids?: string }>) => {
        if (data.ready) ready = true
        waiting.get(data.id)?.(data.ids)
        waiting.delete(data.id)
      }
      worker.onerror = giveUp
    } catch {
      giveUp()
    }
  }
  // Started for a snapshot, not with the sync loop: most page loads pull no snapshot,
  // and a second worker loading the engine would only compete for the CPU.
  const start = () => {
    if (!started) boot()
  }
  const hash = (page: Uint8Array): Promise<string | undefined> => {
    start()
    if (!worker || !ready) return Promise.resolve(undefined)
    const helper = worker
    const id = nextId++
    // A copy goes: the page is a view of a larger chunk that other pages share.
    const copy = page.slice()
    return new Promise(resolve => {
      waiting.set(id, resolve)
      helper.postMessage({ id, page: copy }, [copy.buffer])
    })
  }
  return { start, hash }
}
