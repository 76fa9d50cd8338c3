/**
 * The oppack reader (the format is described at the top of oppack.ts): a whole page,
 * its op ids alone (for a helper thread), or only where the next page starts.
 */
import { toBase64url, toHex } from './bytes.ts'
import { SynclineError } from './errors.ts'
import { canonicalJson, type JsonObject } from './json.ts'
import type { Action, Op } from './op.ts'
import {
  ACTIONS,
  FLAG_IDS,
  FLAG_MORE,
  FLAG_RESYNC,
  MAGIC,
  type OpPackPage,
  VERSION,
} from './oppack-format.ts'
import { sha256Hex } from './sha256-hex.ts'
import { formatHlc } from './uhlc.ts'

function unzigzag(n: bigint): bigint {
  return n & 1n ? -((n + 1n) >> 1n) : n >> 1n
}

class Reader {
  pos = 0
  private readonly decoder = new TextDecoder('utf-8', { fatal: true })
  constructor(private readonly buf: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw bad('truncated')
    return this.buf[this.pos++]!
  }

  uint(): number {
    let n = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const b = this.byte()
      n += (b & 0x7f) * scale
      if (b < 0x80) return n
      scale *= 0x80
    }
    throw bad('varint too long')
  }

  /** A zigzag varint as a bigint; the common short one is read as a number first. */
  zigzag(): bigint {
    const start = this.pos
    let n = 0
    let scale = 1
    for (let i = 0; i < 7; i++) {
      const b = this.byte()
      n += (b & 0x7f) * scale
      if (b < 0x80) return BigInt(n % 2 === 0 ? n / 2 : -(n + 1) / 2)
      scale *= 0x80
    }
    this.pos = start
    return unzigzag(this.big())
  }

  big(): bigint {
    let n = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      const b = this.byte()
      n |= BigInt(b & 0x7f) << shift
      if (b < 0x80) return n
      shift += 7n
    }
    throw bad('varint too long')
  }

  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw bad('truncated')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  string(): string {
    const n = this.uint()
    const bytes = this.bytes(n)
    // Short ASCII strings (record ids, small fields) are read without the decoder's call cost.
    if (n <= 64) {
      let ascii = true
      for (let i = 0; i < n; i++) if (bytes[i]! >= 0x80) ascii = false
      if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[])
    }
    try {
      return this.decoder.decode(bytes)
    } catch {
      throw bad('a string is not UTF-8')
    }
  }
}

/**
 * Formats hlc strings of nearby times, reusing the date of the last whole second. The
 * text is built as char codes and made one flat string: a string concatenated from
 * pieces is flattened by every later use (storing, comparing), one op at a time.
 */
class HlcFormatter {
  private second = -1n
  private readonly codes = new Uint16Array(63)
  private instance = ''

  format(time: bigint, id: string): string {
    const nanos = time - this.second
    if (this.second < 0n || nanos < 0n || nanos >= NS_PER_S || time > MAX_HLC_TIME) {
      const text = formatHlc(time, id)
      if (text.length !== this.codes.length) return text
      this.second = time - (time % NS_PER_S)
      for (let i = 0; i < 20; i++) this.codes[i] = text.charCodeAt(i)
      this.codes[29] = 0x5a // Z
      this.codes[30] = 0x2f // /
    }
    let n = Number(time - this.second)
    for (let i = 28; i >= 20; i--) {
      this.codes[i] = 0x30 + (n % 10)
      n = Math.floor(n / 10)
    }
    if (id !== this.instance) {
      this.instance = id
      for (let i = 0; i < 32; i++) this.codes[31 + i] = id.charCodeAt(i)
    }
    return String.fromCharCode.apply(null, this.codes as unknown as number[])
  }
}

const B64URL_CODES = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', c =>
  c.charCodeAt(0),
)
/** Decodes ASCII (the base64url alphabet) in one call; latin1 agrees with ASCII below 0x80. */
const ascii = new TextDecoder('latin1')

