import { describe, expect, it } from 'vitest'
import { PageCache } from './page-cache.ts'

describe('the page cache', () => {
  it('keeps entries within its byte budget, dropping the least recently used first', () => {
    const cache = new PageCache<string>(10)
    cache.set('a', 'A', 4)
    cache.set('b', 'B', 4)
    expect(cache.get('a')).toBe('A')
    cache.set('c', 'C', 4)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBe('A')
    expect(cache.get('c')).toBe('C')
    expect(cache.size).toBe(8)
  })

  it('replaces an entry under the same key and never holds one larger than the budget', () => {
    const cache = new PageCache<string>(10)
    cache.set('a', 'A', 4)
    cache.set('a', 'A2', 6)
    expect(cache.get('a')).toBe('A2')
    expect(cache.size).toBe(6)
    cache.set('big', 'X', 11)
    expect(cache.get('big')).toBeUndefined()
    expect(cache.size).toBe(6)
  })
})
