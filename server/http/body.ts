/**
 * Request bodies with a size limit: a declared Content-Length over the limit is
 * refused before reading, and a streamed body is cut off as soon as it passes it.
 * Bodies are UTF-8 JSON, parsed strictly (duplicate keys, lone surrogates and
 * non-finite numbers are `malformed`, PROTOCOL.md §1).
 */
import type { IncomingMessage } from 'node:http'
import { SynclineError } from '../../src/core/errors.ts'
import { parseJsonStrict } from '../../src/core/json.ts'

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new SynclineError('too_large', `body is larger than ${limit} bytes`))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (error?: SynclineError) => {
      if (done) return
      done = true
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('aborted', onAborted)
      if (error) reject(error)
      else resolve(Buffer.concat(chunks, size))
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        // Stop buffering; the answer closes the connection, so the rest is never read.
        finish(new SynclineError('too_large', `body is larger than ${limit} bytes`))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => finish()
    const onError = () => finish(new SynclineError('malformed', 'the request body could not be read'))
    const onAborted = () => finish(new SynclineError('malformed', 'the request was aborted'))
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('aborted', onAborted)
  })
}

/** Reads and strictly parses a JSON body; `malformed` for anything that is not JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const bytes = await readBody(req, limit)
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    throw new SynclineError('malformed', 'body is not valid UTF-8')
  }
  if (text.length === 0) throw new SynclineError('malformed', 'body is empty; a JSON object is expected')
  const parsed = parseJsonStrict(text)
  if (!parsed.ok) throw new SynclineError('malformed', parsed.error.message)
  return parsed.value
}
