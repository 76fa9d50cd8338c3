/**
 * The server's oppack encoder: the same bytes as the core's `encodeOpPack` (the core's
 * is the reference and the test holds this one to it), written for serving snapshot
 * pages fast. It writes straight into one Buffer with Node's native base64url, hex and
 * UTF-8 writers, and reads hlc times without BigInt or regular expressions: the store
 * holds only ops that passed validation, so every hlc has the canonical shape.
 */
import { type OpPackMeta, type OpPackRow, writeOpPackHeader } from '../../src/core/oppack-format.ts'
const ACTION_CODES: Readonly<Record<string, number>> = { create: 0, update: 1, delete: 2 }
/** A time delta below this many seconds (~46 days) zigzags to less than 2^53 ns: exact in a double. */
const SAFE_DELTA_SECONDS = 4_000_000

/** Seconds since the epoch of an hlc's "YYYY-MM-DDTHH:MM:SS" part; consecutive ops mostly share it. */
class SecondsReader {
  private lastPrefix = ''
  private lastSeconds = 0

  read(hlc: string): number {
    const prefix = hlc.slice(0, 19)
    if (prefix !== this.lastPrefix) {
      this.lastPrefix = prefix
      this.lastSeconds =
        Date.UTC(
          Number(hlc.slice(0, 4)),
          Number(hlc.slice(5, 7)) - 1,
          Number(hlc.slice(8, 10)),
          Number(hlc.slice(11, 13)),
          Number(hlc.slice(14, 16)),
          Number(hlc.slice(17, 19)),
        ) / 1000
    }
    return this.lastSeconds
  }
}

class BufferWriter {
  pos = 0
  constructor(readonly buf: Buffer) {}

  byte(b: number): void {
    this.buf[this.pos++] = b
  }

  /** An unsigned LEB128 varint of a safe integer. */
  uint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80
      n = Math.floor(n / 0x80)
    }
    this.buf[this.pos++] = n
  }

  big(n: bigint): void {
    while (n >= 0x80n) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80
      n >>= 7n
    }
    this.buf[this.pos++] = Number(n)
  }

  /** A varint byte length, then the UTF-8. */
  string(s: string): void {
    // Under 43 code units, the UTF-8 is under 128 bytes: a one-byte length, written after.
    if (s.length < 43) {
      const at = this.pos++
      const written = this.buf.write(s, this.pos, 'utf8')
      this.buf[at] = written
      this.pos += written
      return
    }
    this.uint(Buffer.byteLength(s, 'utf8'))
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  encoded(text: string, encoding: 'hex' | 'base64url'): void {
    this.pos += this.buf.write(text, this.pos, encoding)
  }
}

function dictIndex(dict: Map<string, number>, key: string): number {
  let i = dict.get(key)
  if (i === undefined) {
    i = dict.size
    dict.set(key, i)
  }
  return i
}

export interface OpPackBytes {
  bytes: Buffer
  /** Where the ids and signatures begin: random bytes to the end, not worth compressing. */
  randomFrom: number
}

/** Encodes stored rows of one space as oppack: byte for byte what `encodeOpPack` writes. */
export function writeOpPack(
  space: string,
  rows: readonly OpPackRow[],
  meta: OpPackMeta,
  withIds = false,
): OpPackBytes {
  const n = rows.length
  const collections = new Map<string, number>()
  const authors = new Map<string, number>()
  const instances = new Map<string, number>()
  const collectionIdx = new Uint32Array(n)
  const authorIdx = new Uint32Array(n)
  const instanceIdx = new Uint32Array(n)
  const seconds = new Float64Array(n)
  const nanos = new Float64Array(n)
  const clock = new SecondsReader()
  let bound = 64 + 3 * space.length
  for (let i = 0; i < n; i++) {
    const r = rows[i]!
    collectionIdx[i] = dictIndex(collections, r.collection)
    authorIdx[i] = dictIndex(authors, r.author)
    // "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ/<32 hex digits>"
    instanceIdx[i] = dictIndex(instances, r.hlc.slice(31))
    seconds[i] = clock.read(r.hlc)
    nanos[i] = Number(r.hlc.slice(20, 29))
    bound += 5 * 10 + 3 * (r.record.length + (r.fields?.length ?? 0)) + 10 + 32 + 64
  }
  for (const c of collections.keys()) bound += 5 + 3 * c.length
  bound += 32 * authors.size + 16 * instances.size

  const w = new BufferWriter(Buffer.allocUnsafe(bound))
  writeOpPackHeader(w, space, n, meta, withIds)
  w.uint(collections.size)
  for (const c of collections.keys()) w.string(c)
  w.uint(authors.size)
  for (const a of authors.keys()) w.encoded(a, 'base64url')
  w.uint(instances.size)
  for (const id of instances.keys()) w.encoded(id, 'hex')

  let prevSeq = meta.after
  for (let i = 0; i < n; i++) {
    const seq = rows[i]!.seq
    w.uint(seq - prevSeq)
    prevSeq = seq
  }
  for (let i = 0; i < n; i++) w.uint(collectionIdx[i]!)
  for (let i = 0; i < n; i++) w.byte(ACTION_CODES[rows[i]!.action]!)
  for (let i = 0; i < n; i++) w.uint(authorIdx[i]!)
  for (let i = 0; i < n; i++) w.uint(instanceIdx[i]!)
  let prevSeconds = 0
  let prevNanos = 0
  for (let i = 0; i < n; i++) {
    const ds = seconds[i]! - prevSeconds
    if (ds > -SAFE_DELTA_SECONDS && ds < SAFE_DELTA_SECONDS) {
      const delta = ds * 1e9 + (nanos[i]! - prevNanos)
      w.uint(delta >= 0 ? delta * 2 : -delta * 2 - 1)
    } else {
      const delta =
        BigInt(seconds[i]!) * 1_000_000_000n +
        BigInt(nanos[i]!) -
        (BigInt(prevSeconds) * 1_000_000_000n + BigInt(prevNanos))
      w.big(delta >= 0n ? delta << 1n : (-delta << 1n) - 1n)
    }
    prevSeconds = seconds[i]!
    prevNanos = nanos[i]!
  }
  for (let i = 0; i < n; i++) w.string(rows[i]!.record)
  // Fields JSON is never empty ("{}" at least), so an empty string means "absent" (a delete).
  for (let i = 0; i < n; i++) w.string(rows[i]!.fields ?? '')
  const randomFrom = w.pos
  if (withIds) for (let i = 0; i < n; i++) w.encoded(rows[i]!.id, 'hex')
  for (let i = 0; i < n; i++) w.encoded(rows[i]!.sig, 'base64url')
  return { bytes: w.buf.subarray(0, w.pos), randomFrom }
}
