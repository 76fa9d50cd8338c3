/**
 * "oppack": the compact encoding of a page of ops (PROTOCOL.md §7 "bulk transfer"),
 * negotiated with `Accept: application/vnd.syncline.oppack` (add `; ids=1` to get op
 * ids too). It carries exactly the ops of the JSON page, laid out by column with
 * dictionaries, so that gzip (HTTP `Content-Encoding`) finds the repetition:
 *
 *   "SLOP" version(1) flags after head horizon total space n
 *   collections: k strings | authors: a x 32 bytes | hlc instance ids: h x 16 bytes
 *   columns of n entries: seq delta | collection index | action (0 create, 1 update,
 *   2 delete) | author index | hlc id index | hlc time (zigzag delta, ns) | record |
 *   fields (JSON text, empty when absent) | [ids: 32 bytes] | sigs: 64 bytes
 *
 * Integers are unsigned LEB128 varints; strings are a varint byte length and UTF-8.
 * Flags: 1 ids included, 2 more, 4 resync. Without ids a reader recomputes each id
 * from the op (it must hash the op to trust its signature anyway); that saves 32 of
 * the ~100 bytes an op costs here, most of the rest being its 64-byte signature.
 *
 * Pure apart from the core's hashing: the engine uses the same modules to read pages
 * (the reader is oppack-decode.ts, the shared names oppack-format.ts).
 */
import { fromBase64url, fromHex } from './bytes.ts'
import { ACTIONS, OPPACK_TYPE, type OpPackMeta, type OpPackRow, writeOpPackHeader } from './oppack-format.ts'
import { parseHlc } from './uhlc.ts'

export { OPPACK_TYPE, type OpPackMeta, type OpPackPage, type OpPackRow } from './oppack-format.ts'
export { decodeOpPack, opPackIds, peekOpPack } from './oppack-decode.ts'

/** Whether an Accept header asks for oppack (or another media type of it, `mediaType`), and with ids. */
export function wantsOpPack(
  accept: string | undefined,
  mediaType = OPPACK_TYPE,
): { ids: boolean } | undefined {
  if (!accept?.includes(mediaType)) return undefined
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map(s => s.trim())
    if (type !== mediaType) continue
    return { ids: params.some(p => p.replace(/\s/g, '') === 'ids=1') }
  }
  return undefined
}

class Writer {
  private buf = new Uint8Array(1 << 16)
  length = 0

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  byte(b: number): void {
    this.room(1)
    this.buf[this.length++] = b
  }

  uint(n: number): void {
    this.room(10)
    while (n >= 0x80) {
      this.buf[this.length++] = (n % 0x80) | 0x80
      n = Math.floor(n / 0x80)
    }
    this.buf[this.length++] = n
  }

  big(n: bigint): void {
    this.room(10)
    while (n >= 0x80n) {
      this.buf[this.length++] = Number(n & 0x7fn) | 0x80
      n >>= 7n
    }
    this.buf[this.length++] = Number(n)
  }

  bytes(b: Uint8Array): void {
    this.room(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
  }

  string(s: string): void {
    const max = s.length * 3
    this.room(max + 5)
    // Write the UTF-8 after a maximal-width length slot, then move it down if shorter.
    const start = this.length
    const { written } = new TextEncoder().encodeInto(s, this.buf.subarray(start + 5, start + 5 + max))
    const lengthBytes = varintSize(written)
    this.uint(written)
    this.buf.copyWithin(start + lengthBytes, start + 5, start + 5 + written)
    this.length = start + lengthBytes + written
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length)
  }
}

function varintSize(n: number): number {
  let size = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    size++
  }
  return size
}

function zigzag(n: bigint): bigint {
  return n >= 0n ? n << 1n : (-n << 1n) - 1n
}

/** Encodes stored rows of one space (fields kept as JSON text, never re-serialised). */
export function encodeOpPack(
  space: string,
  rows: readonly OpPackRow[],
  meta: OpPackMeta,
  withIds = false,
): Uint8Array {
  const w = new Writer()
  writeOpPackHeader(w, space, rows.length, meta, withIds)

  const collections = new Map<string, number>()
  const authors = new Map<string, number>()
  const instances = new Map<string, number>()
  const index = (dict: Map<string, number>, key: string) => {
    let i = dict.get(key)
    if (i === undefined) {
      i = dict.size
      dict.set(key, i)
    }
    return i
  }
  const collectionIdx = rows.map(r => index(collections, r.collection))
  const authorIdx = rows.map(r => index(authors, r.author))
  const times: bigint[] = new Array(rows.length)
  const instanceIdx = rows.map((r, i) => {
    const ts = parseHlc(r.hlc)!
    times[i] = ts.time
    return index(instances, ts.id)
  })

  w.uint(collections.size)
  for (const c of collections.keys()) w.string(c)
  w.uint(authors.size)
  for (const a of authors.keys()) w.bytes(fromBase64url(a)!)
  w.uint(instances.size)
  for (const id of instances.keys()) w.bytes(fromHex(id.toLowerCase())!)

  let prevSeq = meta.after
  for (const r of rows) {
    w.uint(r.seq - prevSeq)
    prevSeq = r.seq
  }
  for (const i of collectionIdx) w.uint(i)
  for (const r of rows) w.byte(ACTIONS.indexOf(r.action))
  for (const i of authorIdx) w.uint(i)
  for (const i of instanceIdx) w.uint(i)
  let prevTime = 0n
  for (const t of times) {
    w.big(zigzag(t - prevTime))
    prevTime = t
  }
  for (const r of rows) w.string(r.record)
  // Fields JSON is never empty ("{}" at least), so an empty string means "absent" (a delete).
  for (const r of rows) w.string(r.fields ?? '')
  if (withIds) for (const r of rows) w.bytes(fromHex(r.id)!)
  for (const r of rows) w.bytes(fromBase64url(r.sig)!)
  return w.result()
}
