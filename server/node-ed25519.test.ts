/**
 * The Node Ed25519 backend: a lone check answers inline; checks asked for together go
 * to the thread pool; both agree with the signature.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { nodeEd25519 } from './node-ed25519.ts'

async function signed() {
  const signer = await nodeEd25519.importSigner(new Uint8Array(randomBytes(32)))
  const message = new Uint8Array(randomBytes(32))
  const key = await nodeEd25519.importPublicKey(signer.publicKey)
  return { key, message, signature: await signer.sign(message) }
}

describe('nodeEd25519.verify', () => {
  it('answers a lone check inline, and a batch through the pool', async () => {
    const { key, message, signature } = await signed()
    await Promise.resolve() // a tick of its own
    expect(nodeEd25519.verify(key, signature, message)).toBe(true)
    await Promise.resolve()
    const batch = [0, 1, 2].map(() => nodeEd25519.verify(key, signature, message))
    expect(batch[0]).toBe(true)
    expect(batch[1]).toBeInstanceOf(Promise)
    expect(await Promise.all(batch)).toEqual([true, true, true])
  })

  it('rejects a bad signature inline and in the pool alike', async () => {
    const { key, message, signature } = await signed()
    const forged = signature.slice()
    forged[0]! ^= 1
    await Promise.resolve()
    const batch = [forged, signature, forged].map(sig => nodeEd25519.verify(key, sig, message))
    expect(await Promise.all(batch)).toEqual([false, true, false])
  })
})
