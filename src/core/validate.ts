/**
 * Op validation in the order of PROTOCOL.md §3, identical in the engine and the
 * server: malformed, bad_id, bad_signature, drift, unknown_collection, bad_action,
 * bad_field, owned. (`forbidden` needs the access graph and is checked by the caller.)
 * A failing op gets the first code that applies.
 */
import type { Verifier } from './ed25519.ts'
import { fail, ok, type Result } from './errors.ts'
import { checkOpId, DEFAULT_OP_LIMITS, inspectOp, type Op, type OpLimits, type Sha256 } from './op.ts'
import { checkOpSchema, type Schema } from './schema.ts'
import { checkDrift, parseHlc } from './uhlc.ts'

export interface ValidationContext {
  /** The receiver's (skew-corrected) wall clock, ns. */
  physicalNs(): bigint
  maxDriftNs: bigint
  /** The space's schema (`_members` is built in). */
  schema: Schema | ((space: string) => Schema)
  verifier: Verifier
  limits?: OpLimits
  /** A faster SHA-256 where the platform has one (Node's crypto); noble by default. */
  sha256?: Sha256
}

/** Steps 1-3, what makes an op authentic whoever receives it: malformed, bad_id, bad_signature. */
export async function checkSignedOp(
  input: unknown,
  verifier: Verifier,
  limits: OpLimits = DEFAULT_OP_LIMITS,
  hash?: Sha256,
): Promise<Result<Op>> {
  const inspected = inspectOp(input, limits)
  if (!inspected.ok) return inspected
  const idBytes = checkOpId(inspected.value, hash)
  if (!idBytes.ok) return idBytes
  const { op, authorKey, signature } = inspected.value
  if (!(await verifier.verify(op.author, authorKey, signature, idBytes.value))) {
    return fail('bad_signature', 'signature does not verify with the author key')
  }
  return ok(op)
}

/** Validates one op, a parsed JSON value. */
export async function validateOp(input: unknown, ctx: ValidationContext): Promise<Result<Op>> {
  const signed = await checkSignedOp(input, ctx.verifier, ctx.limits, ctx.sha256)
  if (!signed.ok) return signed
  const op = signed.value
  const drift = checkDrift(parseHlc(op.hlc)!.time, ctx.physicalNs(), ctx.maxDriftNs)
  if (!drift.ok) return drift
  const schema = typeof ctx.schema === 'function' ? ctx.schema(op.space) : ctx.schema
  const checked = checkOpSchema(op, schema)
  if (!checked.ok) return checked
  return ok(op)
}

/** Validates a batch; signatures are checked concurrently (native backends run them in parallel). */
export function validateOps(inputs: readonly unknown[], ctx: ValidationContext): Promise<Result<Op>[]> {
  return Promise.all(inputs.map(input => validateOp(input, ctx)))
}
