/**
 * A stand-in for Ed25519 in most seeds: keyed SHA-256 "signatures" that a verifier
 * recomputes. It is not secure and need not be: the simulator tests convergence, and
 * real Ed25519 (Node's, async on the thread pool) costs more per op than the rest of
 * a seed. It keeps the properties the engine and server rely on: a device's key comes
 * from its seed, a signature covers exactly the op id, and a changed id or signature
 * fails to verify. A share of seeds runs real Ed25519 (`realCrypto`).
 */
import { hash } from 'node:crypto'
import type { Ed25519Backend, Verifier } from '../../../src/core/ed25519.ts'

const sha256 = (...parts: Uint8Array[]) => new Uint8Array(hash('sha256', Buffer.concat(parts), 'buffer'))

function fakeSignature(publicKey: Uint8Array, message: Uint8Array): Uint8Array {
  const out = new Uint8Array(64)
  out.set(sha256(publicKey, message), 0)
  out.set(sha256(message, publicKey), 32)
  return out
}

export const simEd25519: Ed25519Backend<Uint8Array> = {
  name: 'simulated',
  importPublicKey: publicKey => publicKey,
  verify: (key, signature, message) => equal(fakeSignature(key, message), signature),
  importSigner(seed) {
    const publicKey = sha256(seed)
    return { publicKey, sign: message => fakeSignature(publicKey, message) }
  },
}

/** The server's verifier for `simEd25519` signatures. */
export const simVerifier: Verifier = {
  backend: 'simulated',
  verify: async (_author, publicKey, signature, message) =>
    publicKey.length === 32 && equal(fakeSignature(publicKey, message), signature),
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
