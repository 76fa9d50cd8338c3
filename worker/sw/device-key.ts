/**
 * A device's signing key for the session challenge (PROTOCOL.md §8), from the 32-byte
 * Ed25519 seed the replica keeps in IndexedDB. WebCrypto only (Chromium, Firefox 129+,
 * Safari 17+): the seed is wrapped as PKCS#8, and the public key (the device id) is read
 * back from the JWK, so the service worker carries no Ed25519 code of its own.
 */
export interface DeviceKey {
  /** The device id: the base64url public key. */
  device: string
  sign(message: Uint8Array): Promise<Uint8Array>
}

/** PKCS#8 v1 `PrivateKeyInfo` for Ed25519 (RFC 8410) up to the 32 seed bytes. */
const PKCS8_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]
const ED25519 = { name: 'Ed25519' } as const

export async function importDeviceKey(
  seed: Uint8Array,
  subtle: SubtleCrypto = globalThis.crypto.subtle,
): Promise<DeviceKey> {
  if (seed.length !== 32) throw new Error('a device seed is 32 bytes')
  const pkcs8 = new Uint8Array(48)
  pkcs8.set(PKCS8_PREFIX)
  pkcs8.set(seed, 16)
  const key = await subtle.importKey('pkcs8', pkcs8, ED25519, true, ['sign'])
  const { x } = await subtle.exportKey('jwk', key)
  if (!x) throw new Error('this platform gave no Ed25519 public key')
  return {
    device: x,
    sign: async message => new Uint8Array(await subtle.sign(ED25519, key, message as BufferSource)),
  }
}
