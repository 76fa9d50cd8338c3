/**
 * Writing answers: JSON (every JSON answer carries `serverTime`, PROTOCOL.md §2),
 * prebuilt JSON text (large pulls are assembled as text), bytes (the compact
 * encoding), and coded errors `{error:{code,message}}` with the status of §9.
 * Large bodies are gzip-compressed when the client accepts it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type ErrorInfo, httpStatus } from '../../src/core/errors.ts'
import { gzip } from './gzip.ts'

/** Bodies at least this large are compressed for clients that accept gzip. */
export const COMPRESS_FROM_BYTES = 16 * 1024

export type Reply =
  /** `compress: false`: not worth gzip (a push's results: mostly hex ids, a third of the push's size). */
  | { status?: number; json: Record<string, unknown>; compress?: boolean }
  /** The JSON text of an object; `serverTime` is added to it. */
  | { status?: number; jsonText: string }
  /** `storedFrom`: the bytes from there on do not compress (signatures), gzip stores them. */
  | { status?: number; bytes: Uint8Array; contentType: string; storedFrom?: number }

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
  let body: Buffer
  let storedFrom: number | undefined
  let contentType = 'application/json; charset=utf-8'
  if ('json' in reply) {
    body = Buffer.from(JSON.stringify({ ...reply.json, serverTime: options.serverTime }))
  } else if ('jsonText' in reply) {
    const text = reply.jsonText
    body = Buffer.from(`${text.slice(0, -1)},"serverTime":"${options.serverTime}"}`)
  } else {
    body = Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength)
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

export function errorReply(error: ErrorInfo): Reply {
  return { status: httpStatus(error.code), json: { error } }
}

function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers['accept-encoding']
  return typeof accept === 'string' && /\bgzip\b/.test(accept)
}
