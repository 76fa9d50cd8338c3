/**
 * Device sessions (PROTOCOL.md §8): a one-time challenge nonce, a signature by the
 * device key over `syncline-session:` + nonce, then a bearer token with an expiry.
 *
 * Tokens are 32 random bytes; the store keeps only their SHA-256, so a copy of the
 * database does not hand out working tokens. Sessions live in the store (they survive
 * a restart, and several server processes on one database share them), with a small
 * in-memory cache in front for the hot path.
 */
import { randomBytes } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'
import { fromBase64url, toBase64url, toHex, utf8 } from '../../src/core/bytes.ts'
import { normativeVerify } from '../../src/core/ed25519.ts'
import { SynclineError } from '../../src/core/errors.ts'
import type { Store } from '../store/store.ts'

export const SESSION_PREFIX = 'syncline-session:'

export interface SessionOptions {
  store: Store
  /** How long a token is valid, ms. */
  ttlMs: number
  /** How long a challenge may be answered, ms. */
  challengeTtlMs: number
  /** Wall clock, ms. */
  now: () => number
}

export interface Session {
  device: string
  expiresAt: number
}

export interface Sessions {
  /** A fresh nonce (32 random bytes, base64url), stored until it expires. */
  challenge(): Promise<string>
  /** Checks the signed nonce and opens a session: `unauthenticated` on any failure. */
  open(device: string, nonce: string, sig: string): Promise<{ token: string; expiresAt: number }>
  /** The session of an `Authorization` header value or a bare token. */
  authenticate(token: string | undefined): Promise<Session>
}

const CACHE_LIMIT = 10_000

export function createSessions(options: SessionOptions): Sessions {
  const { store, now } = options
  const cache = new Map<string, Session>()

  const keyOf = (token: string) => toHex(sha256(utf8(token)))

  return {
    async challenge() {
      const nonce = toBase64url(randomBytes(32))
      await store.putChallenge(nonce, now() + options.challengeTtlMs)
      return nonce
    },

    async open(device, nonce, sig) {
      const key = fromBase64url(device)
      if (key?.length !== 32)
        throw new SynclineError('malformed', 'device must be a 32-byte public key in base64url')
      const signature = fromBase64url(sig)
      if (signature?.length !== 64) throw new SynclineError('malformed', 'sig must be 64 bytes in base64url')
      if (nonce.length > 200) throw new SynclineError('unauthenticated', 'unknown or expired challenge')
      // The nonce is consumed before the check, so a failed attempt cannot be retried with it.
      if (!(await store.takeChallenge(nonce, now()))) {
        throw new SynclineError('unauthenticated', 'unknown or expired challenge')
      }
      if (!normativeVerify(signature, utf8(SESSION_PREFIX + nonce), key)) {
        throw new SynclineError('unauthenticated', 'the signature does not verify with the device key')
      }
      const token = toBase64url(randomBytes(32))
      const session: Session = { device, expiresAt: now() + options.ttlMs }
      await store.putSession(keyOf(token), session)
      return { token, expiresAt: session.expiresAt }
    },

    async authenticate(token) {
      if (!token || token.length > 100)
        throw new SynclineError('unauthenticated', 'a bearer token is required')
      const key = keyOf(token)
      let session = cache.get(key)
      if (!session) {
        session = await store.getSession(key)
        if (session) {
          if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!)
          cache.set(key, session)
        }
      }
      if (!session) throw new SynclineError('unauthenticated', 'unknown token')
      if (session.expiresAt <= now()) {
        cache.delete(key)
        throw new SynclineError('unauthenticated', 'the token has expired')
      }
      return session
    },
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Bearer ([A-Za-z0-9_-]{1,100})$/.exec(header)
  return m?.[1]
}
