import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, memoryStore, type SyncServer } from './index.ts'

describe('serving a folder of built files next to the API', () => {
  let server: SyncServer
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncline-static-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>demo</title>')
    writeFileSync(join(dir, 'assets', 'app-Abc12345.js'), 'export {}')
    writeFileSync(join(dir, 'syncline-sw.js'), 'self.x = 1')
    writeFileSync(join(tmpdir(), 'secret.txt'), 'nope')
    server = await createServer({ store: memoryStore(), port: 0, log: 'error', staticDir: dir })
  })
  afterAll(() => server.close())

  it('serves index.html at / and for client-side routes', async () => {
    for (const path of ['/', '/lists/groceries']) {
      const res = await fetch(`${server.url}${path}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('text/html')
      expect(await res.text()).toContain('<title>demo</title>')
    }
  })

  it('serves assets with their type; hashed ones are cached for good, the service worker never', async () => {
    const asset = await fetch(`${server.url}/assets/app-Abc12345.js`)
    expect(asset.headers.get('content-type')).toContain('text/javascript')
    expect(asset.headers.get('cache-control')).toContain('immutable')
    const sw = await fetch(`${server.url}/syncline-sw.js`)
    expect(await sw.text()).toBe('self.x = 1')
    expect(sw.headers.get('cache-control')).toBe('no-cache')
  })

  it('never leaves the folder, and missing files are a coded 404', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/missing.js', '/%E0%A4%A']) {
      const res = await fetch(`${server.url}${path}`)
      expect(res.status).toBe(404)
      expect((await res.json()).error.code).toBe('not_found')
    }
  })

  it('leaves the API alone', async () => {
    const res = await fetch(`${server.url}/v1/health`)
    expect((await res.json()).version).toBeDefined()
  })
})
