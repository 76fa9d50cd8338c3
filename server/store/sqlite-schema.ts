/** The SQLite store's tables, and the SQL form of pull filters. */
import type { OpFilter } from './store.ts'

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS spaces (
  sid INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  head INTEGER NOT NULL DEFAULT 0,
  horizon INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ops (
  sid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  collection TEXT NOT NULL,
  record TEXT NOT NULL,
  action TEXT NOT NULL,
  fields TEXT,
  hlc TEXT NOT NULL,
  author TEXT NOT NULL,
  sig TEXT NOT NULL,
  live INTEGER NOT NULL,
  PRIMARY KEY (sid, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS ops_by_id ON ops (sid, id);
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
