import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from './sqlite-store.ts'
import type { Store } from './store.ts'
import { fakeOp, storeConformance } from './store-conformance.ts'

const dir = mkdtempSync(join(tmpdir(), 'syncline-sqlite-'))
let n = 0
afterAll(() => rmSync(dir, { recursive: true, force: true }))

storeConformance('sqlite (file, synchronous=FULL)', {
  open: () => sqliteStore(join(dir, `full-${++n}.db`)),
  reopen: async (store: Store) => {
    await store.close()
    return sqliteStore(store.location)
  },
})

storeConformance('sqlite (:memory:, synchronous=NORMAL)', {
  open: () => sqliteStore(':memory:', { synchronous: 'normal' }),
})

describe('sqlite store layout', () => {
  it('refuses a file made by an older layout instead of misreading it', () => {
    const path = join(dir, 'old-layout.db')
    const db = new Database(path)
    db.exec('CREATE TABLE ops (sid INTEGER, seq INTEGER, id TEXT)')
    db.close()
    expect(() => sqliteStore(path)).toThrow(/layout 0/)
  })

  it('keeps filtered counts current as ops arrive, leave the live set and are pruned', async () => {
    const store = sqliteStore(':memory:')
    const filter = { liveOnly: true, collections: ['items'] }
    const [a, b] = [fakeOp(), fakeOp()]
    await store.append('s', [a, b, fakeOp({ collection: 'notes' })])
    expect(await store.count('s', filter)).toBe(2)
    await store.markSuperseded('s', [a.id])
    expect(await store.count('s', filter)).toBe(1)
    expect(await store.count('s', { collections: ['items'] })).toBe(2)
    await store.prune('s', 3)
    expect(await store.count('s', { collections: ['items'] })).toBe(1)
    expect(await store.count('s', { liveOnly: true })).toBe(2)
    expect(await store.count('s')).toBe(2)
    await store.close()
  })
})
