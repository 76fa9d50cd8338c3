/**
 * The XOR set sketch of PROTOCOL.md §6 (Figure 1 of Belazzougui, Kucherov and Walzer,
 * ICALP 2024): `m` cells of 32 bytes, each 32-byte element XORed into the three cells
 * its own bytes name. Insert and delete are the same toggle, two sketches subtract by
 * XOR, and a sketch folds to half its size, so one sketch kept at a large size serves
 * every smaller request.
 *
 * Cells live in one byte array with a 32-bit word view over it: XOR runs on words
 * (byte order does not matter for XOR as long as both sides are views of bytes), and
 * the hashes read bytes, so the result is the same on any platform.
 */
import { fromBase64url, toBase64url } from '../bytes.ts'
import { fail, ok, type Result, SynclineError } from '../errors.ts'

/** Bytes per element and per cell. */
export const ELEMENT_BYTES = 32
const WORDS = 8

/** Largest sketch a peer accepts unless configured otherwise (2 MiB of cells). */
export const DEFAULT_CELL_CAP = 65_536

/** `{cells, sketch}` as it crosses the wire. */
export interface SketchWire {
  cells: number
  sketch: string
}

/** True for 1, 2, 4, ... 2^30. */
/** XORs the 8 words of `value` into the cell whose first word is `at`: the one step of toggle and peel. */
export function xorCell(words: Uint32Array, at: number, value: Uint32Array): void {
  words[at] = words[at]! ^ value[0]!
  words[at + 1] = words[at + 1]! ^ value[1]!
  words[at + 2] = words[at + 2]! ^ value[2]!
  words[at + 3] = words[at + 3]! ^ value[3]!
  words[at + 4] = words[at + 4]! ^ value[4]!
  words[at + 5] = words[at + 5]! ^ value[5]!
  words[at + 6] = words[at + 6]! ^ value[6]!
  words[at + 7] = words[at + 7]! ^ value[7]!
}

export function isPowerOfTwo(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 2 ** 30 && (n & (n - 1)) === 0
}

/**
 * `h_j(v) = v[j] + 2^8 v[j+3] + 2^16 v[j+6] + 2^24 v[j+9]` (unsigned 32-bit), for the
 * element at `offset` in `bytes`.
 */
export function elementHash(bytes: Uint8Array, j: number, offset = 0): number {
  const o = offset + j
  return (bytes[o]! | (bytes[o + 3]! << 8) | (bytes[o + 6]! << 16) | (bytes[o + 9]! << 24)) >>> 0
}

export class SetSketch {
  /** Number of cells, a power of two. */
  readonly cells: number
  /** The cells, `cells * 32` bytes; cell i is bytes 32i .. 32i + 31. */
  readonly bytes: Uint8Array
  private readonly words: Uint32Array
  private readonly mask: number

  /** An all-zero sketch; throws `malformed` unless `cells` is a power of two. */
  constructor(cells: number, bytes?: Uint8Array) {
    if (!isPowerOfTwo(cells))
      throw new SynclineError('malformed', `cells must be a power of two, got ${cells}`)
    if (bytes !== undefined && bytes.length !== cells * ELEMENT_BYTES) {
      throw new SynclineError('malformed', `a sketch of ${cells} cells has ${cells * ELEMENT_BYTES} bytes`)
    }
    this.cells = cells
    // A fresh, aligned copy: callers' arrays may sit at any byte offset.
    this.bytes = bytes === undefined ? new Uint8Array(cells * ELEMENT_BYTES) : bytes.slice()
    this.words = new Uint32Array(this.bytes.buffer, this.bytes.byteOffset, cells * WORDS)
    this.mask = cells - 1
  }

  /** The sketch of `elements` (32 bytes each) at `cells`. */
  static of(cells: number, elements: Iterable<Uint8Array>): SetSketch {
    const sketch = new SetSketch(cells)
    for (const e of elements) sketch.toggle(e)
    return sketch
  }

