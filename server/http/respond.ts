/**
 * Writing answers: JSON (every JSON answer carries `serverTime`, PROTOCOL.md §2),
 * prebuilt JSON text (large pulls are assembled as text), bytes (the compact
 * encoding), a stream of byte parts written as they are made (a snapshot read to its
 * end), and coded errors `{error:{code,message}}` with the status of §9. Large bodies
 * and streams are gzip-compressed when the client accepts it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type ErrorInfo, httpStatus } from '../../src/core/errors.ts'
import { gzip, GzipStream } from './gzip.ts'

/** Bodies at least this large are compressed for clients that accept gzip. */
export const COMPRESS_FROM_BYTES = 16 * 1024

export type Reply =
  /** `compress: false`: not worth gzip (a push's results: mostly hex ids, a third of the push's size). */
  | { status?: number; json: Record<string, unknown>; compress?: boolean }
  /** The JSON text of an object; `serverTime` is added to it. */
  | { status?: number; jsonText: string }
  /** `storedFrom`: the bytes from there on do not compress (signatures), gzip stores them. */
  | { status?: number; bytes: Uint8Array; contentType: string; storedFrom?: number }
  /**
   * Parts sent chunked as the iterator yields them, the next one made while this one is
   * written. An error after the first byte cuts the answer short.
   */
  | { status?: number; parts: AsyncIterator<BodyPart>; contentType: string }

export interface BodyPart {
  bytes: Uint8Array
  /** As for a bytes answer: where the bytes stop compressing. */
  storedFrom?: number
}

export interface SendOptions {
  serverTime: string
  headers?: Record<string, string>
  /** Close the connection after answering (the request body was not read to its end). */
  close?: boolean
}

export async function send(
  req: IncomingMessage,
  res: ServerResponse,
  reply: Reply,
  options: SendOptions,
): Promise<void> {
  if ('parts' in reply) return sendParts(req, res, reply, options)
  let body: Buffer
  let storedFrom: number | undefined
  let contentType = 'application/json; charset=utf-8'
  if ('json' in reply) {
    body = Buffer.from(JSON.stringify({ ...reply.json, serverTime: options.serverTime }))
  } else if ('jsonText' in reply) {
    const text = reply.jsonText
    body = Buffer.from(`${text.slice(0, -1)},"serverTime":"${options.serverTime}"}`)
  } else {
    body = asBuffer(reply.bytes)
    contentType = reply.contentType
    storedFrom = reply.storedFrom
  }
  const headers: Record<string, string | number> = {
    ...options.headers,
    'content-type': contentType,
    'syncline-server-time': options.serverTime,
    'cache-control': 'no-store',
  }
  if (options.close) headers.connection = 'close'
  const compress = !('compress' in reply) || reply.compress !== false
  if (compress && body.length >= COMPRESS_FROM_BYTES && acceptsGzip(req)) {
    body = await gzip(body, storedFrom)
    headers['content-encoding'] = 'gzip'
    headers.vary = headers.vary ? `${headers.vary}, accept-encoding` : 'accept-encoding'
  }
  headers['content-length'] = body.length
  if (res.headersSent || res.destroyed) return
  res.writeHead(reply.status ?? 200, headers)
  res.end(body)
}

async function sendParts(
  req: IncomingMessage,
  res: ServerResponse,
  reply: { status?: number; parts: AsyncIterator<BodyPart>; contentType: string },
  options: SendOptions,
): Promise<void> {
  const { parts } = reply
  // The first part comes before the status line: an error making it is still an error answer.
  let next = parts.next()
  let current = await next
  if (res.headersSent || res.destroyed) {
    await parts.return?.()
    return
  }
  const headers: Record<string, string | number> = {
    ...options.headers,
    'content-type': reply.contentType,
    'syncline-server-time': options.serverTime,
    'cache-control': 'no-store',
  }
  if (options.close) headers.connection = 'close'
  const zip = acceptsGzip(req) ? new GzipStream() : undefined
  if (zip) {
    headers['content-encoding'] = 'gzip'
    headers.vary = headers.vary ? `${headers.vary}, accept-encoding` : 'accept-encoding'
  }
  res.writeHead(reply.status ?? 200, headers)
  try {
    while (!current.done) {
      const { bytes, storedFrom } = current.value
      const out = zip ? await zip.part(asBuffer(bytes), storedFrom) : bytes
      // The next part is made while this one is on its way (written before the making,
      // which reads the store synchronously, gets to run).
      next = parts.next()
      next.catch(() => undefined) // awaited below, unless the client went away first
      if (!res.destroyed && !res.write(out)) await drained(res)
      if (res.destroyed) {
        await parts.return?.()
        return
      }
      current = await next
    }
    if (zip) res.write(await zip.end())
    res.end()
  } catch (error) {
    // Headers and some pages are out: cutting the answer is the only way to say it failed.
    res.destroy()
    throw error
  }
}

/** Resolves once `res` can take more bytes, or has closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise(resolve => {
    if (res.destroyed) return resolve()
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

export function errorReply(error: ErrorInfo): Reply {
  return { status: httpStatus(error.code), json: { error } }
}

function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers['accept-encoding']
  return typeof accept === 'string' && /\bgzip\b/.test(accept)
}
