import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toBase64url, toHex } from '../bytes.ts'
import { SynclineError } from '../errors.ts'
import { decode, decodeReference, peelWith, unpack } from './decode.ts'
import { SetIdSum, setIdOf } from './set-id.ts'
import { DEFAULT_CELL_CAP, elementHash, SetSketch } from './set-sketch.ts'

const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/vectors/sketch.json', import.meta.url), 'utf8'),
)

const el = (hex: string) => fromHex(hex)!
const els = (hexes: string[]) => hexes.map(el)
const sorted = (a: Uint8Array[]) => a.map(toHex).sort()

/** The verification a caller does: a toggled with the result has setIdB. */
function verifierFor(a: string[], setIdB: string) {
  const inA = new Set(a)
  return (elements: Uint8Array[]) => {
    const sum = SetIdSum.of(els(a))
    for (const e of elements) {
      if (inA.has(toHex(e))) sum.remove(e)
      else sum.add(e)
    }
    return sum.id() === setIdB
  }
}

const element = fc.uint8Array({ minLength: 32, maxLength: 32 })
const elementSet = (max: number) => fc.uniqueArray(element, { maxLength: max, selector: e => toHex(e) })
const powerOfTwo = (maxLog: number) => fc.integer({ min: 0, max: maxLog }).map(k => 2 ** k)

describe('§6 hashes: h_j(v) = v[j] + 2^8 v[j+3] + 2^16 v[j+6] + 2^24 v[j+9], cell h_j mod m', () => {
  for (const v of vectors.hashes) {
    it(v.elementHex, () => {
      const e = el(v.elementHex)
      expect([0, 1, 2].map(j => elementHash(e, j))).toEqual(v.h)
      for (const [m, cells] of Object.entries(v.cells as Record<string, number[]>)) {
        expect([0, 1, 2].map(j => elementHash(e, j) % Number(m))).toEqual(cells)
        // The sketch puts the element exactly where the vector says (odd hits keep it).
        const sketch = SetSketch.of(Number(m), [e])
        const hits = new Map<number, number>()
        for (const c of cells) hits.set(c, (hits.get(c) ?? 0) + 1)
        for (const [c, n] of hits) {
          const cell = sketch.bytes.subarray(32 * c, 32 * c + 32)
          expect(toHex(cell)).toBe(n % 2 === 1 ? v.elementHex : '0'.repeat(64))
        }
      }
    })
  }
})

describe('§6 toggle: a sketch is the XOR of each element into its three cells', () => {
  for (const c of vectors.cases) {
    it(`${c.note} (m = ${c.m}, ${c.elementsHex.length} elements)`, () => {
      const sketch = SetSketch.of(c.m, els(c.elementsHex))
      expect(toBase64url(sketch.bytes)).toBe(c.sketchBase64url)
      expect(sketch.toWire()).toEqual({ cells: c.m, sketch: c.sketchBase64url })
    })
  }

  for (const t of vectors.toggles) {
    it(`a toggle sequence with repeats equals the sketch of the odd-count elements (m = ${t.m})`, () => {
      const sketch = new SetSketch(t.m)
      for (const hex of t.togglesHex) sketch.toggle(el(hex))
      expect(toBase64url(sketch.bytes)).toBe(t.sketchBase64url)
      const odd = new Map<string, number>()
      for (const hex of t.togglesHex) odd.set(hex, (odd.get(hex) ?? 0) + 1)
      const direct = SetSketch.of(
        t.m,
        [...odd].filter(([, n]) => n % 2 === 1).map(([hex]) => el(hex)),
      )
      expect(direct.equals(sketch)).toBe(true)
    })
  }

  it('toggling twice is the identity; sketches subtract by XOR (property)', () => {
    fc.assert(
      fc.property(powerOfTwo(8), elementSet(40), elementSet(40), (m, a, b) => {
        const sa = SetSketch.of(m, a)
        const sb = SetSketch.of(m, b)
        const both = SetSketch.of(m, [...a, ...b])
        expect(sa.copy().xor(sb).equals(both)).toBe(true)
        expect(both.xor(sb).equals(sa)).toBe(true)
        for (const e of a) sa.toggle(e)
        expect(sa.isZero()).toBe(true)
      }),
    )
  })

  it('toggleAll on packed elements equals toggling one by one', () => {
    const a = els(vectors.cases[1].elementsHex)
    const packed = new Uint8Array(a.length * 32)
    for (const [i, e] of a.entries()) packed.set(e, 32 * i)
    const s = new SetSketch(8)
    s.toggleAll(packed)
    expect(s.equals(SetSketch.of(8, a))).toBe(true)
  })

  it('rejects elements that are not 32 bytes with a coded malformed error', () => {
    const s = new SetSketch(8)
    for (const len of [0, 31, 33, 64]) {
      expect(() => s.toggle(new Uint8Array(len))).toThrow(SynclineError)
    }
    expect(() => s.toggleAll(new Uint8Array(33))).toThrow(SynclineError)
    expect(() => new SetSketch(12)).toThrow(SynclineError)
  })
})

