/** The client's sync status as a hook (API.md `client.status`). */
import { useMemo, useSyncExternalStore } from 'react'
import type { Client, Status } from '../client/client.ts'
import { liveStore } from './live-store.ts'

/**
 * The live `Status` of `client` (online, connected, leader, pendingOps, ...), or
 * `undefined` until the first one arrives (and while `client` is undefined, e.g.
 * while `createClient` is still opening it).
 */
export function useSyncStatus(client: Client | undefined): Status | undefined {
  const store = useMemo(
    () => liveStore<Status>(client && (listener => client.status.subscribe(listener))),
    [client],
  )
  return useSyncExternalStore(store.subscribe, store.get, store.get)
}
