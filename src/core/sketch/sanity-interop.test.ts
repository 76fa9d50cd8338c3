/**
 * At m = 8 and m = 16 our sketch bytes and decode results equal those of the seed's own
 * implementation, `SetSketch(32, m)` from @sanity/descriptors (PROTOCOL.md §5-6).
 */
import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import { SetSketch as SanitySketch } from '@sanity/descriptors'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../bytes.ts'
import { decodeReference, unpack } from './decode.ts'
import { SetSketch } from './set-sketch.ts'

const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/vectors/sketch.json', import.meta.url), 'utf8'),
)

function sanityOf(m: number, elements: Uint8Array[]): SanitySketch {
  const s = new SanitySketch(32, m)
  for (const e of elements) s.toggle(e)
  return s
}

const sanityDecoded = (s: SanitySketch) => {
  const out = s.copy().decode()
  return out === null ? null : out.toJSON().map(bytes => toHex(Uint8Array.from(bytes)))
}

const ourDecoded = (s: SetSketch) => {
  const out = decodeReference(s)
  return out.zero ? unpack(out).map(toHex).sort() : null
}

describe('§6 interop: byte-equal to @sanity/descriptors SetSketch(32, m) at m = 8 and 16', () => {
  it('the vectors marked sanityEqual', () => {
    const marked = vectors.cases.filter((c: { sanityEqual?: boolean }) => c.sanityEqual)
    expect(marked.length).toBeGreaterThan(5)
    for (const c of marked) {
      const elements = c.elementsHex.map((h: string) => fromHex(h)!)
      expect(toHex(sanityOf(c.m, elements).arr)).toBe(toHex(SetSketch.of(c.m, elements).bytes))
    }
  })

  it('random SHA-256 sets: same bytes, same decode outcome (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(8, 16),
        fc.uniqueArray(fc.integer({ min: 0, max: 1e6 }), { maxLength: 24 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 1e6 }), { maxLength: 24 }),
        (m, xs, ys) => {
          const el = (n: number) => sha256(new TextEncoder().encode(String(n)))
          const a = xs.map(el)
          const b = ys.map(el)
          const ours = SetSketch.of(m, a).xor(SetSketch.of(m, b))
          const theirs = sanityOf(m, a)
          theirs.toggleAll(sanityOf(m, b))
          expect(toHex(theirs.arr)).toBe(toHex(ours.bytes))
          expect(ourDecoded(ours)).toEqual(sanityDecoded(theirs))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('decode vectors at m = 8 and 16 decode the same way in both', () => {
    for (const d of vectors.decodes.filter((x: { m: number }) => x.m === 8 || x.m === 16)) {
      const a = d.a.map((h: string) => fromHex(h)!)
      const b = d.b.map((h: string) => fromHex(h)!)
      const theirs = sanityOf(d.m, a)
      theirs.toggleAll(sanityOf(d.m, b))
      const ours = SetSketch.of(d.m, a).xor(SetSketch.of(d.m, b))
      expect(ourDecoded(ours)).toEqual(sanityDecoded(theirs))
      expect(ourDecoded(ours)).toEqual(d.reference.decoded)
    }
  })
})
