/**
 * Peeling decoders for the XOR set sketch (PROTOCOL.md §6).
 *
 * `decodeReference` is the pinned reference, step for step: a FIFO queue seeded with
 * cells 0 .. m-1; a popped cell that is pure (non-zero, and an odd number of the three
 * hashes of its content point at it) is toggled into the result and out of the table,
 * and every other cell it touched is queued unless already queued; at most 2m peels;
 * success needs an all-zero table. Its answer may still be wrong (x XOR y can peel as
 * one fake element and leave a zero table), so it is only ever a candidate.
 *
 * `decode` is what callers use: it returns a result only once the caller's `verify`
 * (a set id check) accepts it. It runs the reference first, so it succeeds wherever the
 * reference succeeds, and when that fails it tries further peelings (a larger peel
 * budget, other queue orders, and a stash that defers suspicious peels) that differ only
 * in how they recover from fake peels. Measured in bench/sketch: they turn about a third
 * of the reference's failures near the threshold into successes.
 */
import { ELEMENT_BYTES, type SetSketch, xorCell } from './set-sketch.ts'

const WORDS = 8

/** What one peeling run ends with. */
export interface PeelOutcome {
  /** The table was all zero at the end. */
  zero: boolean
  /** Pure cells peeled (a wrong peel undone later counts twice). */
  peels: number
  /** The run stopped at its peel budget. */
  limited: boolean
  /** The result set, `count * 32` bytes, in first-peel order. */
  packed: Uint8Array
  count: number
}

/** Queue disciplines for peeling; `fifo` is the reference. */
export type PeelOrder = 'fifo' | 'lifo' | 'fifo-reverse' | 'stash'

/** The reference decoder, exactly as pinned (FIFO, 2m peels). Does not touch `sketch`. */
export function decodeReference(sketch: SetSketch): PeelOutcome {
  return peel(sketch, 'fifo', 2 * sketch.cells)
}

const RETRY_ORDERS: readonly PeelOrder[] = ['stash', 'fifo', 'lifo', 'fifo-reverse']

/** The outcome of `decode`: a verified difference, or a failure with what was seen. */
export type DecodeResult =
  | { ok: true; elements: Uint8Array[]; peels: number; attempts: number }
  | { ok: false; reason: 'stuck' | 'unverified'; peels: number; limited: boolean; attempts: number }

/** Accepts or rejects a candidate difference (normally: does it give the expected set id?). */
export type Verify = (elements: Uint8Array[]) => boolean

/**
 * Decodes `sketch` (normally the XOR of two sketches) and returns the difference only
 * when `verify` accepts it. Never fails where the reference decoder succeeds and
 * verifies. `peels` is that of the reference run: about a lower bound on the difference
 * size when it got stuck, meaningless when it hit its budget (`limited`, fake peels
 * looping).
 */
export function decode(sketch: SetSketch, verify: Verify): DecodeResult {
  const m = sketch.cells
  const first = decodeReference(sketch)
  const refPeels = first.peels
  if (first.zero) {
    const elements = unpack(first)
    if (verify(elements)) return { ok: true, elements, peels: refPeels, attempts: 1 }
  }
  let attempts = 1
  let anyZero = first.zero
  // Near the threshold a few peels of fake elements (x XOR y that happens to hash to its
  // cell) per decode are normal; the toggle semantics usually heal them, but they can
  // loop until the 2m budget or corrupt a cell for good. Other orders, a larger budget
  // and a stash for suspicious peels recover part of those cases.
  for (const order of RETRY_ORDERS) {
    const outcome = peel(sketch, order, 16 * m + 64)
    attempts++
    anyZero ||= outcome.zero
    if (outcome.zero) {
      const elements = unpack(outcome)
      if (verify(elements)) return { ok: true, elements, peels: refPeels, attempts }
    }
  }
  return {
    ok: false,
    reason: anyZero ? 'unverified' : 'stuck',
    peels: refPeels,
    limited: first.limited,
    attempts,
  }
}

/** The elements of an outcome as 32-byte views. */
export function unpack(outcome: PeelOutcome): Uint8Array[] {
  const out: Uint8Array[] = new Array(outcome.count)
  for (let i = 0; i < outcome.count; i++) {
    out[i] = outcome.packed.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES)
  }
  return out
}

/** One unverified peeling run in a given order and budget (for tests and benchmarks). */
export function peelWith(
  sketch: SetSketch,
  order: PeelOrder = 'fifo',
  limit = 2 * sketch.cells,
): PeelOutcome {
  return peel(sketch, order, limit)
}

