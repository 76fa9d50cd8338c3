/**
 * Finds a device's signing key in this browser: the engine keeps each replica's
 * Ed25519 seed in IndexedDB `syncline:<name>`, store `meta`, key `device`
 * (worker/engine/replica.ts). Replicas that pages introduced are looked at first, then
 * every `syncline:` database, so a service worker that no page has spoken to since it
 * started can still log in. Only databases that exist are opened (opening a missing
 * one would create it empty and break the engine's schema), and each is closed at once
 * so the engine can always upgrade it.
 */
import { openDB } from 'idb'
import { type DeviceKey, importDeviceKey } from './device-key.ts'

const PREFIX = 'syncline:'

export interface ReplicaKeys {
  /** A replica name a page introduced (tried first). */
  introduce(name: string): void
  keyOf(device: string): Promise<DeviceKey | undefined>
}

export function replicaKeys(): ReplicaKeys {
  const names = new Set<string>()
  const keys = new Map<string, DeviceKey>()
  const tried = new Set<string>()

  const readSeed = async (database: string): Promise<Uint8Array | undefined> => {
    const db = await openDB(database)
    try {
      if (!db.objectStoreNames.contains('meta')) return undefined
      const seed: unknown = await db.get('meta', 'device')
      return seed instanceof Uint8Array ? seed : undefined
    } finally {
      db.close()
    }
  }

  return {
    introduce(name) {
      names.add(PREFIX + name)
    },
    async keyOf(device) {
      const cached = keys.get(device)
      if (cached) return cached
      const existing = new Set((await indexedDB.databases()).map(d => d.name ?? ''))
      const candidates = [...names, ...existing].filter(n => n.startsWith(PREFIX) && existing.has(n))
      for (const database of new Set(candidates)) {
        if (tried.has(database)) continue
        const seed = await readSeed(database)
        if (!seed) continue
        tried.add(database)
        const key = await importDeviceKey(seed)
        keys.set(key.device, key)
        if (key.device === device) return key
      }
      return undefined
    },
  }
}
