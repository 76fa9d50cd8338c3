/** The SQLite store's tables, and the SQL form of pull filters. */
import type { OpFilter } from './store.ts'

/**
 * The layout version, kept in `PRAGMA user_version`. Version 2 replaced the unique
 * index on the 64-character hex id (random 70-byte keys: over half the insert time)
 * with a plain index on its first 48 bits (`idh`), keeps op counts per space, and
 * keeps the columns no query filters on in one `body` (see `packBody`).
 * There are no users of version 1 yet, so a file made by it is refused, not migrated.
 */
export const LAYOUT_VERSION = 2

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS spaces (
  sid INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  head INTEGER NOT NULL DEFAULT 0,
  horizon INTEGER NOT NULL DEFAULT 0,
  ops INTEGER NOT NULL DEFAULT 0,
  live_ops INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ops (
  sid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  idh INTEGER NOT NULL,
  id TEXT NOT NULL,
  collection TEXT NOT NULL,
  record TEXT NOT NULL,
  live INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (sid, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ops_by_idh ON ops (sid, idh);
CREATE TABLE IF NOT EXISTS clients (
  sid INTEGER NOT NULL,
  device TEXT NOT NULL,
  last_seen INTEGER NOT NULL,
  last_sync INTEGER NOT NULL,
  PRIMARY KEY (sid, device)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS descriptors (
  sid INTEGER NOT NULL,
  name TEXT NOT NULL,
  id TEXT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (sid, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS challenges (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
  key TEXT PRIMARY KEY,
  device TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`

/** SQL conditions and parameters for a filter; the statement text depends only on its shape. */
export function filterSql(filter: OpFilter): { sql: string; params: unknown[]; shape: string } {
  let sql = ''
  const params: unknown[] = []
  let shape = ''
  if (filter.liveOnly) {
    sql += ' AND live = 1'
    shape += 'L'
  }
  if (filter.collections) {
    sql += ` AND collection IN (${filter.collections.map(() => '?').join(',')})`
    params.push(...filter.collections)
    shape += `C${filter.collections.length}`
  }
  if (filter.prefix !== undefined) {
    // substr counts code points, as [...prefix].length does.
    sql += ' AND substr(record, 1, ?) = ?'
    params.push([...filter.prefix].length, filter.prefix)
    shape += 'P'
  }
  return { sql, params, shape }
}

/**
 * The indexed prefix of an op id: its first 48 bits, a safe integer. Ids are lower-case
 * hex, so ordering by (prefix, id) is ordering by id. Any other text (the store does not
 * check ids) gets a prefix too; lookups always compare the whole id as well.
 */
export function idPrefix(id: string): number {
  // Two 24-bit halves: small integers parse on V8's fast path.
  const prefix = Number.parseInt(id.slice(0, 6), 16) * 0x1000000 + Number.parseInt(id.slice(6, 12), 16)
  return prefix >= 0 ? prefix : 0
}

/** The lowest prefix of the ids greater than `afterId`, when it is a hex id; 0 otherwise. */
export function idPrefixFloor(afterId: string): number {
  return /^[0-9a-f]{12}/.test(afterId) ? idPrefix(afterId) : 0
}

/**
 * An op's action, hlc, author, signature and fields (when it has them) in one column,
 * separated by NUL: every value costs the driver a string to read, so a snapshot page
 * reads about a sixth faster this way. The first four never hold a NUL (validated
 * shapes: a word, an hlc, base64url); the fields come last and may hold anything.
 */
export function packBody(action: string, hlc: string, author: string, sig: string, fields?: string): string {
  const body = `${action}\u0000${hlc}\u0000${author}\u0000${sig}`
  return fields === undefined ? body : `${body}\u0000${fields}`
}

/** The parts of a `packBody`. */
export function unpackBody(body: string): {
  action: string
  hlc: string
  author: string
  sig: string
  fields: string | undefined
} {
  const a = body.indexOf('\u0000')
  const h = body.indexOf('\u0000', a + 1)
  const s = body.indexOf('\u0000', h + 1)
  const f = body.indexOf('\u0000', s + 1)
  return {
    action: body.slice(0, a),
    hlc: body.slice(a + 1, h),
    author: body.slice(h + 1, s),
    sig: f === -1 ? body.slice(s + 1) : body.slice(s + 1, f),
    fields: f === -1 ? undefined : body.slice(f + 1),
  }
}
