import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { toHex, utf8 } from './bytes.ts'
import { sha256Hex } from './sha256-hex.ts'

const noble = (text: string) => toHex(sha256(utf8(text)))

describe('sha256Hex', () => {
  it('matches the published digests', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('matches noble at every length around the block and padding edges', () => {
    for (let n = 0; n <= 200; n++) {
      const text = Array.from({ length: n }, (_, i) => String.fromCharCode(32 + ((i * 7 + n) % 95))).join('')
      expect(sha256Hex(text)).toBe(noble(text))
    }
  })

  it('hashes the UTF-8 of any text, long ones too', () => {
    const samples = [
      'é',
      '日本語のテキスト',
      '🙂 emoji and "quotes" \\ ',
      '\u0000\u007f\u0080\u07ff\u0800\uffff',
    ]
    for (const s of samples) expect(sha256Hex(s)).toBe(noble(s))
    const long = '{"fields":"ü🙂"}'.repeat(20_000)
    expect(sha256Hex(long)).toBe(noble(long))
    expect(sha256Hex('abc')).toBe(noble('abc'))
  })
})
