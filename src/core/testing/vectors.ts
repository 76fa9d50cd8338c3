/**
 * Loads the conformance vectors of ../shared/vectors (made by an independent
 * implementation of PROTOCOL.md). Test-only: nothing else may depend on ../shared.
 */
import { readFileSync } from 'node:fs'

export function loadVectors<T = unknown>(name: 'uhlc' | 'ops' | 'schema' | 'merge' | 'sketch'): T {
  const url = new URL(`../../../../shared/vectors/${name}.json`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as T
}
