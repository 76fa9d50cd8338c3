#!/usr/bin/env node
/**
 * `npm test`: everything, in one command. Lint (ESLint), format (Prettier), type check (tsc),
 * unit and browser tests (Vitest: Node + real Chromium), end-to-end tests
 * (Playwright, headless Chromium). Every stage runs even when an earlier one fails,
 * and the last line is `N passed, N failed` (lint, format and type check count as one
 * test each), which is what CI reads.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureChromium } from './find-chromium.mjs'

const bin = name => join('node_modules', '.bin', name)
const tmp = mkdtempSync(join(tmpdir(), 'syncline-test-'))
const totals = { passed: 0, failed: 0, skipped: 0 }
const lines = []

function run(command, args, env = {}) {
  console.log(`\n$ ${command} ${args.join(' ')}`)
  return spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1
}

function count(stage, passed, failed, skipped = 0) {
  totals.passed += passed
  totals.failed += failed
  totals.skipped += skipped
  lines.push(`${stage.padEnd(12)} ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
}

function check(stage, command, args) {
  const status = run(command, args)
  count(stage, status === 0 ? 1 : 0, status === 0 ? 0 : 1)
}

try {
  ensureChromium()
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  console.log('0 passed, 1 failed')
  process.exit(1)
}

check('lint', bin('eslint'), ['.'])
check('format', bin('prettier'), ['--check', '.'])
check('typecheck', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'])
// The service worker bundle the e2e pages load at /syncline-sw.js (vite.config.ts serves it).
check('build sw', bin('vite'), ['build', '-c', 'worker/sw/vite.config.ts'])

const vitestJson = join(tmp, 'vitest.json')
const vitestStatus = run(bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
])
if (existsSync(vitestJson)) {
  const report = JSON.parse(readFileSync(vitestJson, 'utf8'))
  // A file that fails to load has no tests but still fails the run: count it.
  const brokenFiles = report.testResults.filter(
    f => f.status === 'failed' && f.assertionResults.length === 0,
  ).length
  count(
    'vitest',
    report.numPassedTests,
    report.numFailedTests + brokenFiles,
    report.numPendingTests + report.numTodoTests,
  )
} else count('vitest', 0, 1)
if (vitestStatus !== 0 && totals.failed === 0) count('vitest run', 0, 1)

const playwrightJson = join(tmp, 'playwright.json')
run(bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson })
if (existsSync(playwrightJson)) {
  const { stats, errors } = JSON.parse(readFileSync(playwrightJson, 'utf8'))
  count('e2e', stats.expected + stats.flaky, stats.unexpected + (errors?.length ?? 0), stats.skipped)
  if (stats.flaky)
    lines.push(`e2e          ${stats.flaky} of those passed only on retry (flaky): see the list above`)
} else count('e2e', 0, 1)

rmSync(tmp, { recursive: true, force: true })
console.log(`\n${lines.join('\n')}`)
console.log(
  `${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`,
)
process.exit(totals.failed ? 1 : 0)
