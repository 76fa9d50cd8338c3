/**
 * The default store: one SQLite file through better-sqlite3, in WAL mode.
 *
 * Durability: `synchronous=FULL` by default. In WAL mode, NORMAL already survives a
 * killed process, but a power cut can roll back the last commits; PROTOCOL.md §7 says
 * an op is "committed to disk" before `accepted` is sent, so FULL (an fsync per
 * commit) is the default. The cost is per commit, not per op: a push of many ops is
 * one transaction. `synchronous: 'normal'` trades that guarantee for speed.
 *
 * Indexes: the primary key (space, seq) serves pulls (a live-only pull skips
 * superseded rows in that range: a partial index on live ops cost a quarter of the
 * insert time for little gain), and (space, id) serves duplicates and id lookups.
 *
 * better-sqlite3 is synchronous, so a transaction here runs to its end without any
 * other JavaScript interleaving: the head read and the inserts that use it cannot
 * race, which is what keeps sequence numbers gapless.
 */
import Database from 'better-sqlite3'
import type {
  Action,
  AppendResult,
  ClientRow,
  ClientSighting,
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
import { filterSql, SCHEMA } from './sqlite-schema.ts'

export interface SqliteStoreOptions {
  /** 'full' (default): fsync on every commit; 'normal': survives a crash of the process only. */
  synchronous?: 'full' | 'normal'
}

interface RawOp {
  seq: number
  id: string
  collection: string
  record: string
  action: string
  fields: string | null
  hlc: string
  author: string
  sig: string
  live: number
}

interface SpaceRow {
  sid: number
  name: string
  head: number
  horizon: number
}

const OP_COLUMNS = 'seq, id, collection, record, action, fields, hlc, author, sig, live'

function toRow(raw: RawOp): OpRow {
  return {
    seq: raw.seq,
    id: raw.id,
    collection: raw.collection,
    record: raw.record,
    action: raw.action as Action,
    fields: raw.fields ?? undefined,
    hlc: raw.hlc,
    author: raw.author,
    sig: raw.sig,
    live: raw.live === 1,
  }
}

function toInfo(row: SpaceRow): SpaceInfo {
  return { space: row.name, head: row.head, horizon: row.horizon }
}

/** Opens (creating when needed) a SQLite store at `path` (':memory:' for a throwaway one). */
export function sqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
  db.pragma('busy_timeout = 5000')
  db.pragma('cache_size = -32000')
  db.exec(SCHEMA)

  const q = {
    spaceByName: db.prepare<[string], SpaceRow>('SELECT sid, name, head, horizon FROM spaces WHERE name = ?'),
    insertSpace: db.prepare<[string]>('INSERT INTO spaces (name) VALUES (?) ON CONFLICT (name) DO NOTHING'),
    setHead: db.prepare<[number, number]>('UPDATE spaces SET head = ? WHERE sid = ?'),
    setHorizon: db.prepare<[number, number]>(
      'UPDATE spaces SET horizon = max(horizon, min(?, head)) WHERE sid = ?',
    ),
    insertOp: db.prepare(
      `INSERT INTO ops (sid, ${OP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sid, id) DO NOTHING`,
    ),
    seqOf: db.prepare<[number, string], { seq: number }>('SELECT seq FROM ops WHERE sid = ? AND id = ?'),
    opById: db.prepare<[number, string], RawOp>(`SELECT ${OP_COLUMNS} FROM ops WHERE sid = ? AND id = ?`),
    supersede: db.prepare<[number, string]>('UPDATE ops SET live = 0 WHERE sid = ? AND id = ? AND live = 1'),
    prune: db.prepare<[number, number]>('DELETE FROM ops WHERE sid = ? AND seq <= ? AND live = 0'),
    touchClient: db.prepare(
      `INSERT INTO clients (sid, device, last_seen, last_sync) VALUES (?, ?, ?, ?)
       ON CONFLICT (sid, device) DO UPDATE SET
         last_seen = max(last_seen, excluded.last_seen),
         last_sync = max(last_sync, excluded.last_sync)`,
    ),
    clients: db.prepare<[number], ClientRow>(
      'SELECT device, last_seen AS lastSeen, last_sync AS lastSynchronized FROM clients WHERE sid = ? ORDER BY device',
    ),
    putChallenge: db.prepare<[string, number]>(
      'INSERT INTO challenges (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO UPDATE SET expires_at = excluded.expires_at',
    ),
    takeChallenge: db.prepare<[string], { expires_at: number }>(
      'DELETE FROM challenges WHERE nonce = ? RETURNING expires_at',
    ),
    putSession: db.prepare<[string, string, number]>(
      `INSERT INTO sessions (key, device, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET device = excluded.device, expires_at = excluded.expires_at`,
    ),
    getSession: db.prepare<[string], SessionRow>(
      'SELECT device, expires_at AS expiresAt FROM sessions WHERE key = ?',
    ),
    sweepChallenges: db.prepare<[number]>('DELETE FROM challenges WHERE expires_at <= ?'),
    sweepSessions: db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?'),
    descriptors: db.prepare<[number], DescriptorRow>(
      'SELECT id, name, json FROM descriptors WHERE sid = ? ORDER BY name',
    ),
    putDescriptor: db.prepare<[number, string, string, string]>(
      `INSERT INTO descriptors (sid, name, id, json) VALUES (?, ?, ?, ?)
       ON CONFLICT (sid, name) DO UPDATE SET id = excluded.id, json = excluded.json`,
    ),
    spaces: db.prepare<[], { name: string }>('SELECT name FROM spaces ORDER BY name'),
    stats: db.prepare<[], StoreStats>(
      `SELECT (SELECT count(*) FROM spaces) AS spaces, (SELECT count(*) FROM ops) AS ops,
              (SELECT count(*) FROM ops WHERE live = 1) AS liveOps,
              (SELECT count(DISTINCT device) FROM clients) AS devices`,
    ),
  }

  const statements = new Map<string, Database.Statement>()
  const cached = (key: string, sql: string): Database.Statement => {
    let stmt = statements.get(key)
    if (!stmt) {
      stmt = db.prepare(sql)
      statements.set(key, stmt)
    }
    return stmt
  }

  const ensure = (space: string): SpaceRow => {
    let row = q.spaceByName.get(space)
    if (!row) {
      q.insertSpace.run(space)
      row = q.spaceByName.get(space)!
    }
    return row
  }

  const append = db.transaction(
    (space: string, ops: readonly NewOp[], superseded: readonly string[]): AppendResult[] => {
      const sp = ensure(space)
      let head = sp.head
      const results: AppendResult[] = []
      for (const op of ops) {
        const seq = head + 1
        const inserted = q.insertOp.run(
          sp.sid,
          seq,
          op.id,
          op.collection,
          op.record,
          op.action,
          op.fields ?? null,
          op.hlc,
          op.author,
          op.sig,
          op.live ? 1 : 0,
        )
        if (inserted.changes === 1) {
          head = seq
          results.push({ seq, duplicate: false })
        } else {
          results.push({ seq: q.seqOf.get(sp.sid, op.id)!.seq, duplicate: true })
        }
      }
      if (head !== sp.head) q.setHead.run(head, sp.sid)
      for (const id of superseded) q.supersede.run(sp.sid, id)
      return results
    },
  )

  const markSuperseded = db.transaction((sid: number, ids: readonly string[]) => {
    for (const id of ids) q.supersede.run(sid, id)
  })

  const prune = db.transaction((sid: number, horizon: number): number => {
    const removed = q.prune.run(sid, horizon).changes
    q.setHorizon.run(horizon, sid)
    return removed
  })

  const putDescriptors = db.transaction((space: string, descriptors: readonly DescriptorRow[]) => {
    const sp = ensure(space)
    for (const d of descriptors) q.putDescriptor.run(sp.sid, d.name, d.id, d.json)
  })

  const sweep = db.transaction((now: number) => {
    q.sweepChallenges.run(now)
    q.sweepSessions.run(now)
  })

  const touchClients = db.transaction((sightings: readonly ClientSighting[]) => {
    for (const s of sightings) q.touchClient.run(ensure(s.space).sid, s.device, s.lastSeen, s.cursor ?? 0)
  })

  const sidOf = (space: string): number | undefined => q.spaceByName.get(space)?.sid

  return {
    kind: 'sqlite',
    location: path,

    async getSpace(space) {
      const row = q.spaceByName.get(space)
      return row ? toInfo(row) : undefined
    },

    async ensureSpace(space) {
      return toInfo(ensure(space))
    },

    async append(space, ops, superseded = []) {
      return append(space, ops, superseded)
    },

    async markSuperseded(space, ids) {
      const sid = sidOf(space)
      if (sid !== undefined) markSuperseded(sid, ids)
    },

    async getOps(space, ids) {
      const sid = sidOf(space)
      if (sid === undefined) return []
      const out: OpRow[] = []
      for (const id of new Set(ids)) {
        const raw = q.opById.get(sid, id)
        if (raw) out.push(toRow(raw))
      }
      return out
    },

    async pull(space, query: PullQuery): Promise<PullPage> {
      const sid = sidOf(space)
      if (sid === undefined) return { rows: [], more: false }
      const f = filterSql(query)
      const stmt = cached(
        `pull:${f.shape}`,
        `SELECT ${OP_COLUMNS} FROM ops WHERE sid = ? AND seq > ?${f.sql} ORDER BY seq LIMIT ?`,
      )
      const raws = stmt.all(sid, query.after, ...f.params, query.limit + 1) as RawOp[]
      const more = raws.length > query.limit
      if (more) raws.pop()
      return { rows: raws.map(toRow), more }
    },

    async count(space, filter: OpFilter = {}) {
      const sid = sidOf(space)
      if (sid === undefined) return 0
      const f = filterSql(filter)
      const stmt = cached(`count:${f.shape}`, `SELECT count(*) AS n FROM ops WHERE sid = ?${f.sql}`)
      return (stmt.get(sid, ...f.params) as { n: number }).n
    },

    async liveIds(space, query: IdPageQuery) {
      const sid = sidOf(space)
      if (sid === undefined) return { ids: [], more: false }
      const f = filterSql({ ...query, liveOnly: true })
      const stmt = cached(
        `ids:${f.shape}`,
        `SELECT id FROM ops WHERE sid = ? AND id > ?${f.sql} ORDER BY id LIMIT ?`,
      )
      const rows = stmt.all(sid, query.afterId ?? '', ...f.params, query.limit + 1) as { id: string }[]
      const more = rows.length > query.limit
      if (more) rows.pop()
      return { ids: rows.map(r => r.id), more }
    },

    async prune(space, horizon) {
      const sid = sidOf(space)
      return sid === undefined ? 0 : prune(sid, horizon)
    },

    async touchClient(space, device, lastSeen, cursor) {
      q.touchClient.run(ensure(space).sid, device, lastSeen, cursor ?? 0)
    },

    async touchClients(sightings) {
      touchClients(sightings)
    },

    async clients(space) {
      const sid = sidOf(space)
      return sid === undefined ? [] : q.clients.all(sid)
    },

    async putChallenge(nonce, expiresAt) {
      q.putChallenge.run(nonce, expiresAt)
    },

    async takeChallenge(nonce, now) {
      const row = q.takeChallenge.get(nonce)
      return row !== undefined && row.expires_at > now
    },

    async putSession(key, session) {
      q.putSession.run(key, session.device, session.expiresAt)
    },

    async getSession(key) {
      return q.getSession.get(key)
    },

    async sweepExpired(now) {
      sweep(now)
    },

    async getDescriptors(space) {
      const sid = sidOf(space)
      return sid === undefined ? [] : q.descriptors.all(sid)
    },

    async putDescriptors(space, descriptors) {
      putDescriptors(space, descriptors)
    },

    async spaces() {
      return q.spaces.all().map(r => r.name)
    },

    async stats() {
      return q.stats.get()!
    },

    async close() {
      if (db.open) db.close()
    },
  }
}
