/**
 * Shape checks for request bodies and query strings. Every failure is a
 * `SynclineError('malformed')` naming the offending part, so a route reads its input
 * in a few lines and bad input always ends as a 400.
 */
import { SynclineError } from '../../src/core/errors.ts'
import { isPlainObject, isWellFormed } from '../../src/core/json.ts'
import { isName } from '../../src/core/schema.ts'

export function malformed(message: string): SynclineError {
  return new SynclineError('malformed', message)
}

/** A JSON object with only the given keys. */
export function objectWith(value: unknown, keys: readonly string[], what = 'body'): Record<string, unknown> {
  if (!isPlainObject(value)) throw malformed(`${what} must be a JSON object`)
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw malformed(`${what} has an unknown key ${JSON.stringify(key)}`)
  }
  return value
}

export function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw malformed(`${name} must be an integer from ${min} to ${max}`)
  }
  return value
}

/** A decimal integer from a query string, or `fallback` when absent. */
export function queryInt(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = params.get(name)
  if (raw === null) return fallback
  if (!/^\d{1,16}$/.test(raw)) throw malformed(`${name} must be an integer from ${min} to ${max}`)
  return integer(Number(raw), name, min, max)
}

/** A flag from a query string: 1/true or 0/false. */
export function queryFlag(params: URLSearchParams, name: string): boolean {
  const raw = params.get(name)
  if (raw === null || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw malformed(`${name} must be 1 or 0`)
}

/** A name of 1 to `max` code points (space, collection, record). */
export function name(value: unknown, what: string, max = 256): string {
  if (!isName(value, max) || !isWellFormed(value))
    throw malformed(`${what} must be a string of 1 to ${max} characters`)
  return value
}

/** A string of at most `max` code points, possibly empty (a record prefix). */
export function prefix(value: unknown, what: string, max = 256): string {
  if (value === '') return ''
  return name(value, what, max)
}

export function stringArray(value: unknown, what: string, maxItems: number): string[] {
  if (!Array.isArray(value)) throw malformed(`${what} must be an array`)
  if (value.length > maxItems) throw new SynclineError('too_large', `${what} has more than ${maxItems} items`)
  for (const item of value) if (typeof item !== 'string') throw malformed(`${what} must hold strings`)
  return value as string[]
}

/** Only the first value of a repeated query parameter counts; a repeat is malformed. */
export function singleParams(params: URLSearchParams, allowed: readonly string[]): void {
  const seen = new Set<string>()
  for (const key of params.keys()) {
    if (!allowed.includes(key)) throw malformed(`unknown query parameter ${JSON.stringify(key)}`)
    if (seen.has(key)) throw malformed(`query parameter ${key} is repeated`)
    seen.add(key)
  }
}