/**
 * `n` 64-byte signatures as base64url (86 characters each), one after another in one
 * flat string: one decoder call for a page, where a string per signature cost a call
 * each. Each op's signature is then a slice of it.
 */
function signaturesText(bytes: Uint8Array, n: number): string {
  const codes = new Uint8Array(86 * n)
  let j = 0
  for (let at = 0; at < 64 * n; at += 64) {
    for (let i = at; i < at + 63; i += 3) {
      const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
      codes[j++] = B64URL_CODES[v >> 18]!
      codes[j++] = B64URL_CODES[(v >> 12) & 63]!
      codes[j++] = B64URL_CODES[(v >> 6) & 63]!
      codes[j++] = B64URL_CODES[v & 63]!
    }
    const last = bytes[at + 63]! << 16
    codes[j++] = B64URL_CODES[last >> 18]!
    codes[j++] = B64URL_CODES[(last >> 12) & 63]!
  }
  return ascii.decode(codes)
}

const NS_PER_S = 1_000_000_000n
const MAX_HLC_TIME = (1n << 64n) - 1n

function bad(message: string): SynclineError {
  return new SynclineError('malformed', `oppack: ${message}`)
}

/**
 * Where the page after this one starts, and the `total` of its query, read without
 * decoding the ops (only the header and the seq column): a reader can ask for the next
 * page while it decodes this one.
 */
export function peekOpPack(bytes: Uint8Array): { more: boolean; last: number; total: number } {
  const r = new Reader(bytes)
  for (const b of MAGIC) if (r.byte() !== b) throw bad('not an oppack')
  if (r.byte() !== VERSION) throw bad('unknown version')
  const flags = r.uint()
  let last = r.uint()
  r.uint() // head
  r.uint() // horizon
  const total = r.uint()
  r.string() // space
  const n = r.uint()
  for (let i = r.uint(); i > 0; i--) r.string() // collections
  r.bytes(32 * r.uint()) // authors
  r.bytes(16 * r.uint()) // hlc instance ids
  for (let i = 0; i < n; i++) last += r.uint()
  return { more: (flags & FLAG_MORE) !== 0, last, total }
}

/** A page read into columns, nothing per op built yet. */
interface Columns {
  flags: number
  after: number
  head: number
  horizon: number
  total: number
  space: string
  n: number
  collections: string[]
  authors: string[]
  seqs: number[]
  cols: number[]
  actions: Action[]
  auths: number[]
  hlcs: string[]
  records: string[]
  /** Each op's fields as JSON text, '' for none (a delete). */
  fields: string[]
  carried: string[] | undefined
  sigs: Uint8Array
}

function readColumns(bytes: Uint8Array): Columns {
  const r = new Reader(bytes)
  for (const b of MAGIC) if (r.byte() !== b) throw bad('not an oppack')
  if (r.byte() !== VERSION) throw bad('unknown version')
  const flags = r.uint()
  const after = r.uint()
  const head = r.uint()
  const horizon = r.uint()
  const total = r.uint()
  const space = r.string()
  const n = r.uint()
  if (n > bytes.length) throw bad('count larger than the page')
  const collections = Array.from({ length: r.uint() }, () => r.string())
  const authors = Array.from({ length: r.uint() }, () => toBase64url(r.bytes(32)))
  const instances = Array.from({ length: r.uint() }, () => toHex(r.bytes(16)).toUpperCase())
  const index = (size: number, i: number): number => {
    if (i >= size) throw bad('dictionary index out of range')
    return i
  }
  const seqs = new Array<number>(n)
  let seq = after
  for (let i = 0; i < n; i++) seqs[i] = seq += r.uint()
  const cols = new Array<number>(n)
  for (let i = 0; i < n; i++) cols[i] = index(collections.length, r.uint())
  const actions = new Array<Action>(n)
  for (let i = 0; i < n; i++) actions[i] = ACTIONS[index(ACTIONS.length, r.byte())]!
  const auths = new Array<number>(n)
  for (let i = 0; i < n; i++) auths[i] = index(authors.length, r.uint())
  const insts = new Array<number>(n)
  for (let i = 0; i < n; i++) insts[i] = index(instances.length, r.uint())
  const hlcs = new Array<string>(n)
  const formatter = new HlcFormatter()
  let time = 0n
  for (let i = 0; i < n; i++) hlcs[i] = formatter.format((time += r.zigzag()), instances[insts[i]!]!)
  const records = new Array<string>(n)
  for (let i = 0; i < n; i++) records[i] = r.string()
  const fields = new Array<string>(n)
  for (let i = 0; i < n; i++) fields[i] = r.string()
  const carried = flags & FLAG_IDS ? Array.from({ length: n }, () => toHex(r.bytes(32))) : undefined
  const sigs = r.bytes(64 * n)
  if (r.pos !== bytes.length) throw bad('trailing bytes')
  return {
    flags,
    after,
    head,
    horizon,
    total,
    space,
    n,
    collections,
    authors,
    seqs,
    cols,
    actions,
    auths,
    hlcs,
    records,
    fields,
    carried,
    sigs,
  }
}

