import { describe, expect, it } from 'vitest'
import { createBackoff } from './backoff.ts'

describe('backoff: exponential with jitter, capped, reset on success', () => {
  it('doubles from the minimum up to the cap, each delay between half and all of its base', () => {
    for (const r of [0, 0.5, 0.999]) {
      const backoff = createBackoff({ minMs: 250, maxMs: 30_000, random: () => r })
      const bases = [250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]
      for (const base of bases) {
        const delay = backoff.next()
        expect(delay).toBeGreaterThanOrEqual(base / 2)
        expect(delay).toBeLessThanOrEqual(base)
      }
    }
  })

  it('starts from the minimum again after a reset', () => {
    const backoff = createBackoff({ minMs: 100, maxMs: 1000, random: () => 1 - 1e-9 })
    backoff.next()
    backoff.next()
    expect(backoff.attempts).toBe(2)
    backoff.reset()
    expect(backoff.attempts).toBe(0)
    expect(backoff.next()).toBe(100)
  })

  it('jitter spreads clients that fail together', () => {
    let seed = 1
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    const delays = new Set(Array.from({ length: 20 }, () => createBackoff({ random }).next()))
    expect(delays.size).toBeGreaterThan(10)
  })
})
