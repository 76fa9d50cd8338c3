/**
 * Operations (PROTOCOL.md §3): one signed, content-addressed change to one record.
 * Here: the types, building and signing, and the shape check (`malformed`) and id
 * check (`bad_id`) of validation. `validate.ts` runs the whole order.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { fromBase64url, isLowerHex, toBase64url, toHex, utf8, utf8Length } from './bytes.ts'
import type { Ed25519Signer } from './ed25519.ts'
import { fail, ok, type Result } from './errors.ts'
import { canonicalJson, isPlainObject, isWellFormed, type JsonObject, NotJsonError } from './json.ts'
import { isName } from './schema.ts'
import { parseHlc } from './uhlc.ts'

export type Action = 'create' | 'update' | 'delete'

/** An op before it is addressed and signed. */
export interface UnsignedOp {
  space: string
  collection: string
  record: string
  action: Action
  /** Present for create and update, absent for delete. */
  fields?: JsonObject
  hlc: string
  /** The author device's Ed25519 public key, base64url. */
  author: string
}

/** A complete op as it travels and is stored. */
export interface Op extends UnsignedOp {
  /** Hex SHA-256 of the canonical JSON of the op without id and sig. */
  id: string
  /** Base64url Ed25519 signature by `author` over the 32 bytes of `id`. */
  sig: string
}

export interface OpLimits {
  /** Longest space, collection and record name, in code points. Default 256. */
  maxNameLength: number
  /** Largest canonical op without id and sig, in UTF-8 bytes. Default 65,536. */
  maxOpBytes: number
}

export const DEFAULT_OP_LIMITS: Readonly<OpLimits> = Object.freeze({ maxNameLength: 256, maxOpBytes: 65_536 })

const ACTIONS: readonly string[] = ['create', 'update', 'delete']
const OP_KEYS = new Set(['space', 'collection', 'record', 'action', 'fields', 'hlc', 'author', 'id', 'sig'])

/** SHA-256 of bytes. noble's by default; a platform's native one may be injected. */
export type Sha256 = (data: Uint8Array) => Uint8Array

export const nobleSha256: Sha256 = data => sha256(data)

/**
 * The canonical JSON (RFC 8785) of the op without `id` and `sig`: what the id hashes.
 * Written out with the top-level keys in their sorted order, which is the same text
 * as `canonicalJson` of the op and several times faster on this hot path. Throws
 * `NotJsonError` where `canonicalJson` would.
 */
export function canonicalOp(op: UnsignedOp): string {
  const fields = op.fields === undefined ? '' : `,"fields":${canonicalJson(op.fields)}`
  return (
    `{"action":${jsonString(op.action)},"author":${jsonString(op.author)},"collection":${jsonString(op.collection)}` +
    `${fields},"hlc":${jsonString(op.hlc)},"record":${jsonString(op.record)},"space":${jsonString(op.space)}}`
  )
}

function jsonString(value: unknown): string {
  if (typeof value !== 'string' || !isWellFormed(value)) return canonicalJson(value)
  return JSON.stringify(value)
}

/** The op's id: hex SHA-256 of its canonical JSON. */
export function computeOpId(op: UnsignedOp, hash: Sha256 = nobleSha256): string {
  return toHex(hash(utf8(canonicalOp(op))))
}

/** Addresses and signs an op. */
export async function signOp(op: UnsignedOp, signer: Ed25519Signer, hash: Sha256 = nobleSha256): Promise<Op> {
  const canonical = canonicalOp(op)
  const idBytes = hash(utf8(canonical))
  const sig = toBase64url(await signer.sign(idBytes))
  const { space, collection, record, action, fields, hlc, author } = op
  const signed: Op = { space, collection, record, action, hlc, author, id: toHex(idBytes), sig }
  if (fields !== undefined) signed.fields = fields
  return signed
}

/** An op that passed the shape check, with what later checks need. */
export interface InspectedOp {
  op: Op
  canonical: string
  authorKey: Uint8Array
  signature: Uint8Array
  /** The hlc's time, ns (for the drift check). */
  hlcTime: bigint
}

/**
 * Validation step 1 (`malformed`): keys, types, names, hlc form, encodings, limits.
 * Works on a parsed value; text must go through `parseJsonStrict` first. `authorKeys`
 * may carry decoded author keys across the ops of a batch (most share a few authors).
 */
