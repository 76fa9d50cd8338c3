/**
 * Ed25519 on WebCrypto, where the platform has it (Chromium, Firefox, Safari 17+,
 * Node): about 6x faster than noble in a browser worker for verification.
 * `webcryptoEd25519()` resolves to undefined where Ed25519 is missing.
 */
import { fromBase64url, toBase64url } from '../../src/core/bytes.ts'
import type { Ed25519Backend } from '../../src/core/ed25519.ts'

const ALGORITHM = { name: 'Ed25519' } as const
/** RFC 8410: the DER header of an Ed25519 private key in PKCS#8, followed by the 32-byte seed. */
const PKCS8_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]

function backend(subtle: SubtleCrypto): Ed25519Backend<CryptoKey> {
  return {
    name: 'webcrypto',
    importPublicKey: publicKey =>
      subtle.importKey('raw', publicKey as BufferSource, ALGORITHM, false, ['verify']),
    verify: (key, signature, message) =>
      subtle.verify(ALGORITHM, key, signature as BufferSource, message as BufferSource),
    async importSigner(seed) {
      // The public key, without noble: WebCrypto derives it when a PKCS#8 key is exported as JWK.
      const pkcs8 = new Uint8Array([...PKCS8_PREFIX, ...seed])
      const extractable = await subtle.importKey('pkcs8', pkcs8, ALGORITHM, true, ['sign'])
      const { x } = await subtle.exportKey('jwk', extractable)
      const publicKey = fromBase64url(x ?? '')
      if (!publicKey || publicKey.length !== 32) throw new Error('WebCrypto gave no Ed25519 public key')
      const jwk = { kty: 'OKP', crv: 'Ed25519', d: toBase64url(seed), x: toBase64url(publicKey) }
      const key = await subtle.importKey('jwk', jwk, ALGORITHM, false, ['sign'])
      return {
        publicKey,
        sign: async message => new Uint8Array(await subtle.sign(ALGORITHM, key, message as BufferSource)),
      }
    },
  }
}

/** The WebCrypto backend, or undefined where this platform lacks Ed25519. */
export async function webcryptoEd25519(subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle) {
  if (!subtle) return undefined
  try {
    const probe = await subtle.generateKey(ALGORITHM, false, ['sign', 'verify'])
    if (!('privateKey' in probe)) return undefined
    return backend(subtle)
  } catch {
    return undefined
  }
}
