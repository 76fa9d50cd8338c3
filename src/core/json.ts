/**
 * JSON as the protocol needs it (PROTOCOL.md §1): RFC 8785 canonical form for
 * hashing, and a strict parser for text that will be hashed or signed.
 *
 * `JSON.parse` is too lenient for content addressing: it keeps the last of two
 * duplicate keys, accepts lone surrogates and turns 1e400 into Infinity, so two
 * implementations could hash the same text differently. Those are all `malformed`.
 */
import { fail, ok, type Result } from './errors.ts'

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject
export type JsonObject = { [key: string]: JsonValue }

// In Unicode mode a surrogate pair is one code point, so this matches only lone halves.
const LONE_SURROGATE = /\p{Cs}/u
const nativeIsWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed

/** True when `text` has no lone surrogate (is valid UTF-16, so encodes to UTF-8). */
export const isWellFormed: (text: string) => boolean = nativeIsWellFormed
  ? text => nativeIsWellFormed.call(text)
  : text => !LONE_SURROGATE.test(text)

/** How deep JSON values may nest, here and in the strict parser. */
export const MAX_DEPTH = 64

/** Thrown by `canonicalJson` for a value JSON cannot carry exactly. */
export class NotJsonError extends Error {
  override name = 'NotJsonError'
}

/**
 * RFC 8785 (JCS): keys sorted by UTF-16 code units, no white space, numbers as
 * ECMAScript writes them, strings as `JSON.stringify` writes them. Throws
 * `NotJsonError` on non-finite numbers, lone surrogates and non-JSON values.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new NotJsonError(`nested deeper than ${MAX_DEPTH}`)
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw new NotJsonError('lone surrogate in a string')
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError(`non-finite number ${value}`)
      // JSON.stringify writes Number#toString for finite numbers, and 0 for -0 as JCS wants.
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value)) {
        let out = '['
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i], depth + 1)
        return `${out}]`
      }
      if (!isPlainObject(value)) throw new NotJsonError('not a plain object')
      const keys = Object.keys(value).sort()
      let out = '{'
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!
        if (!isWellFormed(key)) throw new NotJsonError('lone surrogate in a key')
        out += `${i ? ',' : ''}${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key], depth + 1)}`
      }
      return `${out}}`
    }
    default:
      throw new NotJsonError(`${typeof value} is not JSON`)
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Checks that `value` is a JSON value we can hash: plain objects and arrays,
 * finite numbers, well-formed strings and keys. Returns a reason, or undefined.
 */
export function jsonProblem(value: unknown, depth = 0): string | undefined {
  if (depth > MAX_DEPTH) return 'nested too deeply'
  switch (typeof value) {
    case 'string':
      return isWellFormed(value) ? undefined : 'lone surrogate in a string'
    case 'number':
      return Number.isFinite(value) ? undefined : 'non-finite number'
    case 'boolean':
      return undefined
    case 'object': {
      if (value === null) return undefined
      if (Array.isArray(value)) {
        for (const item of value) {
          const problem = jsonProblem(item, depth + 1)
          if (problem) return problem
        }
        return undefined
      }
      if (!isPlainObject(value)) return 'not a plain object'
      for (const key of Object.keys(value)) {
        if (!isWellFormed(key)) return 'lone surrogate in a key'
        const problem = jsonProblem(value[key], depth + 1)
        if (problem) return problem
      }
      return undefined
    }
    default:
      return `${typeof value} is not JSON`
  }
}

/**
 * Parses JSON text strictly: RFC 8259 grammar, and `malformed` for duplicate keys
 * (compared after unescaping), lone surrogates and numbers that overflow to ±Infinity.
 * Nesting is capped at `maxDepth` so hostile input cannot exhaust the stack.
 *
 * Most text is read by `JSON.parse` (native, several times faster) and accepted only
 * when a check proves the strict parser would give the same value: see `nativeParse`.
 * Anything else goes to the strict parser, which also words every error.
 */
export function parseJsonStrict(text: string, maxDepth = MAX_DEPTH): Result<unknown> {
  const fast = nativeParse(text, maxDepth)
  return fast === FALL_BACK ? parseJsonSlowly(text, maxDepth) : ok(fast)
}

const FALL_BACK = Symbol('fall back')
const SPACE_BEFORE_COLON = /"[\t\n\r ]+:/

/**
 * `JSON.parse`, when it provably agrees with the strict parser; `FALL_BACK` otherwise.
 * The grammars are the same, so they can differ only where JSON.parse is lenient:
 *  - lone surrogates: none in well-formed text without escapes (text with any
 *    backslash falls back);
 *  - overflowing numbers and depth: the walk checks every number and the nesting;
 *  - duplicate keys, which JSON.parse drops silently: without backslashes every `"`
 *    delimits a string, so each `":` in the text ends a key, and when no key has
 *    white space before its colon, that count is the number of keys written. The
 *    text has no duplicates exactly when it equals the number of keys parsed.
 */
function nativeParse(text: string, maxDepth: number): unknown {
  if (text.includes('\\') || !isWellFormed(text) || spaceBeforeColon(text)) return FALL_BACK
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return FALL_BACK
  }
  let written = 0
  for (let at = text.indexOf('":'); at !== -1; at = text.indexOf('":', at + 2)) written++
  const counted = countKeys(value, 0, maxDepth)
  return counted === written ? value : FALL_BACK
}

/**
 * Whether some `"` is followed by white space and a colon. The regular expression
 * runs only when the text has a space before a colon, or a tab or line break at all
 * (compact JSON has none). Those are searches for one character or one that starts
 * with a rare one: searching for `"` followed by white space stopped at every quote
 * and cost more than JSON.parse itself on a push body.
 */