export function inspectOp(
  value: unknown,
  limits: OpLimits = DEFAULT_OP_LIMITS,
  authorKeys?: Map<string, Uint8Array>,
): Result<InspectedOp> {
  if (!isPlainObject(value)) return fail('malformed', 'an op is a JSON object')
  for (const key of Object.keys(value)) {
    if (!OP_KEYS.has(key)) return fail('malformed', `unknown key ${JSON.stringify(key)}`)
  }
  const { space, collection, record, action, fields, hlc, author, id, sig } = value
  const badName = !isGoodName(space, limits)
    ? 'space'
    : !isGoodName(collection, limits)
      ? 'collection'
      : !isGoodName(record, limits)
        ? 'record'
        : undefined
  if (badName) {
    return fail('malformed', `${badName} must be a string of 1 to ${limits.maxNameLength} characters`)
  }
  if (typeof action !== 'string' || !ACTIONS.includes(action)) {
    return fail('malformed', 'action must be create, update or delete')
  }
  if (action === 'delete') {
    if (fields !== undefined) return fail('malformed', 'a delete has no fields')
  } else if (!isPlainObject(fields)) {
    return fail('malformed', `a ${action} has a fields object`)
  }
  const timestamp = typeof hlc === 'string' ? parseHlc(hlc) : undefined
  if (!timestamp) return fail('malformed', 'hlc is not a valid UHLC timestamp')
  const authorKey = typeof author === 'string' ? decodeAuthor(author, authorKeys) : undefined
  if (authorKey?.length !== 32) return fail('malformed', 'author must be 32 bytes in canonical base64url')
  if (!isLowerHex(id, 64)) return fail('malformed', 'id must be 64 lower-case hex digits')
  const signature = typeof sig === 'string' ? fromBase64url(sig) : undefined
  if (signature?.length !== 64) return fail('malformed', 'sig must be 64 bytes in canonical base64url')
  const op = value as unknown as Op
  // Writing the canonical form also checks the field values (finite numbers,
  // well-formed strings, plain objects, bounded depth), so the fields are walked once.
  let canonical: string
  try {
    canonical = canonicalCheckedOp(op)
  } catch (error) {
    if (error instanceof NotJsonError) return fail('malformed', `fields: ${error.message}`)
    throw error
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: most ops need no count.
  if (canonical.length * 3 > limits.maxOpBytes && utf8Length(canonical) > limits.maxOpBytes) {
    return fail('malformed', `op is larger than ${limits.maxOpBytes} bytes`)
  }
  return ok({ op, canonical, authorKey, signature, hlcTime: timestamp.time })
}

function isGoodName(value: unknown, limits: OpLimits): boolean {
  return isName(value, limits.maxNameLength) && isWellFormed(value)
}

function decodeAuthor(author: string, cache: Map<string, Uint8Array> | undefined): Uint8Array | undefined {
  let key = cache?.get(author)
  if (key) return key
  key = fromBase64url(author)
  if (key?.length === 32) cache?.set(author, key)
  return key
}

/**
 * `canonicalOp` of an op whose names were checked well-formed, whose action is one of
 * three words and whose hlc and author are ASCII without quotes or backslashes (their
 * shapes were checked): only its names go through `JSON.stringify`.
 */
function canonicalCheckedOp(op: Op): string {
  const fields = op.fields === undefined ? '' : `,"fields":${canonicalJson(op.fields)}`
  return (
    `{"action":"${op.action}","author":"${op.author}","collection":${JSON.stringify(op.collection)}` +
    `${fields},"hlc":"${op.hlc}","record":${JSON.stringify(op.record)},"space":${JSON.stringify(op.space)}}`
  )
}

/** Validation step 2 (`bad_id`); returns the id's 32 bytes, which the signature covers. */
export function checkOpId(inspected: InspectedOp, hash: Sha256 = nobleSha256): Result<Uint8Array> {
  const digest = hash(utf8(inspected.canonical))
  const id = inspected.op.id
  for (let i = 0; i < 32; i++) {
    const byte = digest[i]!
    if (id.charCodeAt(2 * i) !== HEX_CODES[byte >> 4] || id.charCodeAt(2 * i + 1) !== HEX_CODES[byte & 15]) {
      return fail('bad_id', 'id is not the hash of the op')
    }
  }
  return ok(digest)
}

/** Char codes of the lower-case hex digits. */
const HEX_CODES = Array.from('0123456789abcdef', c => c.charCodeAt(0))

/** Orders ops by hlc, ties by id (§4): the order every merge rule uses. */
export function compareOps(a: { hlc: string; id: string }, b: { hlc: string; id: string }): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
