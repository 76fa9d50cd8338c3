import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../bytes.ts'
import { SynclineError } from '../errors.ts'
import { SetIdSum, setIdOf } from './set-id.ts'
import { SetSketch } from './set-sketch.ts'
import { elementOf, SetSummary } from './set-summary.ts'

const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/vectors/sketch.json', import.meta.url), 'utf8'),
)
const els = (hexes: string[]) => hexes.map(h => fromHex(h)!)
const element = fc.uint8Array({ minLength: 32, maxLength: 32 })
const elementSet = (max: number) => fc.uniqueArray(element, { maxLength: max, selector: e => toHex(e) })

describe('§6 set id: SHA-256 of (sum of elements mod 2^256, 32 bytes LE) || (count, 8 bytes LE)', () => {
  for (const c of vectors.cases) {
    it(`${c.note} (${c.count} elements)`, () => {
      const sum = SetIdSum.of(els(c.elementsHex))
      expect(sum.id()).toBe(c.setId)
      expect(sum.count).toBe(c.count)
    })
  }

  it('wraps mod 2^256: elements summing to 2^256 give the id of a zero sum', () => {
    const ones = new Uint8Array(32).fill(255)
    const one = new Uint8Array(32)
    one[0] = 1
    // (2^256 - 1) + 1 = 0 mod 2^256, count 2.
    const manual = SetIdSum.of([ones, one])
    const zero = SetIdSum.of([new Uint8Array(32), new Uint8Array(32).fill(0)])
    expect(manual.id()).toBe(zero.id())
    manual.remove(one)
    expect(manual.id()).toBe(setIdOf([ones]))
  })

  it('is independent of insertion order, and O(1) add/remove matches a rebuild (property)', () => {
    fc.assert(
      fc.property(elementSet(30), elementSet(30), (a, b) => {
        const sum = SetIdSum.of(a)
        for (const e of b) sum.add(e)
        const shuffled = [...a, ...b].sort((x, y) => x[5]! - y[5]!)
        expect(sum.id()).toBe(setIdOf(shuffled))
        for (const e of a) sum.remove(e)
        expect(sum.id()).toBe(setIdOf(b))
        expect(sum.count).toBe(b.length)
      }),
    )
  })

  it('rejects elements that are not 32 bytes with a coded malformed error', () => {
    expect(() => new SetIdSum().add(new Uint8Array(31))).toThrow(SynclineError)
    expect(() => elementOf('AB'.repeat(32))).toThrow(SynclineError)
    expect(() => elementOf('ab'.repeat(31))).toThrow(SynclineError)
  })
})

describe('§6 summaries: a sketch kept at a large size plus the running set id, O(1) per change', () => {
  it('stays equal to a rebuild under adds and removes, at every folded size (property)', () => {
    fc.assert(
      fc.property(elementSet(40), elementSet(40), (a, b) => {
        const summary = new SetSummary(1024)
        for (const e of [...a, ...b]) summary.add(e)
        const before = summary.id
        for (const e of a) summary.remove(e)
        expect(summary.id).toBe(setIdOf(b))
        if (a.length > 0) expect(summary.id).not.toBe(before)
        expect(summary.count).toBe(b.length)
        for (const m of [1024, 64, 8]) expect(summary.sketchAt(m).equals(SetSketch.of(m, b))).toBe(true)
      }),
      { numRuns: 100 },
    )
  })

  it('builds from hex ids', () => {
    const c = vectors.cases[1]
    const s = SetSummary.ofIds(c.elementsHex, 8)
    expect(s.id).toBe(c.setId)
    expect(s.sketchAt(8).toWire().sketch).toBe(c.sketchBase64url)
  })
})

describe('§6 summaries: copies are independent', () => {
  it('a copy does not change with the original', () => {
    const c = vectors.cases[1]
    const s = SetSummary.ofIds(c.elementsHex, 64)
    const copy = s.copy()
    s.remove(elementOf(c.elementsHex[0]))
    expect(copy.id).toBe(c.setId)
    expect(copy.sketchAt(8).toWire().sketch).toBe(c.sketchBase64url)
    expect(s.id).not.toBe(c.setId)
  })
})