function parseFields(text: string): JsonObject | undefined {
  return text === '' ? undefined : (JSON.parse(text) as JsonObject)
}

/**
 * Hashes op i of a page: `canonicalOp` of it, with what the page already escaped (every
 * decoded string is well-formed UTF-8; action, author and hlc are plain ASCII).
 */
function hasher(c: Columns): (i: number, fields: JsonObject | undefined) => string {
  const collectionJson = c.collections.map(name => JSON.stringify(name))
  const spaceJson = `,"space":${JSON.stringify(c.space)}}`
  return (i, f) =>
    sha256Hex(
      `{"action":"${c.actions[i]}","author":"${c.authors[c.auths[i]!]}","collection":${collectionJson[c.cols[i]!]}` +
        `${f === undefined ? '' : `,"fields":${canonicalJson(f)}`},"hlc":"${c.hlcs[i]}",` +
        `"record":${JSON.stringify(c.records[i])}${spaceJson}`,
    )
}

/**
 * The ids of a page's ops, each 64 hex digits, one after another: what `decodeOpPack`
 * computes when the page does not carry them, for a reader that hashes pages on another
 * thread and hands the result to `decodeOpPack`. Builds no ops and reads no signatures.
 */
export function opPackIds(bytes: Uint8Array): string {
  const c = readColumns(bytes)
  if (c.carried) return c.carried.join('')
  const hash = hasher(c)
  let ids = ''
  for (let i = 0; i < c.n; i++) ids += hash(i, parseFields(c.fields[i]!))
  return ids
}

/**
 * Decodes a page; recomputes op ids when the page does not carry them, unless `ids`
 * has them (`opPackIds` of the same bytes).
 */
export function decodeOpPack(bytes: Uint8Array, ids?: string): OpPackPage {
  const c = readColumns(bytes)
  const { n, space } = c
  if (ids !== undefined && ids.length !== 64 * n) throw bad('ids of another page')
  const sigs = signaturesText(c.sigs, n)
  const hash = c.carried || ids !== undefined ? undefined : hasher(c)
  const ops = new Array<{ seq: number; op: Op }>(n)
  for (let i = 0; i < n; i++) {
    const op = {
      space,
      collection: c.collections[c.cols[i]!]!,
      record: c.records[i]!,
      action: c.actions[i]!,
      hlc: c.hlcs[i]!,
      author: c.authors[c.auths[i]!]!,
    } as Op
    const f = parseFields(c.fields[i]!)
    if (f !== undefined) op.fields = f
    op.id = c.carried ? c.carried[i]! : hash ? hash(i, f) : ids!.slice(64 * i, 64 * i + 64)
    op.sig = sigs.slice(86 * i, 86 * i + 86)
    ops[i] = { seq: c.seqs[i]!, op }
  }
  return {
    space,
    after: c.after,
    head: c.head,
    horizon: c.horizon,
    total: c.total,
    more: (c.flags & FLAG_MORE) !== 0,
    resync: (c.flags & FLAG_RESYNC) !== 0,
    ops,
  }
}