function peel(sketch: SetSketch, order: PeelOrder, limit: number): PeelOutcome {
  const m = sketch.cells
  const mask = m - 1
  const bytes = sketch.bytes.slice()
  const w = new Uint32Array(bytes.buffer)
  const queue = new Int32Array(m)
  const queued = new Uint8Array(m).fill(1)
  for (let i = 0; i < m; i++) queue[i] = order === 'fifo-reverse' ? m - 1 - i : i
  let head = 0
  let size = m
  // Peeled values, in order; toggling into the result is resolved by parity at the end.
  let found = new Uint32Array(Math.min(limit, (m >> 1) + 16) * WORDS)
  let peels = 0
  let limited = false
  const v = new Uint32Array(WORDS)
  // Suspicious pure cells wait in the stash until the queue runs dry (see othersHold).
  const stashing = order === 'stash'
  const stash = stashing ? new Int32Array(m) : queue
  const stashed = stashing ? new Uint8Array(m) : queued
  let stashHead = 0
  let stashSize = 0

  for (;;) {
    let c: number
    let fromStash = false
    if (size > 0) {
      if (order === 'lifo') {
        c = queue[(head + size - 1) & mask]!
      } else {
        c = queue[head]!
        head = (head + 1) & mask
      }
      size--
      queued[c] = 0
    } else if (stashSize > 0) {
      c = stash[stashHead]!
      stashHead = (stashHead + 1) & mask
      stashSize--
      stashed[c] = 0
      fromStash = true
    } else {
      break
    }
    const base = c * WORDS
    if (
      (w[base]! |
        w[base + 1]! |
        w[base + 2]! |
        w[base + 3]! |
        w[base + 4]! |
        w[base + 5]! |
        w[base + 6]! |
        w[base + 7]!) ===
      0
    ) {
      continue
    }
    const o = base * 4
    const h0 = (bytes[o]! | (bytes[o + 3]! << 8) | (bytes[o + 6]! << 16) | (bytes[o + 9]! << 24)) & mask
    const h1 = (bytes[o + 1]! | (bytes[o + 4]! << 8) | (bytes[o + 7]! << 16) | (bytes[o + 10]! << 24)) & mask
    const h2 = (bytes[o + 2]! | (bytes[o + 5]! << 8) | (bytes[o + 8]! << 16) | (bytes[o + 11]! << 24)) & mask
    if ((((h0 === c ? 1 : 0) + (h1 === c ? 1 : 0) + (h2 === c ? 1 : 0)) & 1) === 0) continue
    if (stashing && !fromStash && !othersHold(w, c, h0, h1, h2)) {
      if (stashed[c] === 0) {
        stashed[c] = 1
        stash[(stashHead + stashSize) & mask] = c
        stashSize++
      }
      continue
    }
    if (peels >= limit) {
      limited = true
      break
    }
    if ((peels + 1) * WORDS > found.length) {
      const grown = new Uint32Array(found.length * 2)
      grown.set(found)
      found = grown
    }
    const f = peels * WORDS
    for (let k = 0; k < WORDS; k++) {
      const x = w[base + k]!
      v[k] = x
      found[f + k] = x
    }
    peels++
    // Toggle out of the three cells and queue the others, in hash order (the reference's).
    for (let j = 0; j < 3; j++) {
      const b = j === 0 ? h0 : j === 1 ? h1 : h2
      xorCell(w, b * WORDS, v)
      if (b !== c && queued[b] === 0) {
        queued[b] = 1
        queue[(head + size) & mask] = b
        size++
      }
    }
  }

  let zero = !limited
  if (zero) {
    for (let i = 0; i < w.length; i++) {
      if (w[i] !== 0) {
        zero = false
        break
      }
    }
  }
  const { packed, count } = resolveParity(found, peels)
  return { zero, peels, limited, packed, count }
}

/**
 * The set of values peeled an odd number of times, in first-peel order. Toggling into
 * the result as the reference does is the same thing, since toggles commute.
 */
function resolveParity(found: Uint32Array, n: number): { packed: Uint8Array; count: number } {
  let size = 16
  while (size < 2 * n) size <<= 1
  const slots = new Int32Array(size).fill(-1)
  const odd = new Uint8Array(n)
  let repeats = false
  for (let i = 0; i < n; i++) {
    const at = i * WORDS
    let s = (found[at]! ^ Math.imul(found[at + 1]!, 0x9e3779b1)) & (size - 1)
    for (;;) {
      const j = slots[s]!
      if (j < 0) {
        slots[s] = i
        odd[i] = 1
        break
      }
      if (sameWords(found, j * WORDS, at)) {
        odd[j] = odd[j]! ^ 1
        repeats = true
        break
      }
      s = (s + 1) & (size - 1)
    }
  }
  if (!repeats) return { packed: new Uint8Array(found.buffer, 0, n * ELEMENT_BYTES).slice(), count: n }
  let count = 0
  for (let i = 0; i < n; i++) count += odd[i]!
  const packed = new Uint8Array(count * ELEMENT_BYTES)
  const out = new Uint32Array(packed.buffer)
  let k = 0
  for (let i = 0; i < n; i++) {
    if (odd[i] === 1) {
      out.set(found.subarray(i * WORDS, (i + 1) * WORDS), k * WORDS)
      k++
    }
  }
  return { packed, count }
}

function sameWords(a: Uint32Array, i: number, j: number): boolean {
  for (let k = 0; k < WORDS; k++) if (a[i + k] !== a[j + k]) return false
  return true
}

/**
 * A true element peeled from cell c is also in each other cell it hits an odd number of
 * times, so those cells are non-zero; a fake one (x XOR y) names random cells, which
 * late in a decode are mostly zero. Skipping such a peel defers it: the cell is queued
 * again when a neighbour changes.
 */
function othersHold(w: Uint32Array, c: number, h0: number, h1: number, h2: number): boolean {
  return oddOther(w, c, h0, h1, h2) && oddOther(w, c, h1, h0, h2) && oddOther(w, c, h2, h0, h1)
}

function oddOther(w: Uint32Array, c: number, h: number, a: number, b: number): boolean {
  if (h === c || h === a || h === b) return true
  const t = h * WORDS
  return (w[t]! | w[t + 1]! | w[t + 2]! | w[t + 3]! | w[t + 4]! | w[t + 5]! | w[t + 6]! | w[t + 7]!) !== 0
}
