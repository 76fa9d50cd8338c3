/**
 * Runs simulator seeds on demand and stops at the first failing one, printing its
 * failures and the command that replays it with a trace:
 *
 *   node --import tsx worker/engine/simulator/run.ts --seeds 10000 --from 5000
 *   node --import tsx worker/engine/simulator/run.ts --seed 5123 --trace
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { replayCommand } from './replay.ts'
import { runSeed } from './simulator.ts'

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    trace: { type: 'boolean', default: false },
  },
})

const from = Number(values.seed ?? values.from)
const count = values.seed === undefined ? Number(values.seeds) : 1
const sqliteDir = mkdtempSync(join(tmpdir(), 'syncline-sim-'))
const started = performance.now()
let failed = false
try {
  for (let seed = from; seed < from + count; seed++) {
    const report = await runSeed(seed, { trace: values.trace, sqliteDir })
    if (values.trace) for (const line of report.trace) console.log(line)
    if (report.failures.length) {
      console.log(`seed ${seed} FAILED ${JSON.stringify(report.stats)}`)
      for (const failure of report.failures) console.log(`  ${failure}`)
      console.log(`replay: ${replayCommand(seed)}`)
      failed = true
      break
    }
    if (values.seed !== undefined) console.log(`seed ${seed} ok ${JSON.stringify(report.stats)}`)
    else if ((seed - from + 1) % 1000 === 0) console.log(`${seed - from + 1} seeds ok`)
  }
} finally {
  rmSync(sqliteDir, { recursive: true, force: true })
}
const seconds = ((performance.now() - started) / 1000).toFixed(1)
console.log(
  failed
    ? `stopped at the first failure after ${seconds} s`
    : `${count} seeds from ${from} ok in ${seconds} s`,
)
process.exitCode = failed ? 1 : 0
