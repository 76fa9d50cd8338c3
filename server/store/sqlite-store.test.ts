import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { sqliteStore } from './sqlite-store.ts'
import type { Store } from './store.ts'
import { storeConformance } from './store-conformance.ts'

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
