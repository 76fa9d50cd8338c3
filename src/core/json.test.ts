import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson, NotJsonError, parseJsonSlowly, parseJsonStrict } from './json.ts'

const code = (text: string) => {
  const r = parseJsonStrict(text)
  return r.ok ? 'ok' : r.error.code
}

describe('canonical JSON, RFC 8785 (§1)', () => {
  it('sorts keys by UTF-16 code units and writes numbers as ECMAScript does', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], '\u20ac': 1, '\ud83d\ude00': 2, é: 3 })).toBe(
      '{"a":[true,null,"x"],"b":1,"é":3,"€":1,"😀":2}',
    )
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333])).toBe(
      '[1e+21,1e-7,0,0.30000000000000004,333333333.3333333]',
    )
  })

  it.each([
    ['Infinity', Number.POSITIVE_INFINITY],
    ['NaN', Number.NaN],
    ['a lone surrogate', 'a\ud800'],
    ['undefined', undefined],
    ['a Date', new Date(0)],
    ['a bigint', 1n],
  ])('refuses %s', (_how, value) => {
    expect(() => canonicalJson({ v: value })).toThrow(NotJsonError)
  })

  it('is a fixed point through the strict parser, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), value => {
        const text = canonicalJson(value)
        const parsed = parseJsonStrict(text)
        expect(parsed.ok).toBe(true)
        expect(canonicalJson(parsed.ok && parsed.value)).toBe(text)
      }),
      { numRuns: 500 },
    )
  })
})

describe('strict JSON parsing (§1)', () => {
  it('reads what JSON.parse reads when there is nothing to reject', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent)
        const parsed = parseJsonStrict(text)
        expect(parsed.ok && parsed.value).toEqual(JSON.parse(text))
      }),
      { numRuns: 500 },
    )
  })

  it.each([
    ['{"a":1,"a":1}', 'a duplicate key'],
    ['{"a":1,"\\u0061":2}', 'a duplicate key after unescaping'],
    ['["\\ud800"]', 'a lone high surrogate'],
    ['["\\udc00\\ud800"]', 'surrogates in the wrong order'],
    ['[1e400]', 'a number that overflows'],
    ['[01]', 'a leading zero'],
    ['[1.]', 'a bare decimal point'],
    ['{"a":1,}', 'a trailing comma'],
    ["{'a':1}", 'single quotes'],
    ['"a\tb"', 'a raw control character'],
    ['"\\x41"', 'an unknown escape'],
    ['[1] 2', 'text after the value'],
    ['"abc', 'an unterminated string'],
    ['', 'nothing'],
    [`${'['.repeat(100)}${']'.repeat(100)}`, 'nesting deeper than the limit'],
  ])('rejects %s (%s) as malformed', text => {
    expect(code(text)).toBe('malformed')
  })

  it('keeps "__proto__" as an ordinary key', () => {
    const parsed = parseJsonStrict('{"__proto__":{"polluted":true}}')
    expect(parsed.ok).toBe(true)
    const value = (parsed.ok ? parsed.value : {}) as Record<string, unknown>
    expect(Object.keys(value)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(canonicalJson(value)).toBe('{"__proto__":{"polluted":true}}')
  })

  it.each([
    ['{"a" :1,"a":2}', 'white space before a colon'],
    ['{"a"\t:1,"a":2}', 'a tab before a colon'],
    ['{"a"\r\n:1,"a":2}', 'a line break before a colon'],
    ['{"a"\n  :1,"a":2}', 'a line break and spaces before a colon'],
    ['[{"b":{"c":1,"c":2}}]', 'nested in an array'],
    ['{"x":":y","a":1,"a":2}', 'a value that starts with a colon'],
    ['{"a":1,"a\\u0000":2,"a":3}', 'a backslash elsewhere'],
    ['{"__proto__":1,"__proto__":2}', 'keys named __proto__'],
  ])('rejects the duplicate key in %s (%s)', text => {
    expect(code(text)).toBe('malformed')
  })

  it('gives what the strict parser alone gives, duplicates, spacing and colons included', () => {
    const key = fc.constantFrom('a', 'b', ':', 'a:', ' ', '__proto__', '\u{1F600}', '"')
    const space = fc.constantFrom('', ' ', '\n ', '\t', ' \r\n')
    const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.double(), fc.constantFrom(':', '":', 1e308, null))
    const object = fc
      .array(fc.tuple(key, space, space, scalar), { maxLength: 5 })
      .map(
        pairs =>
          `{${pairs.map(([k, s1, s2, v]) => `${JSON.stringify(k)}${s1}:${s2}${JSON.stringify(v)}`).join(',')}}`,
      )
    const text = fc.array(object, { maxLength: 3 }).map(objects => `[${objects.join(',')}]`)
    fc.assert(
      fc.property(text, t => {
        expect(parseJsonStrict(t)).toEqual(parseJsonSlowly(t))
      }),
      { numRuns: 2000 },
    )
  })

  it('accepts underflow to zero and the largest double', () => {
    expect(parseJsonStrict('[1e-400,1.7976931348623157e308]')).toEqual({
      ok: true,
      value: [0, 1.7976931348623157e308],
    })
  })
})
