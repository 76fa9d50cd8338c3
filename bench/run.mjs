#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark (bench/<name>/index.ts) one after another,
 * or only those named: `npm run bench -- core sketch`. Each prints its table and
 * writes bench/results/<name>.json. Not part of `npm test`: timings are for reading
 * as medians and ratios, never for pass/fail.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const benchDir = dirname(fileURLToPath(import.meta.url))

const wanted = process.argv.slice(2)
const suites = readdirSync(benchDir, { withFileTypes: true })
  .filter(d => d.isDirectory() && existsSync(join(benchDir, d.name, 'index.ts')))
  .map(d => d.name)
  .filter(name => wanted.length === 0 || wanted.includes(name))
let failed = 0
for (const name of suites) {
  console.log(`\n=== bench/${name}`)
  const { status } = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(benchDir, name, 'index.ts')],
    {
      stdio: 'inherit',
    },
  )
  if (status !== 0) failed++
}
process.exit(failed ? 1 : 0)