  /**
   * Parses a wire body `{cells, sketch}`: `malformed` unless `cells` is a power of two
   * no larger than `cap` and `sketch` is canonical base64url of exactly `cells * 32` bytes.
   */
  static fromWire(wire: unknown, cap = DEFAULT_CELL_CAP): Result<SetSketch> {
    if (typeof wire !== 'object' || wire === null) return fail('malformed', 'sketch body must be an object')
    const { cells, sketch } = wire as Record<string, unknown>
    if (!isPowerOfTwo(cells)) return fail('malformed', 'cells must be a power of two')
    if (cells > cap) return fail('malformed', `cells ${cells} is above the cap of ${cap}`)
    if (typeof sketch !== 'string') return fail('malformed', 'sketch must be a base64url string')
    // Checked before decoding so a huge string costs nothing.
    if (sketch.length !== Math.ceil((cells * ELEMENT_BYTES * 4) / 3)) {
      return fail('malformed', `sketch length does not match ${cells} cells`)
    }
    const bytes = fromBase64url(sketch)
    if (bytes === undefined) return fail('malformed', 'sketch is not canonical base64url')
    if (bytes.length !== cells * ELEMENT_BYTES)
      return fail('malformed', `sketch length does not match ${cells} cells`)
    return ok(new SetSketch(cells, bytes))
  }

  toWire(): SketchWire {
    return { cells: this.cells, sketch: toBase64url(this.bytes) }
  }

  copy(): SetSketch {
    return new SetSketch(this.cells, this.bytes)
  }

  /** Toggles one 32-byte element in or out; throws `malformed` on another length. */
  toggle(element: Uint8Array): void {
    if (element.length !== ELEMENT_BYTES) {
      throw new SynclineError('malformed', `a set element has ${ELEMENT_BYTES} bytes, got ${element.length}`)
    }
    SCRATCH_BYTES.set(element)
    this.toggleScratch()
  }

  /** Toggles every element of `packed`, which holds `n * 32` bytes back to back. */
  toggleAll(packed: Uint8Array): void {
    if (packed.length % ELEMENT_BYTES !== 0) {
      throw new SynclineError('malformed', `packed elements must be a multiple of ${ELEMENT_BYTES} bytes`)
    }
    for (let o = 0; o < packed.length; o += ELEMENT_BYTES) {
      SCRATCH_BYTES.set(packed.subarray(o, o + ELEMENT_BYTES))
      this.toggleScratch()
    }
  }

  private toggleScratch(): void {
    const w = this.words
    const s = SCRATCH_WORDS
    for (let j = 0; j < 3; j++) xorCell(w, (elementHash(SCRATCH_BYTES, j) & this.mask) * WORDS, s)
  }

  /** XORs `other` (same size) into this sketch: the sketch of the symmetric difference. */
  xor(other: SetSketch): this {
    if (other.cells !== this.cells) {
      throw new SynclineError('malformed', `cannot XOR sketches of ${this.cells} and ${other.cells} cells`)
    }
    const a = this.words
    const b = other.words
    for (let i = 0; i < a.length; i++) a[i] = a[i]! ^ b[i]!
    return this
  }

  /**
   * Folds to `cells` (a smaller or equal power of two) by XORing the upper half into
   * the lower, repeatedly; equals the sketch built directly at that size.
   */
  fold(cells = this.cells >>> 1): SetSketch {
    if (!isPowerOfTwo(cells) || cells > this.cells) {
      throw new SynclineError('malformed', `cannot fold ${this.cells} cells to ${cells}`)
    }
    if (cells === this.cells) return this.copy()
    const out = new SetSketch(cells)
    const dst = out.words
    const src = this.words
    const n = cells * WORDS
    for (let from = 0; from < src.length; from += n) {
      for (let i = 0; i < n; i++) dst[i] = dst[i]! ^ src[from + i]!
    }
    return out
  }

  isZero(): boolean {
    const w = this.words
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false
    return true
  }

  /** Number of all-zero cells (what a difference-size estimate starts from). */
  zeroCells(): number {
    const w = this.words
    let zero = 0
    for (let c = 0; c < w.length; c += WORDS) {
      if ((w[c]! | w[c + 1]! | w[c + 2]! | w[c + 3]! | w[c + 4]! | w[c + 5]! | w[c + 6]! | w[c + 7]!) === 0) {
        zero++
      }
    }
    return zero
  }

  equals(other: SetSketch): boolean {
    if (other.cells !== this.cells) return false
    const a = this.words
    const b = other.words
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
}

const SCRATCH_BYTES = new Uint8Array(ELEMENT_BYTES)
const SCRATCH_WORDS = new Uint32Array(SCRATCH_BYTES.buffer)
