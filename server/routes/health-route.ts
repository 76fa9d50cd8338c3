/** GET /v1/health: version, store, uptime and counts. No token needed. */
import type { Route } from '../http/route.ts'
import type { Store } from '../store/store.ts'

export interface HealthSources {
  version: string
  store: Store
  startedAt: number
  now: () => number
  liveSockets: () => number
  loadedSpaces: () => number
}

export function healthRoute(sources: HealthSources): Route {
  return {
    method: 'GET',
    path: '/v1/health',
    auth: false,
    async handle() {
      const counts = await sources.store.stats()
      return {
        json: {
          status: 'ok',
          version: sources.version,
          store: { kind: sources.store.kind, location: sources.store.location },
          uptimeMs: sources.now() - sources.startedAt,
          counts: { ...counts, liveSockets: sources.liveSockets(), loadedSpaces: sources.loadedSpaces() },
        },
      }
    },
  }
}
