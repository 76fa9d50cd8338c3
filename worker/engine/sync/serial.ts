/**
 * Two small concurrency helpers of the loop: `Coalesced` runs a job one at a time and
 * folds the calls made while it runs into one more run (a push asked for ten times
 * during a push is one more push); `KeyedQueue` runs jobs of one key one after another
 * (everything that changes a space's ops and cursor goes through it, so a live message,
 * a pull page and a removal never interleave and a cursor never moves backwards).
 */

export class Coalesced {
  private running: Promise<void> | undefined
  private again: Promise<void> | undefined

  constructor(private readonly job: () => Promise<void>) {}

  /** Resolves when no run is under way or waiting (without starting one). */
  async settled(): Promise<void> {
    while (this.running || this.again) await (this.again ?? this.running)!.catch(() => undefined)
  }

  /** Resolves after a run that started after this call has finished. */
  run(): Promise<void> {
    if (!this.running) {
      this.running = this.job().finally(() => (this.running = undefined))
      return this.running
    }
    this.again ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.again = undefined
        return this.run()
      })
    return this.again
  }
}

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const result = previous.catch(() => undefined).then(job)
    const tail = result.catch(() => undefined)
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }
}
