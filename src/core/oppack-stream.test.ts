import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FRAME_HEADER_BYTES, FrameReader, frameHeader } from './oppack-stream.ts'

function framed(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + FRAME_HEADER_BYTES + f.length, 0))
  let at = 0
  for (const f of frames) {
    out.set(frameHeader(f.length), at)
    out.set(f, at + FRAME_HEADER_BYTES)
    at += FRAME_HEADER_BYTES + f.length
  }
  return out
}

describe('oppack-stream frames', () => {
  it('reads back every frame, however the body is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 20 }),
        (frames, cuts) => {
          const body = framed(frames)
          const reader = new FrameReader()
          const out: Uint8Array[] = []
          let at = 0
          for (const cut of [...cuts, body.length]) {
            const end = Math.min(body.length, at + cut)
            out.push(...reader.push(body.subarray(at, end)))
            at = end
          }
          expect(out.map(f => [...f])).toEqual(frames.map(f => [...f]))
          expect(reader.pending).toBe(0)
        },
      ),
    )
  })

  it('holds a frame begun and not finished, so a body that ends there is known to be cut', () => {
    const body = framed([new Uint8Array([1, 2, 3]), new Uint8Array(1000).fill(7)])
    const reader = new FrameReader()
    expect(reader.push(body.subarray(0, 2))).toEqual([])
    expect(reader.push(body.subarray(2, 500)).map(f => [...f])).toEqual([[1, 2, 3]])
    expect(reader.pending).toBe(500 - FRAME_HEADER_BYTES - 3)
    expect(reader.push(body.subarray(500)).map(f => f.length)).toEqual([1000])
    expect(reader.pending).toBe(0)
  })

  it('writes a length as 4 big-endian bytes and refuses what does not fit', () => {
    expect([...frameHeader(0x01020304)]).toEqual([1, 2, 3, 4])
    expect(() => frameHeader(2 ** 32)).toThrow(/too long/)
  })
})
