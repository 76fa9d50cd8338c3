/**
 * Background signature checks of ops from the server (TARGETS.md): the server
 * verified every op on arrival and the session is authenticated, so ops are stored
 * and shown first and checked afterwards, in batches, with the fastest backend the
 * platform has (WebCrypto Ed25519 in the browser, about 15,000/s). An op that fails
 * (shape, id or signature: `checkSignedOp`) is taken out of the replica and reported.
 * Each batch waits for a timer turn first, so checks never hold up the worker.
 */
import { SynclineError } from '../../../src/core/errors.ts'
import type { Verifier } from '../../../src/core/ed25519.ts'
import type { Op } from '../../../src/core/op.ts'
import { sha256Hex } from '../../../src/core/sha256-hex.ts'
import { checkSignedOp } from '../../../src/core/validate.ts'
import { sleep, type Timers } from './io.ts'

export type InvalidHandler = (space: string, invalid: { op: Op; error: SynclineError }[]) => Promise<void>

export class BackgroundVerifier {
  private readonly queue: { space: string; ops: readonly Op[] }[] = []
  private running: Promise<void> | undefined
  private holds = 0
  private resume: (() => void) | undefined

  constructor(
    private readonly verifier: Verifier,
    private readonly onInvalid: InvalidHandler,
    private readonly onError: (error: unknown) => void,
    private readonly timers: Timers,
    private readonly batchSize = 1000,
  ) {}

  /** Queues ops already stored and merged for checking. */
  enqueue(space: string, ops: readonly Op[]): void {
    if (ops.length === 0) return
    this.queue.push({ space, ops })
    this.running ??= this.drain().finally(() => (this.running = undefined))
  }

  /**
   * Holds the checks back until the returned function is called: a cold start stores
   * and shows its snapshot first, and checks it afterwards rather than competing for
   * the worker's thread page by page.
   */
  hold(): () => void {
    this.holds++
    let released = false
    return () => {
      if (released) return
      released = true
      if (--this.holds === 0) this.resume?.()
    }
  }

  /** Resolves when every queued op has been checked (and failures removed). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = this.queue.shift()
      if (!next) return
      const { space } = next
      for (let i = 0; i < next.ops.length; i += this.batchSize) {
        await sleep(this.timers, 0)
        while (this.holds > 0) await new Promise<void>(resolve => (this.resume = resolve))
        const batch = next.ops.slice(i, i + this.batchSize)
        try {
          await this.check(space, batch)
        } catch (error) {
          this.onError(error)
        }
      }
    }
  }

  private async check(space: string, batch: readonly Op[]): Promise<void> {
    // Ids are hashed with the core's allocation-free SHA-256 (noble's makes several
    // arrays per call): about 10 % off each check (10.3 -> 8.9 µs in Node).
    const results = await Promise.all(batch.map(op => checkSignedOp(op, this.verifier, { sha256Hex })))
    const invalid: { op: Op; error: SynclineError }[] = []
    results.forEach((result, i) => {
      if (!result.ok)
        invalid.push({ op: batch[i]!, error: new SynclineError(result.error.code, result.error.message) })
    })
    if (invalid.length) await this.onInvalid(space, invalid)
  }
}
