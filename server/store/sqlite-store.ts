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
 * insert time for little gain). Ids are found by an index on their first 48 bits
 * (space, idh), not on the 64-character id: random keys that long made the index over
 * half the insert time; this one is about a fifth of the size, and every lookup
 * compares the whole id too. A push checks its ids for duplicates in one query.
 *
 * Counts: each space row keeps its number of ops and of live ops, updated in the
 * transactions that change them, so a snapshot page's `total` costs no scan; filtered
 * counts are cached until the space next changes (this process is the file's only
 * writer).
 *
 * Layout: `LAYOUT_VERSION` in `sqlite-schema.ts`; a file of an older layout is refused
 * (there are no users to migrate yet).
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
import {
  filterSql,
  idPrefix,
  idPrefixFloor,
  LAYOUT_VERSION,
  packBody,
  SCHEMA,
  unpackBody,
} from './sqlite-schema.ts'

export interface SqliteStoreOptions {
  /** 'full' (default): fsync on every commit; 'normal': survives a crash of the process only. */
  synchronous?: 'full' | 'normal'
}

/** A row of OP_COLUMNS, read in raw (array) mode: no object per row from the driver. */
type RawOp = [seq: number, id: string, collection: string, record: string, live: number, body: string]

interface SpaceRow {
  sid: number
  name: string
  head: number
  horizon: number
  ops: number
  live_ops: number
}

const OP_COLUMNS = 'seq, id, collection, record, live, body'

function toRow(raw: RawOp): OpRow {
  const { action, hlc, author, sig, fields } = unpackBody(raw[5])
  return {
    seq: raw[0],
    id: raw[1],
    collection: raw[2],
    record: raw[3],
    action: action as Action,
    fields,
    hlc,
    author,
    sig,
    live: raw[4] === 1,
  }
}