describe('§6 fold: cell i XOR cell i + m/2 equals the sketch built at m/2', () => {
  for (const f of vectors.folds) {
    it(`from ${f.fromM} down to ${f.folded.map((x: { m: number }) => x.m).join(', ')}`, () => {
      let sketch = SetSketch.of(f.fromM, els(f.elementsHex))
      if (f.fromSketchBase64url) expect(toBase64url(sketch.bytes)).toBe(f.fromSketchBase64url)
      for (const step of f.folded) {
        while (sketch.cells > step.m) sketch = sketch.fold()
        expect(toBase64url(sketch.bytes)).toBe(step.sketchBase64url)
        expect(SetSketch.of(step.m, els(f.elementsHex)).equals(sketch)).toBe(true)
      }
    })
  }

  it('fold equals build at the smaller size (property)', () => {
    fc.assert(
      fc.property(powerOfTwo(12), fc.integer({ min: 0, max: 12 }), elementSet(60), (m, k, a) => {
        const small = Math.max(1, m >> k)
        expect(SetSketch.of(m, a).fold(small).equals(SetSketch.of(small, a))).toBe(true)
      }),
      { numRuns: 200 },
    )
  })

  it('refuses to fold up or to a size that is not a power of two', () => {
    const s = new SetSketch(16)
    expect(() => s.fold(32)).toThrow(SynclineError)
    expect(() => s.fold(6)).toThrow(SynclineError)
    expect(s.fold(16).equals(s)).toBe(true)
  })
})

