import { describe, expect, it } from 'vitest'
import { fromBase64url, toBase64url } from './bytes.ts'

describe('bytes in the browser', () => {
  it('base64url round-trips what the browser encodes natively', () => {
    const bytes = crypto.getRandomValues(new Uint8Array(97))
    const native = btoa(String.fromCharCode(...bytes))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '')
    expect(toBase64url(bytes)).toBe(native)
    expect(fromBase64url(native)).toEqual(bytes)
  })
})
