/**
 * The deterministic simulator in `npm test`: 1,000 seeds (TARGETS.md, reliability),
 * plus the seeds that once found a bug, by name. More on demand:
 *   SIM_SEEDS=100000 SIM_FROM=5000 npx vitest run --project node worker/engine/simulator
 * or `run.ts` (see there), which stops at the first failing seed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { replayCommand } from './replay.ts'
import { runSeed } from './simulator.ts'

const SEEDS = Number(process.env.SIM_SEEDS ?? 1000)
const FROM = Number(process.env.SIM_FROM ?? 1)
const BATCH = 100

const sqliteDir = mkdtempSync(join(tmpdir(), 'syncline-sim-'))
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }))

/** Runs seeds in order; fails with the first failing seed's problems and its replay command. */
async function expectSeedsPass(from: number, count: number): Promise<void> {
  for (let seed = from; seed < from + count; seed++) {
    const report = await runSeed(seed, { sqliteDir })
    if (report.failures.length) {
      const message = [`seed ${seed} failed:`, ...report.failures, `replay: ${replayCommand(seed)}`].join(
        '\n',
      )
      expect.fail(message)
    }
  }
}

describe('simulator: seeds that found bugs', () => {
  it('seed 44: a push holding a duplicate of a stored op and a newer op that supersedes it clears the stored live flag', async () => {
    await expectSeedsPass(44, 1)
  })

  it('seed 2233: an op pruned while its ack was lost is pushed again and held once, under a new seq', async () => {
    await expectSeedsPass(2233, 1)
  })
})

describe(`simulator: ${SEEDS} seeds from ${FROM}`, () => {
  for (let from = FROM; from < FROM + SEEDS; from += BATCH) {
    const count = Math.min(BATCH, FROM + SEEDS - from)
    it(`seeds ${from} to ${from + count - 1} converge`, async () => {
      await expectSeedsPass(from, count)
    }, 120_000)
  }
})
