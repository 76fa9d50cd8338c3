/**
 * Chromium's WebCrypto Ed25519 (BoringSSL) must agree with the normative noble
 * verification on every vector, as Node's OpenSSL does (op.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { webcryptoEd25519 } from '../../worker/engine/webcrypto-ed25519.ts'
import { fromHex, toBase64url } from './bytes.ts'
import { createVerifier } from './ed25519.ts'
import { signOp, type UnsignedOp } from './op.ts'
import { createSchema, type DescriptorInput } from './schema.ts'
import { loadBrowserVectors } from './testing/browser-vectors.ts'
import { checkSignedOp, validateOp } from './validate.ts'

interface OpVectors {
  ops: { name: string; seedHex: string; op: UnsignedOp; id: string; sig: string; author: string }[]
  tampered: { how: string; op: unknown; expected: string }[]
  validation: {
    receiver: { physicalNs: string; maxDriftNs: string; schema: Record<string, DescriptorInput> }
    cases: { how: string; op: unknown; expected: string }[]
  }
}
const vectors = await loadBrowserVectors<OpVectors>('ops')
const webcrypto = await webcryptoEd25519()

describe('WebCrypto Ed25519 in Chromium (§1)', () => {
  it('is available', () => {
    expect(webcrypto?.name).toBe('webcrypto')
  })

  it.each(vectors.ops)('signs $name as the vectors do', async v => {
    const signer = await webcrypto!.importSigner(fromHex(v.seedHex)!)
    expect(toBase64url(signer.publicKey)).toBe(v.author)
    const op = await signOp(v.op, signer)
    expect([op.id, op.sig]).toEqual([v.id, v.sig])
  })

  const verifier = webcrypto && createVerifier(webcrypto)
  it.each(vectors.tampered)('$how -> $expected', async v => {
    const result = await checkSignedOp(v.op, verifier!)
    expect(result.ok ? 'ok' : result.error.code).toBe(v.expected)
  })

  it.each(vectors.validation.cases)('validation: $how -> $expected', async v => {
    const { receiver } = vectors.validation
    const schema = createSchema(Object.values(receiver.schema))
    if (!schema.ok) throw new Error(schema.error.message)
    const result = await validateOp(v.op, {
      physicalNs: () => BigInt(receiver.physicalNs),
      maxDriftNs: BigInt(receiver.maxDriftNs),
      schema: schema.value,
      verifier: verifier!,
    })
    expect(result.ok ? 'ok' : result.error.code).toBe(v.expected)
  })
})
