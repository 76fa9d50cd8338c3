import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { nodeEd25519, nodeSha256, nodeSha256Hex } from '../../server/node-ed25519.ts'
import { webcryptoEd25519 } from '../../worker/engine/webcrypto-ed25519.ts'
import { fromHex, toBase64url } from './bytes.ts'
import { type AnyEd25519Backend, createVerifier, nobleEd25519, normativeVerify } from './ed25519.ts'
import { parseJsonStrict } from './json.ts'
import { canonicalOp, computeOpId, nobleSha256, type Op, signOp, type UnsignedOp } from './op.ts'
import { canonicalJson } from './json.ts'
import { createSchema, normalizeDescriptor } from './schema.ts'
import { sha256Hex } from './sha256-hex.ts'
import { loadVectors } from './testing/vectors.ts'
import { checkSignedOp, validateOp } from './validate.ts'

interface OpVectors {
  ops: {
    name: string
    seedHex: string
    op: UnsignedOp
    opText: string
    canonical: string
    id: string
    sig: string
    author: string
  }[]
  tampered: { how: string; op: unknown; expected: string; backendsDiffer?: boolean }[]
  validation: {
    receiver: { physicalNs: string; maxDriftNs: string; schema: Record<string, unknown> }
    cases: { how: string; op: unknown; expected: string }[]
  }
  invalidText: { how: string; text: string; expected: string }[]
  validText: { how: string; text: string; expected: string }[]
}
const vectors = loadVectors<OpVectors>('ops')

const webcrypto = await webcryptoEd25519()
const backends: [string, AnyEd25519Backend][] = [
  ['noble', nobleEd25519],
  ['node:crypto', nodeEd25519],
  ...(webcrypto ? ([['webcrypto', webcrypto]] as [string, AnyEd25519Backend][]) : []),
]

describe('canonical JSON and op ids (§1, §3)', () => {
  it.each(vectors.ops)('$name: canonical form, id', v => {
    expect(canonicalOp(v.op)).toBe(v.canonical)
    const parsed = parseJsonStrict(v.opText)
    expect(parsed.ok).toBe(true)
    expect(canonicalOp(parsed.ok ? (parsed.value as UnsignedOp) : v.op)).toBe(v.canonical)
    expect(computeOpId(v.op)).toBe(v.id)
  })
})

describe('the op canonical form and hash backends', () => {
  it('canonicalOp writes what canonicalJson writes, for any op', () => {
    fc.assert(
      fc.property(
        fc.record({
          space: fc.string({ minLength: 1 }),
          collection: fc.string({ minLength: 1 }),
          record: fc.string({ minLength: 1, unit: 'binary' }),
          action: fc.constantFrom('create', 'update'),
          fields: fc.dictionary(fc.string(), fc.jsonValue()),
          hlc: fc.string(),
          author: fc.string(),
        }),
        op => {
          const unsigned = op as UnsignedOp
          expect(canonicalOp(unsigned)).toBe(canonicalJson(unsigned))
        },
      ),
      { numRuns: 300 },
    )
  })

  it("Node's SHA-256 equals noble's", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), bytes => {
        expect(nodeSha256(bytes)).toEqual(Buffer.from(nobleSha256(bytes)))
      }),
    )
  })
})

describe.each(backends)('signing with %s (§3)', (_name, backend) => {
  it.each(vectors.ops)('$name: author and signature', async v => {
    const signer = await backend.importSigner(fromHex(v.seedHex)!)
    expect(toBase64url(signer.publicKey)).toBe(v.author)
    const op = await signOp(v.op, signer)
    expect(op.id).toBe(v.id)
    expect(op.sig).toBe(v.sig)
  })
})

describe.each(backends)('checks 1-3 with %s: malformed, bad_id, bad_signature (§1, §3)', (_name, backend) => {
  const verifier = createVerifier(backend)
  it.each(vectors.tampered)('$how -> $expected', async v => {
    const result = await checkSignedOp(v.op, verifier)
    expect(result.ok ? 'ok' : result.error.code).toBe(v.expected)
    // The same with ids hashed as text (the engine's background checks).
    const asText = await checkSignedOp(v.op, verifier, { sha256Hex })
    expect(asText.ok ? 'ok' : asText.error.code).toBe(v.expected)
  })

  it.each(vectors.ops)('$name verifies', async v => {
    const result = await checkSignedOp({ ...v.op, id: v.id, sig: v.sig }, verifier)
    expect(result.ok).toBe(true)
  })
})

