/**
 * "oppack-stream": a pull read to its end in one answer, page after page, so that a
 * cold client pays one request (and one CORS preflight) for a whole snapshot rather
 * than one per page. Negotiated with `Accept: application/vnd.syncline.oppack-stream`
 * (`; ids=1` as for oppack). The body is frames: a 4-byte big-endian length, then one
 * oppack page, byte for byte the single-page answer for that `after`. The page without
 * `more` is the last; a body that ends before it was cut, and its reader asks again
 * from the last page it kept.
 */
import { SynclineError } from './errors.ts'

export const OPPACK_STREAM_TYPE = 'application/vnd.syncline.oppack-stream'

/** Bytes of a frame's length prefix. */
export const FRAME_HEADER_BYTES = 4

/** The length prefix of a frame of `length` bytes. */
export function frameHeader(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new SynclineError('malformed', 'oppack-stream: a frame is too long')
  }
  const header = new Uint8Array(FRAME_HEADER_BYTES)
  new DataView(header.buffer).setUint32(0, length)
  return header
}

/**
 * Cuts a body arriving in chunks into its frames. A frame within one chunk is a view
 * of it, not a copy; one spread over chunks is copied once, when it is whole.
 */
export class FrameReader {
  private chunks: Uint8Array[] = []
  private held = 0

  /** The frames completed by `chunk`, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.held += chunk.length
    }
    const frames: Uint8Array[] = []
    while (this.held >= FRAME_HEADER_BYTES) {
      const header = this.peek(FRAME_HEADER_BYTES)
      const length = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_BYTES).getUint32(0)
      if (this.held < FRAME_HEADER_BYTES + length) break
      this.take(FRAME_HEADER_BYTES)
      frames.push(this.take(length))
    }
    return frames
  }

  /** Bytes of a frame begun and not yet complete: a body ending here was cut. */
  get pending(): number {
    return this.held
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!
    return first.length >= n ? first : this.gather(n, false)
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]
    if (n === 0 || !first) return new Uint8Array(0)
    if (first.length >= n) {
      this.held -= n
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    return this.gather(n, true)
  }

  /** The first `n` bytes held, copied out of the chunks they span (and removed with `consume`). */
  private gather(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    let i = 0
    while (filled < n) {
      const chunk = this.chunks[i]!
      const part = Math.min(chunk.length, n - filled)
      out.set(chunk.subarray(0, part), filled)
      filled += part
      if (consume) {
        if (part === chunk.length) this.chunks.splice(i, 1)
        else this.chunks[i] = chunk.subarray(part)
      } else i++
    }
    if (consume) this.held -= n
    return out
  }
}
