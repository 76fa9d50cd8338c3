/**
 * Requests to the sync server: the session (PROTOCOL.md §8), bearer tokens with one
 * re-login on `unauthenticated`, coded errors (§9), and a skew sample from the
 * `serverTime` of every answer (§2). A request that never reaches the server (network
 * down, server gone, timeout) or a 5xx fails with `unavailable` and `network: true`:
 * that is what the loop retries with backoff; any other code is the server's verdict.
 */
import { toBase64url, utf8 } from '../../../src/core/bytes.ts'
import { type ErrorCode, SynclineError } from '../../../src/core/errors.ts'
import { parseHlc } from '../../../src/core/uhlc.ts'
import type { Replica } from '../replica.ts'
import type { SyncIo } from './io.ts'

const SESSION_PREFIX = 'syncline-session:'

/** An error of a request that did not get an answer from the server. */
export class NetworkError extends SynclineError {
  readonly network = true
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, { cause })
  }
}

export function isNetworkError(error: unknown): error is NetworkError {
  return error instanceof NetworkError
}

export interface Answer<T> {
  status: number
  body: T
}

export interface HttpOptions {
  /** The server, `https://host[:port]` (no trailing slash). */
  url: string
  replica: Replica
  io: SyncIo
  /** Abort a request after this long, ms. Default 30,000. */
  requestTimeoutMs?: number
}

export class HttpClient {
  private token: string | undefined
  private loggingIn: Promise<string> | undefined

  constructor(private readonly options: HttpOptions) {}

  /** The session token, logging in first when there is none. */
  async session(): Promise<string> {
    if (this.token) return this.token
    this.loggingIn ??= this.login().finally(() => (this.loggingIn = undefined))
    return this.loggingIn
  }

  /** The live socket's URL with the token. */
  async liveUrl(): Promise<string> {
    const token = await this.session()
    return `${this.options.url.replace(/^http/, 'ws')}/v1/live?token=${encodeURIComponent(token)}`
  }

  /** A JSON request with the session; throws a coded error for any 4xx. */
  async json<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const res = await this.authorized(method, path, { accept: 'application/json' }, body)
    return { status: res.status, body: (await readJson(res)) as T }
  }

  /**
   * `POST /v1/push`. When there is no session and logging in fails for want of a
   * network, the push goes out without one: a service worker queues it and logs in
   * by itself when it replays (worker/sw); without one it fails like any request.
   */
  async push<T>(body: unknown): Promise<Answer<T>> {
    if (!this.token) {
      try {
        await this.session()
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error
        const res = await this.send('POST', '/v1/push', { accept: 'application/json' }, body)
        return { status: res.status, body: (await readJson(res)) as T }
      }
    }
    return this.json<T>('POST', '/v1/push', body)
  }

  /** A GET whose answer is bytes of `accept` (the compact encoding); JSON errors are thrown. */
  async bytes(path: string, accept: string): Promise<Uint8Array> {
    const res = await this.authorized('GET', path, { accept })
    try {
      return new Uint8Array(await res.arrayBuffer())
    } catch (error) {
      throw new NetworkError(`reading ${path} failed`, error)
    }
  }

  /**
   * A GET whose answer is read as it arrives: its media type and its body's chunks. A
   * chunk that takes longer than the request timeout to come fails the read, as does a
   * body cut short (both `NetworkError`); JSON errors are thrown before any chunk.
   */
  async chunks(path: string, accept: string): Promise<{ type: string; chunks: AsyncIterable<Uint8Array> }> {
    const res = await this.authorized('GET', path, { accept })
    const { io } = this.options
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000
    const body = res.body
    async function* read(): AsyncGenerator<Uint8Array> {
      if (!body) return
      const reader = body.getReader()
      try {
        for (;;) {
          let timer: unknown
          const stalled = new Promise<never>((_, reject) => {
            timer = io.timers.setTimeout(() => reject(new NetworkError(`reading ${path} stalled`)), timeoutMs)
          })
          let chunk: ReadableStreamReadResult<Uint8Array>
          try {
            chunk = await Promise.race([reader.read(), stalled])
          } catch (error) {
            throw error instanceof NetworkError ? error : new NetworkError(`reading ${path} failed`, error)
          } finally {
            io.timers.clearTimeout(timer)
          }
          if (chunk.done) return
          yield chunk.value
        }
      } finally {
        reader.cancel().catch(() => undefined)
      }
    }
    return { type: res.headers.get('content-type') ?? '', chunks: read() }
  }

  private async login(): Promise<string> {
    const { replica } = this.options
    const challenge = await this.send('GET', '/v1/challenge', {})
    const { nonce } = (await readJson(challenge)) as { nonce: string }
    const sig = toBase64url(await replica.sign(utf8(SESSION_PREFIX + nonce)))
    const res = await this.send('POST', '/v1/session', {}, { device: replica.device, nonce, sig })
    const { token } = (await readJson(res)) as { token: string }
    this.token = token
    return token
  }

  private async authorized(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<Response> {
    const token = await this.session()
    try {
      return await this.send(method, path, { ...headers, authorization: `Bearer ${token}` }, body)
    } catch (error) {
      if (!(error instanceof SynclineError) || error.code !== 'unauthenticated') throw error
      // The session expired (or the server lost it): log in once more and retry.
      if (this.token === token) this.token = undefined
      const fresh = await this.session()
      return this.send(method, path, { ...headers, authorization: `Bearer ${fresh}` }, body)
    }
  }

  /** One request: samples the clock skew, and turns error answers into thrown coded errors. */
  private async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<Response> {
    const { io, replica } = this.options
    const controller = new AbortController()
    const timer = io.timers.setTimeout(() => controller.abort(), this.options.requestTimeoutMs ?? 30_000)
    const init: RequestInit = { method, headers: { ...headers }, signal: controller.signal }
    if (body !== undefined) {
      ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    const sentNs = io.wallNs()
    let res: Response
    try {
      res = await io.fetch(this.options.url + path, init)
    } catch (error) {
      throw new NetworkError(`${method} ${path} failed: ${(error as Error)?.message ?? error}`, error)
    } finally {
      io.timers.clearTimeout(timer)
    }
    const serverTime = parseHlc(res.headers.get('syncline-server-time') ?? '')
    if (serverTime) replica.skew.add({ sentNs, receivedNs: io.wallNs(), serverNs: serverTime.time })
    if (res.status >= 500) {
      throw new NetworkError(`${method} ${path}: server answered ${res.status}`)
    }
    if (res.status >= 400) {
      const answer = (await readJson(res).catch(() => undefined)) as
        { error?: { code?: ErrorCode; message?: string } } | undefined
      const code = answer?.error?.code ?? 'unavailable'
      throw new SynclineError(code, answer?.error?.message ?? `${method} ${path}: ${res.status}`)
    }
    return res
  }
}

async function readJson(res: Response): Promise<unknown> {
  let text: string
  try {
    text = await res.text()
  } catch (error) {
    throw new NetworkError('the answer was cut off', error)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new SynclineError('malformed', 'the server answered something that is not JSON')
  }
}