describe('the normative verification (§1)', () => {
  it.each(vectors.tampered.filter(v => v.expected === 'bad_signature'))('rejects $how', v => {
    const op = v.op as Op
    const ok = normativeVerify(
      Buffer.from(op.sig, 'base64url'),
      fromHex(op.id)!,
      Buffer.from(op.author, 'base64url'),
    )
    expect(ok).toBe(false)
  })

  it('accepts a signature whose R has a torsion component on every backend', async () => {
    // Valid only under the cofactored equation that noble uses: OpenSSL and WebCrypto
    // reject it, so the verifier must fall back to noble when they say no.
    const seed = new Uint8Array(32).fill(7)
    const { scalar, prefix, pointBytes } = ed25519.utils.getExtendedPublicKey(seed)
    const message = new Uint8Array(32).fill(9)
    const { Point } = ed25519
    const n = Point.CURVE().n
    const mod = (x: bigint) => ((x % n) + n) % n
    const hash = (...parts: Uint8Array[]) => {
      const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
      let o = 0
      for (const p of parts) {
        all.set(p, o)
        o += p.length
      }
      return BigInt(`0x${Buffer.from(sha512(all)).reverse().toString('hex')}`)
    }
    const torsion = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a') // order 8
    const r = mod(hash(prefix, message))
    const R = Point.BASE.multiply(r).add(torsion)
    const k = mod(hash(R.toBytes(), pointBytes, message))
    const S = mod(r + k * scalar)
    const sBytes = Buffer.from(S.toString(16).padStart(64, '0'), 'hex').reverse()
    const signature = new Uint8Array([...R.toBytes(), ...sBytes])
    expect(normativeVerify(signature, message, pointBytes)).toBe(true)
    // OpenSSL alone says no: the fallback is what makes the verifier agree.
    expect(await nodeEd25519.verify(await nodeEd25519.importPublicKey(pointBytes), signature, message)).toBe(
      false,
    )
    for (const [, backend] of backends) {
      const verifier = createVerifier(backend)
      expect(await verifier.verify('k', pointBytes, signature, message)).toBe(true)
    }
  })
})

describe('validation order (§3)', () => {
  const { receiver, cases } = vectors.validation
  const schema = createSchema(
    Object.values(receiver.schema).map(d => {
      const n = normalizeDescriptor(d)
      if (!n.ok) throw new Error(n.error.message)
      return n.value
    }),
  )
  if (!schema.ok) throw new Error(schema.error.message)
  describe.each(backends)('with %s', (_name, backend) => {
    const ctx = {
      physicalNs: () => BigInt(receiver.physicalNs),
      maxDriftNs: BigInt(receiver.maxDriftNs),
      schema: schema.value,
      verifier: createVerifier(backend),
    }
    it.each(cases)('$how -> $expected', async v => {
      const result = await validateOp(v.op, ctx)
      expect(result.ok ? 'ok' : result.error.code).toBe(v.expected)
    })
    it.each(cases)('$how -> $expected, ids hashed as text (sha256Hex)', async v => {
      const result = await validateOp(v.op, { ...ctx, sha256Hex: nodeSha256Hex })
      expect(result.ok ? 'ok' : result.error.code).toBe(v.expected)
    })
  })
})

describe('strict JSON text (§1)', () => {
  const verifier = createVerifier(nodeEd25519)
  it.each(vectors.invalidText)('$how -> malformed', v => {
    expect(JSON.parse(v.text)).toBeTruthy() // the lax parser accepts it
    const parsed = parseJsonStrict(v.text)
    expect(parsed.ok ? 'ok' : parsed.error.code).toBe(v.expected)
  })

  it.each(vectors.validText)('$how -> ok', async v => {
    const parsed = parseJsonStrict(v.text)
    expect(parsed.ok).toBe(true)
    const result = await checkSignedOp(parsed.ok && parsed.value, verifier)
    expect(result.ok ? 'ok' : result.error.code).toBe(v.expected)
  })
})
