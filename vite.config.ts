/**
 * One Vite config for the demo build and for Vitest. Tests run in two projects:
 * `node` (pure core, server) and `browser` (real Chromium through Playwright, for
 * IndexedDB, workers and WebCrypto). Files named `*.browser.test.ts` run in the browser.
 */
import { readFileSync } from 'node:fs'
import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'
import type { BrowserCommand } from 'vitest/node'
import { CHROMIUM_ARGS, chromiumPath } from './.ci/find-chromium.mjs'

/** Browser tests read the conformance vectors through this server-side command. */
const readVectors: BrowserCommand<[name: string]> = (_context, name) => {
  if (!/^[a-z]+$/.test(name)) throw new Error(`bad vector name ${name}`)
  return readFileSync(new URL(`../shared/vectors/${name}.json`, import.meta.url), 'utf8')
}

const browserFiles = ['{src,worker}/**/*.browser.test.ts']

export default defineConfig({
  worker: { format: 'es' },
  // Pre-bundled at start, so a page never reloads when Vite discovers them mid-run.
  optimizeDeps: {
    include: ['comlink', 'idb', '@noble/curves/ed25519.js', '@noble/hashes/sha2.js'],
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
