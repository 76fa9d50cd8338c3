/**
 * The core is pure (ARCHITECTURE.md): no I/O, no platform globals, no ambient time or
 * randomness, and no imports from outside src/core but @noble/*. This test reads the
 * sources and fails on any of them, so the rule cannot rot silently.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('.', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

const FORBIDDEN = [
  /\bindexedDB\b/,
  /\bfetch\(/,
  /\bwindow\./,
  /\bdocument\./,
  /\bprocess\./,
  /\bset(Timeout|Interval)\(/,
  /\bDate\.now\(/,
  /\bperformance\.now\(/,
  /\bMath\.random\(/,
  /\bcrypto\.(getRandomValues|subtle)/,
  /\bnew WebSocket\b/,
]

describe('src/core is pure', () => {
  const files = sources(root)
  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(5)
  })
  it.each(files.map(f => [relative(root, f), f]))(
    '%s uses no I/O, time, randomness or outside imports',
    (_n, file) => {
      const text = readFileSync(file, 'utf8')
      for (const pattern of FORBIDDEN) expect(text, `${pattern}`).not.toMatch(pattern)
      for (const [, spec] of text.matchAll(/from '([^']+)'/g)) {
        const inside = spec!.startsWith('.') && !relative(root, join(file, '..', spec!)).startsWith('..')
        expect(inside || spec!.startsWith('@noble/'), `import ${spec}`).toBe(true)
      }
    },
  )
})
