/**
 * One Vite config for the demo build and for Vitest. Tests run in two projects:
 * `node` (pure core, server) and `browser` (real Chromium through Playwright, for
 * IndexedDB, workers and WebCrypto). Files named `*.browser.test.ts` run in the browser.
 * The dev server also serves the built service worker at `/syncline-sw.js`.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { Plugin } from 'vite'
import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'
import type { BrowserCommand } from 'vitest/node'
import { CHROMIUM_ARGS, chromiumPath } from './.ci/find-chromium.mjs'

/** Browser tests read the conformance vectors through this server-side command. */
const readVectors: BrowserCommand<[name: string]> = (_context, name) => {
  if (!/^[a-z]+$/.test(name)) throw new Error(`bad vector name ${name}`)
  return readFileSync(new URL(`../shared/vectors/${name}.json`, import.meta.url), 'utf8')
}

/**
 * Serves `dist/sw/syncline-sw.js` (built by `npm run build:sw`) at the root, where a
 * service worker's scope covers every page. A query (`?v=2`) gives different bytes for
 * the same code, so tests can ship a "new version" and watch it take over.
 */
const serviceWorker: Plugin = {
  name: 'syncline-service-worker',
  configureServer(server) {
    const bundle = new URL('./dist/sw/syncline-sw.js', import.meta.url)
    server.middlewares.use((req, res, next) => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (url.pathname !== '/syncline-sw.js') return next()
      if (!existsSync(bundle)) {
        res.statusCode = 404
        res.end('dist/sw/syncline-sw.js is missing: run `npm run build:sw`')
        return
      }
      res.setHeader('content-type', 'text/javascript')
      res.setHeader('cache-control', 'no-cache')
      res.end(readFileSync(bundle, 'utf8') + (url.search ? `\n// ${url.search}\n` : ''))
    })
  },
}

const browserFiles = ['{src,worker}/**/*.browser.test.ts']

export default defineConfig({
  plugins: [serviceWorker],
  worker: { format: 'es' },
  // Pre-bundled at start, so a page never reloads when Vite discovers them mid-run.
  optimizeDeps: {
    include: [
      'comlink',
      'idb',
      'workbox-window/messageSW.js',
      '@noble/curves/ed25519.js',
      '@noble/hashes/sha2.js',
      'react',
      'react-dom/client',
    ],
    entries: ['e2e/fixtures/*.html', 'bench/browser/*.html', 'demo/**/*.html'],
  },
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['{src,worker,server,bench}/**/*.test.ts'],
          exclude: browserFiles,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: browserFiles,
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: 'chromium' }],
            commands: { readVectors },
          },
        },
      },
    ],
  },
})
