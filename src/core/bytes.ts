/**
 * Byte encodings of the wire (PROTOCOL.md §1): strict base64url without padding,
 * lower-case hex, UTF-8. Strict means one spelling per byte string, so a value
 * can be compared, hashed and used as a key in its text form.
 */

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const B64_VALUE = new Int16Array(128).fill(-1)
for (let i = 0; i < B64URL.length; i++) B64_VALUE[B64URL.charCodeAt(i)] = i

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Base64url without padding. */
export function toBase64url(bytes: Uint8Array): string {
  let out = ''
  const n = bytes.length
  let i = 0
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += B64URL[v >> 18]! + B64URL[(v >> 12) & 63]! + B64URL[(v >> 6) & 63]! + B64URL[v & 63]!
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16
    out += B64URL[v >> 18]! + B64URL[(v >> 12) & 63]!
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += B64URL[v >> 18]! + B64URL[(v >> 12) & 63]! + B64URL[(v >> 6) & 63]!
  }
  return out
}

/**
 * Decodes canonical base64url: no padding, no characters outside the alphabet,
 * and no stray bits in the last character (they would give a second spelling of the
 * same bytes). Returns undefined for anything else.
 */
export function fromBase64url(text: string): Uint8Array | undefined {
  const n = text.length
  const rest = n & 3
  if (rest === 1) return undefined
  const out = new Uint8Array((n >> 2) * 3 + (rest === 0 ? 0 : rest - 1))
  let o = 0
  let i = 0
  for (; i + 3 < n; i += 4) {
    const a = digit(text, i)
    const b = digit(text, i + 1)
    const c = digit(text, i + 2)
    const d = digit(text, i + 3)
    if ((a | b | c | d) < 0) return undefined
    const v = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = v >> 16
    out[o++] = (v >> 8) & 255
    out[o++] = v & 255
  }
  if (rest === 2) {
    const a = digit(text, i)
    const b = digit(text, i + 1)
    if ((a | b) < 0 || (b & 15) !== 0) return undefined
    out[o] = (a << 2) | (b >> 4)
  } else if (rest === 3) {
    const a = digit(text, i)
    const b = digit(text, i + 1)
    const c = digit(text, i + 2)
    if ((a | b | c) < 0 || (c & 3) !== 0) return undefined
    const v = (a << 18) | (b << 12) | (c << 6)
    out[o++] = v >> 16
    out[o] = (v >> 8) & 255
  }
  return out
}

function digit(text: string, i: number): number {
  const c = text.charCodeAt(i)
  return c < 128 ? B64_VALUE[c]! : -1
}

/** Lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]!]
  return out
}

/** Value of each lower-case hex digit by char code (below 256), -1 for every other code. */
const HEX_VALUE = new Int8Array(256).fill(-1)
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i

/**
 * Decodes lower-case hex of any even length; undefined for anything else. Table-driven
 * with one check at the end: ids of a 100k-op snapshot go through here for the set summary.
 */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length & 1) return undefined
  const out = new Uint8Array(text.length >> 1)
  let bad = 0
  for (let i = 0, j = 0; i < out.length; i++, j += 2) {
    const c1 = text.charCodeAt(j)
    const c2 = text.charCodeAt(j + 1)
    const hi = HEX_VALUE[c1 & 0xff]!
    const lo = HEX_VALUE[c2 & 0xff]!
    // A code above 255 makes `bad` negative too.
    bad |= hi | lo | -((c1 | c2) >>> 8)
    out[i] = (hi << 4) | lo
  }
  return bad < 0 ? undefined : out
}

/** True for exactly `length` lower-case hex digits. */
export function isLowerHex(text: unknown, length: number): text is string {
  if (typeof text !== 'string' || text.length !== length) return false
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c > 0xff || HEX_VALUE[c]! < 0) return false
  }
  return true
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

/** Number of UTF-8 bytes `text` encodes to, without encoding it. */
export function utf8Length(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