function spaceBeforeColon(text: string): boolean {
  const suspect = text.includes(' :') || text.includes('\n') || text.includes('\r') || text.includes('\t')
  return suspect && SPACE_BEFORE_COLON.test(text)
}

/** Keys in `value`, or -1 for a non-finite number or nesting past `maxDepth`. */
function countKeys(value: unknown, depth: number, maxDepth: number): number {
  if (typeof value === 'number') return Number.isFinite(value) ? 0 : -1
  if (typeof value !== 'object' || value === null) return 0
  if (depth >= maxDepth) return -1
  let keys = 0
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const n = countKeys(value[i], depth + 1, maxDepth)
      if (n < 0) return -1
      keys += n
    }
    return keys
  }
  for (const key in value) {
    const n = countKeys((value as Record<string, unknown>)[key], depth + 1, maxDepth)
    if (n < 0) return -1
    keys += n + 1
  }
  return keys
}

/** The strict parser alone (what `parseJsonStrict` falls back to); exported for tests. */
export function parseJsonSlowly(text: string, maxDepth = MAX_DEPTH): Result<unknown> {
  const parser = new StrictParser(text, maxDepth)
  try {
    parser.skipSpace()
    const value = parser.value(0)
    parser.skipSpace()
    if (parser.pos !== text.length) parser.error('unexpected text after the value')
    return ok(value)
  } catch (error) {
    if (error instanceof StrictJsonError) return fail('malformed', error.message)
    throw error
  }
}

class StrictJsonError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

class StrictParser {
  pos = 0
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  error(message: string): never {
    throw new StrictJsonError(`invalid JSON at ${this.pos}: ${message}`)
  }

  skipSpace(): void {
    const t = this.text
    let c = t.charCodeAt(this.pos)
    while (c === 32 || c === 10 || c === 13 || c === 9) c = t.charCodeAt(++this.pos)
  }

  value(depth: number): unknown {
    const c = this.text.charCodeAt(this.pos)
    if (c === 123) return this.object(depth + 1)
    if (c === 91) return this.array(depth + 1)
    if (c === 34) return this.string()
    if (c === 116) return this.literal('true', true)
    if (c === 102) return this.literal('false', false)
    if (c === 110) return this.literal('null', null)
    return this.number()
  }

  literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.error('unexpected token')
    this.pos += word.length
    return value
  }

  number(): number {
    NUMBER.lastIndex = this.pos
    const match = NUMBER.exec(this.text)
    if (!match) this.error('unexpected token')
    this.pos += match[0].length
    const n = Number(match[0])
    if (!Number.isFinite(n)) this.error(`number ${match[0]} is out of range`)
    return n
  }

  string(): string {
    const t = this.text
    const start = ++this.pos
    // Fast path: no escapes.
    let i = start
    for (;;) {
      const c = t.charCodeAt(i)
      if (c === 34) {
        const s = t.slice(start, i)
        this.pos = i + 1
        if (!isWellFormed(s)) this.error('lone surrogate')
        return s
      }
      if (c === 92) break
      if (c < 32 || Number.isNaN(c)) {
        this.pos = i
        this.error(Number.isNaN(c) ? 'unterminated string' : 'control character in a string')
      }
      i++
    }
    let out = t.slice(start, i)
    this.pos = i
    for (;;) {
      const c = t.charCodeAt(this.pos)
      if (c === 34) break
      if (Number.isNaN(c)) this.error('unterminated string')
      if (c < 32) this.error('control character in a string')
      if (c === 92) {
        const e = t.charCodeAt(this.pos + 1)
        this.pos += 2
        switch (e) {
          case 34:
            out += '"'
            break
          case 92:
            out += '\\'
            break
          case 47:
            out += '/'
            break
          case 98:
            out += '\b'
            break
          case 102:
            out += '\f'
            break
          case 110:
            out += '\n'
            break
          case 114:
            out += '\r'
            break
          case 116:
            out += '\t'
            break
          case 117: {
            const hex = t.slice(this.pos, this.pos + 4)
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.error('bad \\u escape')
            out += String.fromCharCode(Number.parseInt(hex, 16))
            this.pos += 4
            break
          }
          default:
            this.error('bad escape')
        }
      } else {
        out += t[this.pos]
        this.pos++
      }
    }
    this.pos++
    if (!isWellFormed(out)) this.error('lone surrogate')
    return out
  }

  array(depth: number): unknown[] {
    if (depth > this.maxDepth) this.error('nested too deeply')
    this.pos++
    const out: unknown[] = []
    this.skipSpace()
    if (this.text.charCodeAt(this.pos) === 93) {
      this.pos++
      return out
    }
    for (;;) {
      this.skipSpace()
      out.push(this.value(depth))
      this.skipSpace()
      const c = this.text.charCodeAt(this.pos++)
      if (c === 93) return out
      if (c !== 44) this.error('expected , or ]')
    }
  }

  object(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) this.error('nested too deeply')
    this.pos++
    const out: Record<string, unknown> = {}
    this.skipSpace()
    if (this.text.charCodeAt(this.pos) === 125) {
      this.pos++
      return out
    }
    for (;;) {
      this.skipSpace()
      if (this.text.charCodeAt(this.pos) !== 34) this.error('expected a key')
      const key = this.string()
      if (Object.hasOwn(out, key)) this.error(`duplicate key ${JSON.stringify(key)}`)
      this.skipSpace()
      if (this.text.charCodeAt(this.pos++) !== 58) this.error('expected :')
      this.skipSpace()
      const value = this.value(depth)
      // Plain assignment of "__proto__" would set the prototype instead of a key.
      if (key === '__proto__')
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
      else out[key] = value
      this.skipSpace()
      const c = this.text.charCodeAt(this.pos++)
      if (c === 125) return out
      if (c !== 44) this.error('expected , or }')
    }
  }
}
