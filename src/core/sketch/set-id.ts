/**
 * Set ids (PROTOCOL.md §6): hex SHA-256 of (the sum of all elements as 256-bit
 * little-endian integers mod 2^256, 32 bytes little-endian) || (count, 8 bytes
 * little-endian). The sum and count change in O(1) per insert or removal, so a side
 * keeps them running and hashes 40 bytes when asked.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { toHex } from '../bytes.ts'
import { SynclineError } from '../errors.ts'
import { ELEMENT_BYTES } from './set-sketch.ts'

const LIMBS = 8
const TWO32 = 0x1_0000_0000

export class SetIdSum {
  /** The running sum, eight 32-bit limbs, least significant first. */
  private readonly limbs = new Uint32Array(LIMBS)
  private n = 0

  static of(elements: Iterable<Uint8Array>): SetIdSum {
    const sum = new SetIdSum()
    for (const e of elements) sum.add(e)
    return sum
  }

  get count(): number {
    return this.n
  }

  /** Adds an element that is not in the set. */
  add(element: Uint8Array): void {
    check(element)
    const s = this.limbs
    let carry = 0
    for (let i = 0; i < LIMBS; i++) {
      const t = s[i]! + limb(element, i) + carry
      s[i] = t
      carry = t >= TWO32 ? 1 : 0
    }
    this.n++
  }

  /** Removes an element that is in the set. */
  remove(element: Uint8Array): void {
    check(element)
    const s = this.limbs
    let borrow = 0
    for (let i = 0; i < LIMBS; i++) {
      const t = s[i]! - limb(element, i) - borrow
      s[i] = t
      borrow = t < 0 ? 1 : 0
    }
    this.n--
  }

  copy(): SetIdSum {
    const out = new SetIdSum()
    out.limbs.set(this.limbs)
    out.n = this.n
    return out
  }

  /** The set id, 64 lower-case hex digits. */
  id(): string {
    const msg = new Uint8Array(ELEMENT_BYTES + 8)
    const s = this.limbs
    for (let i = 0; i < LIMBS; i++) {
      const v = s[i]!
      msg[4 * i] = v
      msg[4 * i + 1] = v >>> 8
      msg[4 * i + 2] = v >>> 16
      msg[4 * i + 3] = v >>> 24
    }
    const lo = this.n % TWO32
    const hi = Math.floor(this.n / TWO32)
    for (let i = 0; i < 4; i++) {
      msg[32 + i] = lo >>> (8 * i)
      msg[36 + i] = hi >>> (8 * i)
    }
    return toHex(sha256(msg))
  }
}

/** The set id of `elements` (32 bytes each, no repeats). */
export function setIdOf(elements: Iterable<Uint8Array>): string {
  return SetIdSum.of(elements).id()
}

function limb(e: Uint8Array, i: number): number {
  const o = 4 * i
  return (e[o]! | (e[o + 1]! << 8) | (e[o + 2]! << 16) | (e[o + 3]! << 24)) >>> 0
}

function check(element: Uint8Array): void {
  if (element.length !== ELEMENT_BYTES) {
    throw new SynclineError('malformed', `a set element has ${ELEMENT_BYTES} bytes, got ${element.length}`)
  }
}
