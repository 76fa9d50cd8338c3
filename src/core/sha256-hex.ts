/**
 * SHA-256 of a string's UTF-8, as lower-case hex: the op id of a canonical op text,
 * for hashing thousands of small texts (a snapshot page) without allocating per call.
 * noble's `sha256` makes several typed arrays per call, and on a 5,000-op page
 * collecting them cost as much as the hashing itself. Same results as noble
 * (sha256-hex.test.ts compares them); single-threaded use of module scratch buffers.
 */

const K = Int32Array.from(
  [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ],
  k => k | 0,
)
const HEX_CODES = Array.from('0123456789abcdef', c => c.charCodeAt(0))
const digits = new Uint16Array(64)
const encoder = new TextEncoder()
const W = new Int32Array(64)
let input = new Uint8Array(4096)

export function sha256Hex(text: string): string {
  // At most 3 UTF-8 bytes per UTF-16 unit, plus the padding (0x80 and 8 length bytes).
  if (input.length < text.length * 3 + 72) input = new Uint8Array(text.length * 6 + 72)
  const n = encoder.encodeInto(text, input).written
  const blocks = (n + 72) >>> 6
  const end = blocks * 64
  input[n] = 0x80
  input.fill(0, n + 1, end - 8)
  const high = Math.floor(n / 0x20000000)
  const low = (n * 8) >>> 0
  input[end - 8] = high >>> 24
  input[end - 7] = high >>> 16
  input[end - 6] = high >>> 8
  input[end - 5] = high
  input[end - 4] = low >>> 24
  input[end - 3] = low >>> 16
  input[end - 2] = low >>> 8
  input[end - 1] = low

  let h0 = 0x6a09e667 | 0
  let h1 = 0xbb67ae85 | 0
  let h2 = 0x3c6ef372 | 0
  let h3 = 0xa54ff53a | 0
  let h4 = 0x510e527f | 0
  let h5 = 0x9b05688c | 0
  let h6 = 0x1f83d9ab | 0
  let h7 = 0x5be0cd19 | 0
  for (let offset = 0; offset < end; offset += 64) {
    for (let i = 0; i < 16; i++) {
      const j = offset + 4 * i
      W[i] = (input[j]! << 24) | (input[j + 1]! << 16) | (input[j + 2]! << 8) | input[j + 3]!
    }
    for (let i = 16; i < 64; i++) {
      const x = W[i - 15]!
      const y = W[i - 2]!
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0
    }
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    let f = h5
    let g = h6
    let h = h7
    for (let i = 0; i < 64; i++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
      h = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
    h5 = (h5 + f) | 0
    h6 = (h6 + g) | 0
    h7 = (h7 + h) | 0
  }
  hex(h0, 0)
  hex(h1, 8)
  hex(h2, 16)
  hex(h3, 24)
  hex(h4, 32)
  hex(h5, 40)
  hex(h6, 48)
  hex(h7, 56)
  // One flat string (not 32 concatenated pieces, which every later use would flatten).
  return String.fromCharCode.apply(null, digits as unknown as number[])
}

function hex(word: number, at: number): void {
  for (let i = 7; i >= 0; i--) {
    digits[at + i] = HEX_CODES[word & 15]!
    word >>>= 4
  }
}
