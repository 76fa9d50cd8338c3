import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromBase64url, fromHex, isLowerHex, toBase64url, toHex, utf8, utf8Length } from './bytes.ts'

describe('base64url without padding (§1)', () => {
  it('round-trips any bytes and matches Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), bytes => {
        const text = toBase64url(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64url'))
        expect(fromBase64url(text)).toEqual(bytes)
      }),
    )
  })

  it.each([
    ['padding', 'AA=='],
    ['stray trailing bits', 'AB'],
    ['standard alphabet', 'a+/b'],
    ['an impossible length', 'AAAAA'],
    ['white space', 'AA AA'],
    ['non-ASCII', 'AAé'],
  ])('rejects %s', (_how, text) => {
    expect(fromBase64url(text)).toBeUndefined()
  })
})

describe('hex (§1)', () => {
  it('round-trips and accepts lower case only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), bytes => {
        expect(fromHex(toHex(bytes))).toEqual(bytes)
      }),
    )
    expect(fromHex('AB')).toBeUndefined()
    expect(fromHex('abc')).toBeUndefined()
    // Char codes that agree with a hex digit in their low byte ('0' + 0x100, 'a' + 0x100).
    expect(fromHex('\u0130\u0130')).toBeUndefined()
    expect(fromHex('a\u0161')).toBeUndefined()
    expect(isLowerHex('\u0130'.repeat(64), 64)).toBe(false)
    fc.assert(
      fc.property(fc.string({ minLength: 2, maxLength: 8 }), text => {
        const hex = /^([0-9a-f]{2})*$/.test(text)
        expect(fromHex(text) !== undefined).toBe(hex)
        expect(isLowerHex(text, text.length)).toBe(/^[0-9a-f]*$/.test(text))
      }),
    )
    expect(isLowerHex('ab'.repeat(32), 64)).toBe(true)
    expect(isLowerHex('AB'.repeat(32), 64)).toBe(false)
  })
})

describe('UTF-8 length', () => {
  it('equals the encoded length for any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), s => {
        expect(utf8Length(s)).toBe(utf8(s).length)
      }),
    )
  })
})
