/**
 * gzip for answers (RFC 1952), with an incompressible tail stored rather than
 * compressed. An oppack page ends with its signatures (and ids): random bytes, over
 * half the page, that deflate spends most of its time failing to shrink. Deflate
 * allows a stream to go on in "stored" blocks (RFC 1951 §3.2.4) after a sync flush, so
 * the head is compressed, the tail is copied, and any gzip reader reads one stream.
 *
 * A streamed answer (`GzipStream`) is one gzip stream of many such parts, each written
 * as it is ready: every part starts on a byte boundary after the stored blocks of the
 * one before, so each can be compressed on its own.
 */
import { promisify } from 'node:util'
import { crc32, deflateRaw as deflateRawCallback, constants as zlib } from 'node:zlib'

const deflateRaw = promisify(deflateRawCallback)

/** Fast levels: a few percent larger than the default on our pages, at a fraction of the time. */
export const GZIP_LEVEL = 1

const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff])
const MAX_STORED = 0xffff

/** One gzip stream written in parts, in order. */
export class GzipStream {
  private crc = 0
  private size = 0
  private started = false

  constructor(private readonly level = GZIP_LEVEL) {}

  /**
   * The next bytes of the stream for `body` (the gzip header first): `body[0, storedFrom)`
   * compressed, the rest stored as it is; `last` ends the stream after it. Parts are
   * numbered in the order of the calls, which need not wait for each other.
   */
  async part(body: Buffer, storedFrom = body.length, last = false): Promise<Buffer> {
    const split = Math.min(Math.max(storedFrom, 0), body.length)
    const header = this.started ? 0 : HEADER.length
    this.started = true
    this.crc = crc32(body, this.crc)
    this.size = (this.size + body.length) % 2 ** 32
    const crc = this.crc
    const size = this.size
    // A sync flush ends the compressed part on a byte boundary without a final block.
    const head =
      split === 0
        ? Buffer.alloc(0)
        : await deflateRaw(body.subarray(0, split), { level: this.level, finishFlush: zlib.Z_SYNC_FLUSH })
    const tail = body.subarray(split)
    const blocks = Math.max(last ? 1 : 0, Math.ceil(tail.length / MAX_STORED))
    const out = Buffer.allocUnsafe(header + head.length + blocks * 5 + tail.length + (last ? 8 : 0))
    let pos = header ? HEADER.copy(out, 0) : 0
    pos += head.copy(out, pos)
    for (let b = 0; b < blocks; b++) {
      const chunk = tail.subarray(b * MAX_STORED, (b + 1) * MAX_STORED)
      out[pos++] = last && b === blocks - 1 ? 1 : 0 // BFINAL on the very last, BTYPE 00 (stored)
      out.writeUInt16LE(chunk.length, pos)
      out.writeUInt16LE(~chunk.length & 0xffff, pos + 2)
      pos += 4
      pos += chunk.copy(out, pos)
    }
    if (last) {
      out.writeUInt32LE(crc, pos)
      out.writeUInt32LE(size, pos + 4)
      pos += 8
    }
    return out.subarray(0, pos)
  }

  /** The end of the stream (an empty final block and the trailer), when no part was `last`. */
  end(): Promise<Buffer> {
    return this.part(Buffer.alloc(0), 0, true)
  }
}

/** gzip of `body`, compressing `body[0, storedFrom)` and storing the rest as it is. */
export function gzip(body: Buffer, storedFrom = body.length, level = GZIP_LEVEL): Promise<Buffer> {
  return new GzipStream(level).part(body, storedFrom, true)
}