describe('§6 decode: the reference peeling order, the 2m bound, and verification by set id', () => {
  for (const d of vectors.decodes) {
    it(`${d.note} (m = ${d.m})`, () => {
      const a = els(d.a)
      const b = els(d.b)
      expect(setIdOf(a)).toBe(d.setIdA)
      expect(setIdOf(b)).toBe(d.setIdB)
      const table = SetSketch.of(d.m, a).xor(SetSketch.of(d.m, b))
      const before = toHex(table.bytes)

      const ref = decodeReference(table)
      expect(toHex(table.bytes)).toBe(before)
      if (d.reference.decoded === null) {
        expect(ref.zero).toBe(false)
      } else {
        expect(ref.zero).toBe(true)
        expect(sorted(unpack(ref))).toEqual(d.reference.decoded)
        expect(ref.peels).toBe(d.reference.peels)
        expect(verifierFor(d.a, d.setIdB)(unpack(ref))).toBe(d.reference.verified)
      }

      const verify = verifierFor(d.a, d.setIdB)
      const ours = decode(table, verify)
      const truth = [
        ...d.a.filter((x: string) => !d.b.includes(x)),
        ...d.b.filter((x: string) => !d.a.includes(x)),
      ].sort()
      if (d.mustDecode) {
        expect(ours.ok).toBe(true)
        if (ours.ok) {
          const got = sorted(ours.elements)
          expect(got.filter(x => d.a.includes(x))).toEqual(d.expectedDiff.onlyA)
          expect(got.filter(x => d.b.includes(x))).toEqual(d.expectedDiff.onlyB)
        }
      } else if (ours.ok) {
        // A better decoder may succeed, but only with the true difference.
        expect(sorted(ours.elements)).toEqual(truth)
      }
    })
  }

  it('the reference leaves a zero table with a fake element that only the set id check rejects', () => {
    const fakes = vectors.decodes.filter(
      (d: { reference: { decoded: unknown; verified: boolean } }) =>
        d.reference.decoded !== null && !d.reference.verified,
    )
    expect(fakes.length).toBeGreaterThanOrEqual(2)
    for (const d of fakes) {
      const table = SetSketch.of(d.m, els(d.a)).xor(SetSketch.of(d.m, els(d.b)))
      const ref = decodeReference(table)
      expect(ref.zero).toBe(true)
      // Without verification this would be accepted; with it, never.
      expect(decode(table, () => false).ok).toBe(false)
      const result = decode(table, verifierFor(d.a, d.setIdB))
      if (result.ok) expect(verifierFor(d.a, d.setIdB)(result.elements)).toBe(true)
    }
  })

  it('the better decoder succeeds where the reference stops at its 2m bound', () => {
    const d = vectors.decodes.find((x: { note: string }) => x.note.includes('2m peel bound'))
    const table = SetSketch.of(d.m, els(d.a)).xor(SetSketch.of(d.m, els(d.b)))
    expect(decodeReference(table).zero).toBe(false)
    expect(decodeReference(table).limited).toBe(true)
    const result = decode(table, verifierFor(d.a, d.setIdB))
    expect(result.ok).toBe(true)
  })

  it('decode recovers a random difference when it succeeds, and a verified result is never wrong (property)', () => {
    fc.assert(
      fc.property(powerOfTwo(9), elementSet(80), elementSet(80), (m, onlyA, onlyB) => {
        const common = onlyA.slice(0, 5)
        const a = [...onlyA]
        const b = [...common, ...onlyB.filter(x => !a.some(y => toHex(y) === toHex(x)))]
        const aHex = a.map(toHex)
        const bHex = b.map(toHex)
        const truth = [...aHex.filter(x => !bHex.includes(x)), ...bHex.filter(x => !aHex.includes(x))].sort()
        const table = SetSketch.of(m, a).xor(SetSketch.of(m, b))
        const result = decode(table, verifierFor(aHex, setIdOf(b)))
        if (result.ok) expect(sorted(result.elements)).toEqual(truth)
        // With a verifier that knows the truth exactly, an accepted answer is the truth.
        const exact = decode(table, e => JSON.stringify(sorted(e)) === JSON.stringify(truth))
        if (exact.ok) expect(sorted(exact.elements)).toEqual(truth)
        // A difference of zero or one element always decodes, at any size.
        if (truth.length <= 1) expect(result.ok).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('every queue order and the stash decode a sparse random difference exactly', () => {
    const random = Array.from({ length: 50 }, (_, i) => sha256(new Uint8Array([i])))
    const table = SetSketch.of(1024, random)
    for (const order of ['fifo', 'lifo', 'fifo-reverse', 'stash'] as const) {
      const out = peelWith(table, order, 4096)
      expect(out.zero).toBe(true)
      expect(sorted(unpack(out))).toEqual(sorted(random))
    }
  })
})

describe('§6 wire: {cells, sketch}; not a power of two, above the cap, wrong length or non-canonical is malformed', () => {
  for (const w of vectors.wire) {
    it(w.why, () => {
      const parsed = SetSketch.fromWire(w.wire, w.cap ?? DEFAULT_CELL_CAP)
      if (w.expected === 'ok') {
        expect(parsed.ok).toBe(true)
        if (parsed.ok) expect(parsed.value.toWire()).toEqual(w.wire)
      } else {
        expect(parsed).toMatchObject({ ok: false, error: { code: 'malformed' } })
      }
    })
  }

  it('never throws on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.record({ cells: fc.anything(), sketch: fc.anything() }), (x, y) => {
        expect(SetSketch.fromWire(x).ok).toBe(false)
        const r = SetSketch.fromWire(y)
        if (r.ok) expect(r.value.toWire()).toEqual(y)
      }),
    )
  })

  it('round-trips every size up to the cap', () => {
    for (let m = 1; m <= 1024; m *= 2) {
      const s = SetSketch.of(m, els(vectors.cases[1].elementsHex))
      const back = SetSketch.fromWire(JSON.parse(JSON.stringify(s.toWire())))
      expect(back.ok && back.value.equals(s)).toBe(true)
    }
    expect(SetSketch.fromWire(new SetSketch(DEFAULT_CELL_CAP).toWire()).ok).toBe(true)
  })
})
