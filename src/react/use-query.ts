/**
 * Live queries as hooks: `useQuery` for the rows of a collection, `useRecord` for one
 * record. Both read `collection.subscribe` through `useSyncExternalStore`, so a change
 * (local, from another tab, or from the server) re-renders with the new rows.
 */
import { useMemo, useSyncExternalStore } from 'react'
import type { Collection, ListOptions, TypedRow } from '../client/collection.ts'
import { liveStore } from './live-store.ts'

/**
 * The live rows of `collection` (sorted by id), or `undefined` until the first result
 * arrives from the engine (and while `collection` is undefined, e.g. before a space is
 * open). The subscription follows `collection` and `options.prefix`: it starts again
 * when either changes, not on every render, so `options` may be an inline object.
 * `space.collection(name)` returns the same object for the same name, so it may be
 * called inline too. A query that cannot run (e.g. `unknown_collection`) throws its
 * `SynclineError` during render, for an error boundary to show.
 */
export function useQuery<T extends object>(
  collection: Collection<T> | undefined,
  options?: ListOptions,
): TypedRow<T>[] | undefined {
  const prefix = options?.prefix
  const store = useMemo(
    () =>
      liveStore<TypedRow<T>[]>(
        collection && ((listener, onError) => collection.subscribe(listener, { prefix, onError })),
      ),
    [collection, prefix],
  )
  return useSyncExternalStore(store.subscribe, store.get, store.get)
}

/**
 * One live record's value: `undefined` while loading, `null` when there is no such
 * record. For an owned collection `options.owner` says whose record (e.g.
 * `client.device.id`); without it, the first owner's by device id.
 */
export function useRecord<T extends object>(
  collection: Collection<T> | undefined,
  key: string,
  options?: { owner?: string },
): T | null | undefined {
  // A prefix query on the key: the engine sends only the changes to records it covers.
  const rows = useQuery(collection, { prefix: key })
  if (!rows) return undefined
  const owner = options?.owner
  return rows.find(row => row.id === key && (owner === undefined || row.owner === owner))?.value ?? null
}
