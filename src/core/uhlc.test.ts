import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadVectors } from './testing/vectors.ts'
import { compareHlc, createClock, formatHlc, instanceId, msToNs, parseHlc } from './uhlc.ts'

interface UhlcVectors {
  valid: { string: string; timeNs: string; idHex: string; why: string }[]
  invalid: { string: string; reason: string }[]
  orderInput: string[]
  order: string[]
  clock: {
    about: string
    idHex: string
    maxDriftNs: string
    lastTimeNs: string
    steps: { physicalNs: string; call: 'now' | 'observe'; ts?: string; expect: string }[]
  }[]
}
const vectors = loadVectors<UhlcVectors>('uhlc')

describe('UHLC string form (§2)', () => {
  it.each(vectors.valid)('parses and formats $why', v => {
    const ts = parseHlc(v.string)
    expect(ts).toEqual({ time: BigInt(v.timeNs), id: v.idHex.toUpperCase() })
    expect(formatHlc(BigInt(v.timeNs), v.idHex.toUpperCase())).toBe(v.string)
  })

  it.each(vectors.invalid)('rejects $reason', v => {
    expect(parseHlc(v.string)).toBeUndefined()
  })

  it('format and parse are inverse for any u64 time and id', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (time, bytes) => {
          const id = instanceId(bytes)
          expect(parseHlc(formatHlc(time, id))).toEqual({ time, id })
        },
      ),
    )
  })

  it('accepts exactly the strings of the shape, character by character', () => {
    // The shape as a regular expression, what the hand-written parser must agree with.
    const shape = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{9})Z\/([0-9A-F]{32})$/
    const valid = formatHlc(1_763_779_399_123_456_789n, '0123456789ABCDEF0123456789ABCDEF')
    const char = fc.constantFrom(...'0159:-.TZ/AFafgz \n\u0663\uff10')
    const mutated = fc.oneof(
      fc.tuple(fc.nat(62), char).map(([at, c]) => valid.slice(0, at) + c + valid.slice(at + 1)),
      fc.tuple(fc.nat(63), char).map(([at, c]) => valid.slice(0, at) + c + valid.slice(at)),
      fc.nat(62).map(at => valid.slice(0, at) + valid.slice(at + 1)),
    )
    fc.assert(
      fc.property(mutated, text => {
        const parsed = parseHlc(text)
        if (!shape.test(text)) expect(parsed).toBeUndefined()
        else if (parsed) expect(formatHlc(parsed.time, parsed.id)).toBe(text)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('UHLC order (§2)', () => {
  it('sorts by time, then id big-endian, which is string order', () => {
    const byTimestamp = [...vectors.orderInput].sort((a, b) => {
      const x = parseHlc(a)!
      const y = parseHlc(b)!
      if (x.time !== y.time) return x.time < y.time ? -1 : 1
      return BigInt(`0x${x.id}`) < BigInt(`0x${y.id}`)
        ? -1
        : BigInt(`0x${x.id}`) > BigInt(`0x${y.id}`)
          ? 1
          : 0
    })
    expect(byTimestamp).toEqual(vectors.order)
    expect([...vectors.orderInput].sort(compareHlc)).toEqual(vectors.order)
  })
})

describe('UHLC clock rules (§2)', () => {
  it.each(vectors.clock)('$about', scenario => {
    let physical = 0n
    const clock = createClock({
      id: scenario.idHex.toUpperCase(),
      physicalNs: () => physical,
      maxDriftNs: BigInt(scenario.maxDriftNs),
      lastTimeNs: BigInt(scenario.lastTimeNs),
    })
    for (const step of scenario.steps) {
      physical = BigInt(step.physicalNs)
      if (step.call === 'now') expect(clock.now()).toBe(step.expect)
      else {
        const result = clock.observe(step.ts!)
        expect(result.ok ? 'ok' : result.error.code).toBe(step.expect)
      }
    }
  })

  it('never goes backwards, even when the wall clock does', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('now' as const), wall: fc.bigInt({ min: 0n, max: 10n ** 12n }) }),
            fc.record({
              kind: fc.constant('observe' as const),
              wall: fc.bigInt({ min: 0n, max: 10n ** 12n }),
              ahead: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 9n }),
            }),
          ),
          { maxLength: 200 },
        ),
        steps => {
          let wall = 0n
          const clock = createClock({ id: 'AB'.repeat(16), physicalNs: () => wall, maxDriftNs: 10n ** 8n })
          let previous = ''
          for (const step of steps) {
            wall = step.wall
            if (step.kind === 'now') {
              const ts = clock.now()
              expect(ts > previous).toBe(true)
              previous = ts
            } else {
              const time = wall + step.ahead
              if (time >= 0n) clock.observe({ time, id: 'CD'.repeat(16) })
            }
            expect(clock.lastTimeNs >= (parseHlc(previous || formatHlc(0n, clock.id))?.time ?? 0n)).toBe(true)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a drift rejection leaves the clock unchanged', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (wall, excess) => {
          const clock = createClock({ id: 'AB'.repeat(16), physicalNs: () => wall })
          clock.now()
          const before = clock.lastTimeNs
          const result = clock.observe({ time: wall + clock.maxDriftNs + excess, id: 'CD'.repeat(16) })
          expect(result.ok).toBe(false)
          expect(!result.ok && result.error.code).toBe('drift')
          expect(clock.lastTimeNs).toBe(before)
          // The next timestamp follows from the unchanged state.
          expect(parseHlc(clock.now())!.time).toBe(before + 1n > wall ? before + 1n : wall)
        },
      ),
    )
  })

  it('a reloaded clock continues above its persisted time', () => {
    const first = createClock({ id: 'AB'.repeat(16), physicalNs: () => 5_000n })
    first.now()
    first.now()
    const reloaded = createClock({
      id: '12'.repeat(16),
      physicalNs: () => 1_000n,
      lastTimeNs: first.lastTimeNs,
    })
    expect(parseHlc(reloaded.now())!.time).toBe(5_002n)
  })

  it('converts milliseconds to nanoseconds without losing sub-ms precision', () => {
    expect(msToNs(1.5)).toBe(1_500_000n)
    expect(msToNs(1_795_294_416_397.25)).toBe(1_795_294_416_397_250_000n)
  })
})
