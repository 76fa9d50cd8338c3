/**
 * An in-memory store for tests and throwaway servers. Same semantics as the SQLite
 * store (the conformance suite holds both to them); nothing survives `close`.
 */

import { matchesFilter } from './filter.ts'
import type {
  AppendResult,
  ClientRow,
  DescriptorRow,
  IdPageQuery,
  NewOp,
  OpFilter,
  OpRow,
  PullPage,
  PullQuery,
  SessionRow,
  SpaceInfo,
  Store,
  StoreStats,
} from './store.ts'

interface MemorySpace {
  info: SpaceInfo
  /** Ops in seq order. */
  ops: OpRow[]
  byId: Map<string, OpRow>
  clients: Map<string, ClientRow>
  descriptors: Map<string, DescriptorRow>
}

export function memoryStore(): Store {
  const spaces = new Map<string, MemorySpace>()
  const challenges = new Map<string, number>()
  const sessions = new Map<string, SessionRow>()

  const ensure = (space: string): MemorySpace => {
    let s = spaces.get(space)
    if (!s) {
      s = {
        info: { space, head: 0, horizon: 0 },
        ops: [],
        byId: new Map(),
        clients: new Map(),
        descriptors: new Map(),
      }
      spaces.set(space, s)
    }
    return s
  }

  /** Index of the first op with seq > after. */
  const firstAfter = (ops: OpRow[], after: number): number => {
    let lo = 0
    let hi = ops.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ops[mid]!.seq <= after) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  const copy = (row: OpRow): OpRow => ({ ...row })

  const touch = (space: string, device: string, lastSeen: number, cursor: number | undefined) => {
    const s = ensure(space)
    const row = s.clients.get(device)
    if (row) {
      row.lastSeen = Math.max(row.lastSeen, lastSeen)
      if (cursor !== undefined) row.lastSynchronized = Math.max(row.lastSynchronized, cursor)
    } else {
      s.clients.set(device, { device, lastSeen, lastSynchronized: cursor ?? 0 })
    }
  }

  return {
    kind: 'memory',
    location: ':memory:',

    async getSpace(space) {
      const s = spaces.get(space)
      return s ? { ...s.info } : undefined
    },

    async ensureSpace(space) {
      return { ...ensure(space).info }
    },

    async append(space, ops: readonly NewOp[], superseded: readonly string[] = []): Promise<AppendResult[]> {
      const s = ensure(space)
      const results: AppendResult[] = []
      for (const op of ops) {
        const held = s.byId.get(op.id)
        if (held) {
          results.push({ seq: held.seq, duplicate: true })
          continue
        }
        const row: OpRow = { ...op, seq: ++s.info.head }
        s.ops.push(row)
        s.byId.set(row.id, row)
        results.push({ seq: row.seq, duplicate: false })
      }
      for (const id of superseded) {
        const row = s.byId.get(id)
        if (row) row.live = false
      }
      return results
    },

    async markSuperseded(space, ids) {
      const s = spaces.get(space)
      if (!s) return
      for (const id of ids) {
        const row = s.byId.get(id)
        if (row) row.live = false
      }
    },

    async getOps(space, ids) {
      const s = spaces.get(space)
      if (!s) return []
      const out: OpRow[] = []
      for (const id of new Set(ids)) {
        const row = s.byId.get(id)
        if (row) out.push(copy(row))
      }
      return out
    },

    async pull(space, query: PullQuery): Promise<PullPage> {
      const s = spaces.get(space)
      if (!s) return { rows: [], more: false }
      const rows: OpRow[] = []
      for (let i = firstAfter(s.ops, query.after); i < s.ops.length; i++) {
        const row = s.ops[i]!
        if (!matchesFilter(row, query)) continue
        if (rows.length === query.limit) return { rows, more: true }
        rows.push(copy(row))
      }
      return { rows, more: false }
    },

    async count(space, filter: OpFilter = {}) {
      const s = spaces.get(space)
      if (!s) return 0
      let n = 0
      for (const row of s.ops) if (matchesFilter(row, filter)) n++
      return n
    },

    async liveIds(space, query: IdPageQuery) {
      const s = spaces.get(space)
      if (!s) return { ids: [], more: false }
      const after = query.afterId ?? ''
      const ids = s.ops
        .filter(row => row.id > after && matchesFilter(row, { ...query, liveOnly: true }))
        .map(row => row.id)
        .sort()
      return { ids: ids.slice(0, query.limit), more: ids.length > query.limit }
    },

    async prune(space, horizon) {
      const s = spaces.get(space)
      if (!s) return 0
      const keep = s.ops.filter(row => row.live || row.seq > horizon)
      const removed = s.ops.length - keep.length
      for (const row of s.ops) if (!row.live && row.seq <= horizon) s.byId.delete(row.id)
      s.ops = keep
      s.info.horizon = Math.max(s.info.horizon, Math.min(horizon, s.info.head))
      return removed
    },

    async touchClient(space, device, lastSeen, cursor) {
      touch(space, device, lastSeen, cursor)
    },

    async touchClients(sightings) {
      for (const s of sightings) touch(s.space, s.device, s.lastSeen, s.cursor)
    },

    async clients(space) {
      const s = spaces.get(space)
      if (!s) return []
      return [...s.clients.values()].map(c => ({ ...c })).sort((a, b) => (a.device < b.device ? -1 : 1))
    },

    async putChallenge(nonce, expiresAt) {
      challenges.set(nonce, expiresAt)
    },

    async takeChallenge(nonce, now) {
      const expiresAt = challenges.get(nonce)
      if (expiresAt === undefined) return false
      challenges.delete(nonce)
      return expiresAt > now
    },

    async putSession(key, session) {
      sessions.set(key, { ...session })
    },

    async getSession(key) {
      const row = sessions.get(key)
      return row ? { ...row } : undefined
    },

    async sweepExpired(now) {
      for (const [nonce, expiresAt] of challenges) if (expiresAt <= now) challenges.delete(nonce)
      for (const [key, row] of sessions) if (row.expiresAt <= now) sessions.delete(key)
    },

    async getDescriptors(space) {
      const s = spaces.get(space)
      if (!s) return []
      return [...s.descriptors.values()].map(d => ({ ...d })).sort((a, b) => (a.name < b.name ? -1 : 1))
    },

    async putDescriptors(space, descriptors) {
      const s = ensure(space)
      for (const d of descriptors) s.descriptors.set(d.name, { ...d })
    },

    async spaces() {
      return [...spaces.keys()].sort()
    },

    async stats(): Promise<StoreStats> {
      let ops = 0
      let liveOps = 0
      const devices = new Set<string>()
      for (const s of spaces.values()) {
        ops += s.ops.length
        for (const row of s.ops) if (row.live) liveOps++
        for (const d of s.clients.keys()) devices.add(d)
      }
      return { spaces: spaces.size, ops, liveOps, devices: devices.size }
    },

    async close() {
      spaces.clear()
      challenges.clear()
      sessions.clear()
    },
  }
}
