/**
 * gzip for answers (RFC 1952), with an incompressible tail stored rather than
 * compressed. An oppack page ends with its signatures (and ids): random bytes, over
 * half the page, that deflate spends most of its time failing to shrink. Deflate
 * allows a stream to go on in "stored" blocks (RFC 1951 §3.2.4) after a sync flush, so
 * the head is compressed, the tail is copied, and any gzip reader reads one stream.
 */
import { promisify } from 'node:util'
import { crc32, deflateRaw as deflateRawCallback, constants as zlib } from 'node:zlib'

const deflateRaw = promisify(deflateRawCallback)

/** Fast levels: a few percent larger than the default on our pages, at a fraction of the time. */
export const GZIP_LEVEL = 1

const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff])
const MAX_STORED = 0xffff

/** gzip of `body`, compressing `body[0, storedFrom)` and storing the rest as it is. */
export async function gzip(body: Buffer, storedFrom = body.length, level = GZIP_LEVEL): Promise<Buffer> {
  const split = Math.min(Math.max(storedFrom, 0), body.length)
  // A sync flush ends the compressed part on a byte boundary without a final block.
  const head = await deflateRaw(body.subarray(0, split), { level, finishFlush: zlib.Z_SYNC_FLUSH })
  const tail = body.subarray(split)
  const blocks = Math.max(1, Math.ceil(tail.length / MAX_STORED))
  const out = Buffer.allocUnsafe(HEADER.length + head.length + blocks * 5 + tail.length + 8)
  let pos = HEADER.copy(out, 0)
  pos += head.copy(out, pos)
  for (let b = 0; b < blocks; b++) {
    const chunk = tail.subarray(b * MAX_STORED, (b + 1) * MAX_STORED)
    out[pos++] = b === blocks - 1 ? 1 : 0 // BFINAL on the last, BTYPE 00 (stored)
    out.writeUInt16LE(chunk.length, pos)
    out.writeUInt16LE(~chunk.length & 0xffff, pos + 2)
    pos += 4
    pos += chunk.copy(out, pos)
  }
  out.writeUInt32LE(crc32(body), pos)
  out.writeUInt32LE(body.length % 2 ** 32, pos + 4)
  return out.subarray(0, pos + 8)
}
