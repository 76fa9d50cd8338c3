/**
 * How the service worker talks to a sync server: `POST /v1/push` with a device's
 * session (PROTOCOL.md §7-8). The token the engine's own request carried is used
 * first; when there is none or it has expired (`401`), the service worker logs in as
 * the device itself, signing the challenge with the replica's key, so an expired token
 * never blocks a replay with no page open. Every outcome is a value:
 *  - `answered`: per-op results;
 *  - `unreachable`: no answer (network down, server stopped, 5xx, 429): try later;
 *  - `refused`: the server refused the whole batch with a code (400, 403, 413, 422);
 *  - `no-session`: neither a token nor the device's key: the ops wait for a page.
 */
import { toBase64url, utf8 } from '../../src/core/bytes.ts'
import type { ErrorCode, ErrorInfo } from '../../src/core/errors.ts'
import type { Op } from '../../src/core/op.ts'
import type { DeviceKey } from './device-key.ts'
import { PUSH_PATH, type PushResult } from './protocol.ts'

export type PushOutcome =
  | { kind: 'answered'; results: PushResult[]; serverTime?: string }
  | { kind: 'unreachable'; message: string }
  | { kind: 'refused'; error: ErrorInfo }
  | { kind: 'no-session'; message: string }

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

export interface ServerClientDeps {
  fetch: FetchLike
  /** The device's signing key, or undefined when this browser holds no replica of it. */
  keyOf(device: string): Promise<DeviceKey | undefined>
}

export interface ServerClient {
  /** Remembers the token a page's push carried for `device` at `server`. */
  remember(server: string, device: string, token: string): void
  push(server: string, device: string, ops: readonly Op[]): Promise<PushOutcome>
}

const SESSION_PREFIX = 'syncline-session:'

/** A request that got no usable answer. */
class Unreachable extends Error {}
/** A 4xx answer with its code. */
class Refused extends Error {
  constructor(readonly error: ErrorInfo) {
    super(error.message)
  }
}
class NoSession extends Error {}

export function createServerClient(deps: ServerClientDeps): ServerClient {
  const tokens = new Map<string, string>()
  const slot = (server: string, device: string) => `${server} ${device}`

  const request = async (url: string, init: RequestInit): Promise<unknown> => {
    let res: Response
    let text: string
    try {
      res = await deps.fetch(url, init)
      text = await res.text()
    } catch (error) {
      throw new Unreachable(`${url}: ${(error as Error)?.message ?? error}`)
    }
    if (res.status >= 500 || res.status === 429) throw new Unreachable(`${url}: ${res.status}`)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw res.ok ? new Unreachable(`${url}: an answer that is not JSON`) : new Refused(codeOf(res.status))
    }
    if (!res.ok) {
      const error = (body as { error?: Partial<ErrorInfo> }).error
      throw new Refused(error?.code ? { code: error.code, message: error.message ?? '' } : codeOf(res.status))
    }
    return body
  }

  const login = async (server: string, device: string): Promise<string> => {
    const key = await deps.keyOf(device)
    if (!key) throw new NoSession(`no replica of device ${device} in this browser`)
    const { nonce } = (await request(`${server}/v1/challenge`, { method: 'GET' })) as { nonce: string }
    const sig = toBase64url(await key.sign(utf8(SESSION_PREFIX + nonce)))
    const { token } = (await request(`${server}/v1/session`, json({ device: key.device, nonce, sig }))) as {
      token: string
    }
    tokens.set(slot(server, device), token)
    return token
  }

  const pushWith = async (server: string, token: string, ops: readonly Op[]) =>
    (await request(server + PUSH_PATH, json({ ops }, token))) as {
      results: PushResult[]
      serverTime?: string
    }

  return {
    remember(server, device, token) {
      tokens.set(slot(server, device), token)
    },
    async push(server, device, ops) {
      try {
        const known = tokens.get(slot(server, device))
        let answer
        try {
          answer = await pushWith(server, known ?? (await login(server, device)), ops)
        } catch (error) {
          if (!known || !(error instanceof Refused) || error.error.code !== 'unauthenticated') throw error
          // The token expired (or the server restarted and forgot it): log in afresh, once.
          tokens.delete(slot(server, device))
          answer = await pushWith(server, await login(server, device), ops)
        }
        return { kind: 'answered', results: answer.results, serverTime: answer.serverTime }
      } catch (error) {
        if (error instanceof Unreachable) return { kind: 'unreachable', message: error.message }
        if (error instanceof Refused) {
          // A session refused is no verdict on the ops: they wait for one that works.
          if (error.error.code === 'unauthenticated') return { kind: 'no-session', message: error.message }
          return { kind: 'refused', error: error.error }
        }
        if (error instanceof NoSession) return { kind: 'no-session', message: error.message }
        // WebCrypto or IndexedDB failed while logging in: nothing the server said.
        return { kind: 'no-session', message: String((error as Error)?.message ?? error) }
      }
    },
  }
}

function json(body: unknown, token?: string): RequestInit {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  return { method: 'POST', headers, body: JSON.stringify(body) }
}

function codeOf(status: number): ErrorInfo {
  const code: ErrorCode =
    status === 401
      ? 'unauthenticated'
      : status === 403
        ? 'forbidden'
        : status === 404
          ? 'not_found'
          : status === 413
            ? 'too_large'
            : 'malformed'
  return { code, message: `the server answered ${status}` }
}
