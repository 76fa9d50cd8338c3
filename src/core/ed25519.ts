/**
 * Ed25519 signing and verification with a pluggable backend (PROTOCOL.md §1).
 *
 * The normative rule is noble's `ed25519.verify(sig, msg, key, { zip215: false })`:
 * canonical encodings, no small-order keys, and the cofactored equation. Native
 * backends (WebCrypto, Node's OpenSSL) are 5-20x faster but check the equation
 * without the cofactor, and some accept small-order keys. `createVerifier` makes any
 * backend agree with the normative rule:
 *  - each author key is checked once with noble (canonical, not small order) and
 *    keys with a torsion component, where the two equations differ, go to noble;
 *  - a native "valid" then implies a normative "valid" (cofactorless implies
 *    cofactored), and a native "invalid" is confirmed with noble, so a signature
 *    whose R carries torsion (valid only with the cofactor) is still accepted.
 */
import { ed25519 } from '@noble/curves/ed25519.js'

/** Something that signs with one private key. */
export interface Ed25519Signer {
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>
}

/** A platform's Ed25519: imports keys once, then signs and verifies with them. */
export interface Ed25519Backend<Key = unknown> {
  readonly name: string
  /** Prepares a verification key from 32 raw bytes (called once per author). */
  importPublicKey(publicKey: Uint8Array): Key | Promise<Key>
  /** RFC 8032 verification; it may be cofactorless. */
  verify(key: Key, signature: Uint8Array, message: Uint8Array): boolean | Promise<boolean>
  /** A signer for the 32-byte secret seed. */
  importSigner(seed: Uint8Array): Ed25519Signer | Promise<Ed25519Signer>
}

/**
 * A backend of any key type. Each backend has its own (Uint8Array, KeyObject,
 * CryptoKey) and callers only hand back what `importPublicKey` gave them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the key type is existential, see above
export type AnyEd25519Backend = Ed25519Backend<any>

/** noble, the normative implementation; pure JavaScript, available everywhere. */
export const nobleEd25519: Ed25519Backend<Uint8Array> = {
  name: 'noble',
  importPublicKey: publicKey => publicKey,
  verify: (key, signature, message) => normativeVerify(signature, message, key),
  importSigner(seed) {
    const publicKey = ed25519.getPublicKey(seed)
    return { publicKey, sign: message => ed25519.sign(message, seed) }
  },
}

/** The normative verification of §1; never throws. */
export function normativeVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

export type KeyClass = 'invalid' | 'native' | 'normative-only'

/** How a key may be verified: rejected outright, natively, or with noble only. */
export function classifyKey(publicKey: Uint8Array): KeyClass {
  if (publicKey.length !== 32) return 'invalid'
  try {
    const point = ed25519.Point.fromBytes(publicKey, false)
    if (point.isSmallOrder()) return 'invalid'
    return point.isTorsionFree() ? 'native' : 'normative-only'
  } catch {
    return 'invalid'
  }
}

export interface Verifier {
  readonly backend: string
  /**
   * Verifies `signature` over `message` by the key `publicKey`, whose text form
   * `author` is the cache key. Agrees with `normativeVerify` on every input.
   */
  verify(author: string, publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean>
}

interface CachedKey {
  kind: KeyClass
  key?: unknown
}

/**
 * A verifier over `backend` (default noble) that caches up to `cacheSize` author keys
 * (creating a native key object per call halves native throughput).
 */
export function createVerifier(backend: AnyEd25519Backend = nobleEd25519, cacheSize = 10_000): Verifier {
  const cache = new Map<string, CachedKey | Promise<CachedKey>>()
  const native = backend !== nobleEd25519

  async function lookup(author: string, publicKey: Uint8Array): Promise<CachedKey> {
    const hit = cache.get(author)
    if (hit) return hit
    const entry = (async (): Promise<CachedKey> => {
      const kind = classifyKey(publicKey)
      if (kind !== 'native' || !native) return { kind }
      return { kind, key: await backend.importPublicKey(publicKey) }
    })()
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!)
    cache.set(author, entry)
    const resolved = await entry
    cache.set(author, resolved)
    return resolved
  }

  async function check(
    { kind, key }: CachedKey,
    publicKey: Uint8Array,
    signature: Uint8Array,
    message: Uint8Array,
  ): Promise<boolean> {
    if (kind === 'invalid') return false
    if (kind === 'normative-only' || !native) return normativeVerify(signature, message, publicKey)
    let valid = false
    try {
      valid = await backend.verify(key, signature, message)
    } catch {
      valid = false
    }
    return valid || normativeVerify(signature, message, publicKey)
  }

  return {
    backend: backend.name,
    verify(author, publicKey, signature, message) {
      const hit = cache.get(author)
      // A key already imported goes straight to the backend: no promise hop per op.
      if (hit && !(hit instanceof Promise)) return check(hit, publicKey, signature, message)
      return lookup(author, publicKey).then(key => check(key, publicKey, signature, message))
    },
  }
}
