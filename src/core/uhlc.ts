/**
 * Unique Hybrid Logical Clock (PROTOCOL.md §2).
 *
 * A timestamp is (time in ns since the epoch, 16-byte instance id). Its string form
 * is fixed-width, so plain string order is timestamp order: the rest of Syncline
 * compares and stores hlcs as strings and parses only at the edges (drift checks,
 * the clock itself). Why a hybrid clock: it stays close to wall time, so "last
 * writer wins" means what users expect, yet never goes backwards and never repeats,
 * and the id makes two honest timestamps unequal even across tabs.
 */
import { fail, ok, type Result } from './errors.ts'

export const NS_PER_MS = 1_000_000n
export const DEFAULT_MAX_DRIFT_NS = 100n * NS_PER_MS
const NS_PER_S = 1_000_000_000n
const MAX_TIME = (1n << 64n) - 1n

export interface Timestamp {
  /** Nanoseconds since the Unix epoch, an unsigned 64-bit integer. */
  time: bigint
  /** The issuing instance's id: 32 upper-case hex digits. */
  id: string
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ/` then 32 upper-case hex digits. */
const HLC_LENGTH = 63
const ZERO_ID = '0'.repeat(32)
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

/** The decimal value of `count` ASCII digits of `text` at `at`; -1 when one is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    value = value * 10 + d
  }
  return value
}

/** True when `text` holds upper-case hex digits only from `at` to its end. */
function upperHexFrom(text: string, at: number): boolean {
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70))) return false
  }
  return true
}

/**
 * Parses the string form strictly; undefined for any other shape or an impossible date.
 * The shape is checked character by character: it is fixed-width, and every op that
 * arrives is parsed once, where a regular expression with its match array cost more
 * than the rest of this function.
 */
export function parseHlc(text: string): Timestamp | undefined {
  if (text.length !== HLC_LENGTH) return undefined
  const year = digitsAt(text, 0, 4)
  const month = digitsAt(text, 5, 2)
  const day = digitsAt(text, 8, 2)
  const hour = digitsAt(text, 11, 2)
  const minute = digitsAt(text, 14, 2)
  const second = digitsAt(text, 17, 2)
  const nanos = digitsAt(text, 20, 9)
  if (
    (year | month | day | hour | minute | second | nanos) < 0 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 || // .
    text.charCodeAt(29) !== 90 || // Z
    text.charCodeAt(30) !== 47 || // /
    !upperHexFrom(text, 31)
  ) {
    return undefined
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1) return undefined
  const monthDays = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!
  if (day > monthDays || hour > 23 || minute > 59 || second > 59) return undefined
  const id = text.slice(31)
  if (id === ZERO_ID) return undefined
  const seconds = BigInt(Date.UTC(year, month - 1, day, hour, minute, second) / 1000)
  const time = seconds * NS_PER_S + BigInt(nanos)
  if (time > MAX_TIME) return undefined
  return { time, id }
}

/** The string form of (time, id); `id` as 32 upper-case hex digits. */
export function formatHlc(time: bigint, id: string): string {
  if (time < 0n || time > MAX_TIME) throw new RangeError(`hlc time out of range: ${time}`)
  const seconds = time / NS_PER_S
  const nanos = time % NS_PER_S
  const date = new Date(Number(seconds) * 1000).toISOString().slice(0, 19)
  return `${date}.${nanos.toString().padStart(9, '0')}Z/${id}`
}

/** True for a valid hlc string. */
export function isHlc(text: unknown): text is string {
  return typeof text === 'string' && parseHlc(text) !== undefined
}

/** Orders two hlc strings: their string order is their timestamp order. */
export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** A fresh random instance id (never all zero) from 16 random bytes. */
export function instanceId(random16: Uint8Array): string {
  if (random16.length !== 16) throw new RangeError('an instance id is 16 bytes')
  let hex = ''
  for (const b of random16) hex += b.toString(16).padStart(2, '0')
  hex = hex.toUpperCase()
  // One chance in 2^128; make the id valid rather than fail.
  return hex === ZERO_ID ? `${ZERO_ID.slice(1)}1` : hex
}

/** Milliseconds since the epoch (as a wall clock gives them, fractions included) to ns. */
export function msToNs(ms: number): bigint {
  const whole = Math.floor(ms)
  return BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6))
}

export interface ClockOptions {
  /** This instance's id, 32 upper-case hex digits (see `instanceId`). */
  id: string
  /** The (skew-corrected) wall clock in ns; injected so the clock stays pure. */
  physicalNs: () => bigint
  /** How far ahead of `physicalNs()` an observed time may be. Default 100 ms. */
  maxDriftNs?: bigint
  /** The persisted `lastTimeNs` of a reloaded instance; 0 for a new clock. */
  lastTimeNs?: bigint
}

export interface Clock {
  readonly id: string
  readonly maxDriftNs: bigint
  /** The greatest time issued or observed: persist it, and pass it back on reload. */
  readonly lastTimeNs: bigint
  /** A new timestamp, strictly greater than every one issued or observed before. */
  now(): string
  /**
   * Takes a received timestamp into account. A time more than `maxDriftNs` ahead of
   * the physical clock is a `drift` error and leaves the clock unchanged.
   */
  observe(hlc: string | Timestamp): Result<void>
}

export function createClock(options: ClockOptions): Clock {
  const { id, physicalNs } = options
  if (!/^[0-9A-F]{32}$/.test(id) || id === ZERO_ID) throw new RangeError(`bad instance id ${id}`)
  const maxDriftNs = options.maxDriftNs ?? DEFAULT_MAX_DRIFT_NS
  let last = options.lastTimeNs ?? 0n
  return {
    id,
    maxDriftNs,
    get lastTimeNs() {
      return last
    },
    now() {
      const physical = physicalNs()
      last = physical > last ? physical : last + 1n
      return formatHlc(last, id)
    },
    observe(hlc) {
      const ts = typeof hlc === 'string' ? parseHlc(hlc) : hlc
      if (!ts) return fail('malformed', `not an hlc: ${String(hlc)}`)
      const drift = checkDrift(ts.time, physicalNs(), maxDriftNs)
      if (!drift.ok) return drift
      if (ts.time > last) last = ts.time
      return ok(undefined)
    },
  }
}

/** The drift rule alone, shared by the clock and op validation. */
export function checkDrift(timeNs: bigint, physicalNs: bigint, maxDriftNs: bigint): Result<void> {
  if (timeNs > physicalNs + maxDriftNs) {
    const aheadMs = Number(timeNs - physicalNs) / 1e6
    return fail(
      'drift',
      `timestamp is ${aheadMs.toFixed(3)} ms ahead of this clock (limit ${Number(maxDriftNs) / 1e6} ms)`,
    )
  }
  return ok(undefined)
}
