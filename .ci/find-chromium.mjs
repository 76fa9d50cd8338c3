#!/usr/bin/env node
/**
 * Finds a Chromium for the browser tests, in this order: $CHROMIUM_PATH, Debian's
 * /usr/bin/chromium, Playwright's own download. Where none exists and we are root on
 * Debian, installs Debian's `chromium`; otherwise stops with what to do.
 *
 * Imported by vite.config.ts and playwright.config.ts (`chromiumPath()`, which only
 * looks), run by .ci/test.mjs and .ci/run (`ensureChromium()`, which may install).
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Launch flags for headless Chromium on a machine with no outside network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

function playwrightChromium() {
  try {
    // Asked in a child process: playwright-core knows where its own download would live.
    const path = execFileSync(
      process.execPath,
      ['-e', "process.stdout.write(require('playwright-core').chromium.executablePath())"],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString()
    return path && existsSync(path) ? path : undefined
  } catch {
    return undefined
  }
}

/** The path of a usable Chromium, or undefined. */
export function chromiumPath() {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`)
    return fromEnv
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium'
  return playwrightChromium()
}

/** Returns a Chromium path, installing Debian's package when that is possible. */
export function ensureChromium() {
  const found = chromiumPath()
  if (found) return found
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log('chromium: not found; installing Debian package "chromium" (about 30 s)')
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
    if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium'
  }
  throw new Error(
    [
      'No Chromium found for the browser tests. Do one of:',
      '  - Debian/Ubuntu: sudo apt-get install chromium',
      '  - any platform with internet: npx playwright install chromium',
      '  - point CHROMIUM_PATH at a Chromium or Chrome binary',
    ].join('\n'),
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensureChromium())
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  }
}
