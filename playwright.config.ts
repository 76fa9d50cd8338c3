/**
 * End-to-end tests in headless Chromium (e2e/*.spec.ts). The web server is Vite on
 * the repo root, so fixture pages under e2e/fixtures load the real sources; it builds
 * the service worker first and serves it at `/syncline-sw.js` (vite.config.ts).
 */
import { defineConfig } from '@playwright/test'
import { CHROMIUM_ARGS, chromiumPath } from './.ci/find-chromium.mjs'

const port = Number(process.env.E2E_PORT ?? 4719)

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 60_000,
  workers: 1,
  // One retry in CI: a test that passes only on retry is reported as flaky (the e2e line of
  // npm test counts it) instead of blocking a landing; locally a failure stays a failure.
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    command: `node node_modules/vite/bin/vite.js build -c worker/sw/vite.config.ts && node node_modules/vite/bin/vite.js --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}/e2e/fixtures/core-in-worker.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
})