/** Counts cached per filter are dropped wholesale past this many. */
const MAX_CACHED_COUNTS = 1000

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
  const layout = db.pragma('user_version', { simple: true }) as number
  if (layout !== LAYOUT_VERSION && db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'ops'").get()) {
    db.close()
    throw new Error(`${path} has store layout ${layout}, not ${LAYOUT_VERSION}; older files are not migrated`)
  }
  db.exec(SCHEMA)
  db.pragma(`user_version = ${LAYOUT_VERSION}`)

  const q = {
    spaceByName: db.prepare<[string], SpaceRow>(
      'SELECT sid, name, head, horizon, ops, live_ops FROM spaces WHERE name = ?',
    ),
    insertSpace: db.prepare<[string]>('INSERT INTO spaces (name) VALUES (?) ON CONFLICT (name) DO NOTHING'),
    setHead: db.prepare<[number, number, number, number]>(
      'UPDATE spaces SET head = ?, ops = ops + ?, live_ops = live_ops + ? WHERE sid = ?',
    ),
    addLive: db.prepare<[number, number]>('UPDATE spaces SET live_ops = live_ops + ? WHERE sid = ?'),
    removeOps: db.prepare<[number, number]>('UPDATE spaces SET ops = ops - ? WHERE sid = ?'),
    setHorizon: db.prepare<[number, number]>(
      'UPDATE spaces SET horizon = max(horizon, min(?, head)) WHERE sid = ?',
    ),
    insertOp: db.prepare(`INSERT INTO ops (sid, idh, ${OP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    // One statement finds every held op of a push: the prefixes go in as a JSON array.
    heldAmong: db
      .prepare<[number, string]>(
        'SELECT id, seq FROM ops INDEXED BY ops_by_idh WHERE sid = ? AND idh IN (SELECT value FROM json_each(?))',
      )
      .raw(),
    opById: db
      .prepare<[number, number, string]>(
        `SELECT ${OP_COLUMNS} FROM ops INDEXED BY ops_by_idh WHERE sid = ? AND idh = ? AND id = ?`,
      )
      .raw(),
    supersede: db.prepare<[number, number, string]>(
      'UPDATE ops INDEXED BY ops_by_idh SET live = 0 WHERE sid = ? AND idh = ? AND id = ? AND live = 1',
    ),
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
      `SELECT count(*) AS spaces, coalesce(sum(ops), 0) AS ops, coalesce(sum(live_ops), 0) AS liveOps,
              (SELECT count(DISTINCT device) FROM clients) AS devices FROM spaces`,
    ),
  }

  const statements = new Map<string, Database.Statement>()
  const cached = (key: string, sql: string, raw = false): Database.Statement => {
    let stmt = statements.get(key)
    if (!stmt) {
      stmt = db.prepare(sql)
      if (raw) stmt.raw()
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

  /** Per space, bumped by every change to its ops: filtered counts cached under an older version are stale. */
  const versions = new Map<number, number>()
  const changed = (sid: number) => versions.set(sid, (versions.get(sid) ?? 0) + 1)
  const counts = new Map<string, { version: number; n: number }>()

  const supersede = (sid: number, ids: readonly string[]): number => {
    let removed = 0
    for (const id of ids) removed += q.supersede.run(sid, idPrefix(id), id).changes
    return removed
  }

  const append = db.transaction(
    (space: string, ops: readonly NewOp[], superseded: readonly string[]): AppendResult[] => {
      const sp = ensure(space)
      const prefixes = ops.map(op => idPrefix(op.id))
      const held = new Map<string, number>()
      if (ops.length > 0) {
        for (const [id, seq] of q.heldAmong.all(sp.sid, JSON.stringify(prefixes)) as [string, number][]) {
          held.set(id, seq)
        }
      }
      let head = sp.head
      let live = 0
      const results: AppendResult[] = new Array(ops.length)
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!
        const seen = held.get(op.id)
        if (seen !== undefined) {
          results[i] = { seq: seen, duplicate: true }
          continue
        }
        const seq = ++head
        q.insertOp.run(
          sp.sid,
          prefixes[i],
          seq,
          op.id,
          op.collection,
          op.record,
          op.live ? 1 : 0,
          packBody(op.action, op.hlc, op.author, op.sig, op.fields),
        )
        held.set(op.id, seq)
        if (op.live) live++
        results[i] = { seq, duplicate: false }
      }
      const removed = supersede(sp.sid, superseded)
      if (head !== sp.head || removed > 0) {
        q.setHead.run(head, head - sp.head, live - removed, sp.sid)
        changed(sp.sid)
      }
      return results
    },
  )

  const markSuperseded = db.transaction((sid: number, ids: readonly string[]) => {
    const removed = supersede(sid, ids)
    if (removed > 0) {
      q.addLive.run(-removed, sid)
      changed(sid)
    }
  })

  const prune = db.transaction((sid: number, horizon: number): number => {
    const removed = q.prune.run(sid, horizon).changes
    q.setHorizon.run(horizon, sid)
    if (removed > 0) {
      q.removeOps.run(removed, sid)
      changed(sid)
    }
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
        const raw = q.opById.get(sid, idPrefix(id), id) as RawOp | undefined
        if (raw) out.push(toRow(raw))
      }
      return out
    },

    async pull(space, query: PullQuery): Promise<PullPage> {
      const sid = sidOf(space)
      if (sid === undefined) return { rows: [], more: false }
      const f = filterSql(query)
      const columns = query.skipIds ? OP_COLUMNS.replace('id,', "'' AS id,") : OP_COLUMNS
      const stmt = cached(
        `pull:${f.shape}:${query.skipIds ? 'noid' : 'id'}`,
        `SELECT ${columns} FROM ops WHERE sid = ? AND seq > ?${f.sql} ORDER BY seq LIMIT ?`,
        true,
      )
      const raws = stmt.all(sid, query.after, ...f.params, query.limit + 1) as RawOp[]
      const more = raws.length > query.limit
      if (more) raws.pop()
      const rows: OpRow[] = new Array(raws.length)
      for (let i = 0; i < raws.length; i++) rows[i] = toRow(raws[i]!)
      return { rows, more }
    },

    async count(space, filter: OpFilter = {}) {
      const sp = q.spaceByName.get(space)
      if (!sp) return 0
      if (!filter.collections && filter.prefix === undefined) return filter.liveOnly ? sp.live_ops : sp.ops
      const f = filterSql(filter)
      const key = `${sp.sid}\u0000${f.shape}\u0000${JSON.stringify(f.params)}`
      const version = versions.get(sp.sid) ?? 0
      const hit = counts.get(key)
      if (hit?.version === version) return hit.n
      const stmt = cached(`count:${f.shape}`, `SELECT count(*) AS n FROM ops WHERE sid = ?${f.sql}`)
      const n = (stmt.get(sp.sid, ...f.params) as { n: number }).n
      if (counts.size >= MAX_CACHED_COUNTS) counts.clear()
      counts.set(key, { version, n })
      return n
    },

    async liveIds(space, query: IdPageQuery) {
      const sid = sidOf(space)
      if (sid === undefined) return { ids: [], more: false }
      const f = filterSql({ ...query, liveOnly: true })
      // (idh, id) order is id order; the index gives idh order, ties are sorted.
      const stmt = cached(
        `ids:${f.shape}`,
        `SELECT id FROM ops INDEXED BY ops_by_idh WHERE sid = ? AND idh >= ? AND id > ?${f.sql} ORDER BY idh, id LIMIT ?`,
      )
      const afterId = query.afterId ?? ''
      const rows = stmt.all(sid, idPrefixFloor(afterId), afterId, ...f.params, query.limit + 1) as {
        id: string
      }[]
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
