import { randomBytes } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { gzip, GzipStream } from './gzip.ts'

describe('gzip with a stored tail', () => {
  it('gives a stream any gzip reader reads back exactly, wherever the split is', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200_000 }),
        fc.nat(),
        fc.constantFrom(1, 6),
        async (bytes, at, level) => {
          const body = Buffer.from(bytes)
          const split = body.length === 0 ? 0 : at % (body.length + 1)
          expect(gunzipSync(await gzip(body, split, level)).equals(body)).toBe(true)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('stores a random tail larger than one stored block, and still compresses the head', async () => {
    const head = Buffer.from('abc'.repeat(50_000))
    const body = Buffer.concat([head, randomBytes(150_000)])
    const zipped = await gzip(body, head.length)
    expect(gunzipSync(zipped).equals(body)).toBe(true)
    expect(zipped.length).toBeLessThan(150_000 + 2_000)
  })

  it('writes one stream in parts, asked for without waiting, that any gzip reader reads back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 100_000 }), fc.nat()), { maxLength: 5 }),
        async parts => {
          const zip = new GzipStream()
          const bodies = parts.map(([bytes]) => Buffer.from(bytes))
          const out = await Promise.all(
            parts.map(([, at], i) =>
              zip.part(bodies[i]!, bodies[i]!.length ? at % (bodies[i]!.length + 1) : 0),
            ),
          )
          out.push(await zip.end())
          expect(gunzipSync(Buffer.concat(out)).equals(Buffer.concat(bodies))).toBe(true)
        },
      ),
      { numRuns: 40 },
    )
  })
})
