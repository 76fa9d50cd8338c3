/**
 * Op validation in the order of PROTOCOL.md §3, identical in the engine and the
 * server: malformed, bad_id, bad_signature, drift, unknown_collection, bad_action,
 * bad_field, owned. (`forbidden` needs the access graph and is checked by the caller.)
 * A failing op gets the first code that applies.
 */
import type { Verifier } from './ed25519.ts'
import { fail, ok, type Result } from './errors.ts'
import { fromHex } from './bytes.ts'
import {
  checkOpId,
  DEFAULT_OP_LIMITS,
  type InspectedOp,
  inspectOp,
  type Op,
  type OpLimits,
  type Sha256,
} from './op.ts'
import { checkOpSchema, type Schema } from './schema.ts'
import { checkDrift } from './uhlc.ts'

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
  /**
   * Hex SHA-256 of a string's UTF-8 bytes, where the platform hashes text natively
   * (Node's crypto): used instead of `sha256`, it saves encoding each op in JavaScript
   * and lets the id be compared as text (three quarters of the id check's cost).
   */
  sha256Hex?: (text: string) => string
}

/** Steps 1-3, what makes an op authentic whoever receives it: malformed, bad_id, bad_signature. */
export async function checkSignedOp(
  input: unknown,
  verifier: Verifier,
  options: Pick<ValidationContext, 'limits' | 'sha256' | 'sha256Hex'> = {},
): Promise<Result<Op>> {
  const inspected = inspectOp(input, options.limits ?? DEFAULT_OP_LIMITS)
  if (!inspected.ok) return inspected
  const idBytes = options.sha256Hex
    ? checkOpIdText(inspected.value, options.sha256Hex)
    : checkOpId(inspected.value, options.sha256)
  if (!idBytes.ok) return idBytes
  const { op, authorKey, signature } = inspected.value
  if (!(await verifier.verify(op.author, authorKey, signature, idBytes.value))) {
    return fail('bad_signature', 'signature does not verify with the author key')
  }
  return ok(op)
}

/** Validates one op, a parsed JSON value. */
export async function validateOp(input: unknown, ctx: ValidationContext): Promise<Result<Op>> {
  return (await validateOps([input], ctx))[0]!
}

/**
 * Validates a batch: the same result per op as `validateOp`. The synchronous checks run
 * in one pass and the signatures are then checked concurrently (native backends run
 * them in parallel), so a batch costs one promise per signature and no more.
 */
export async function validateOps(inputs: readonly unknown[], ctx: ValidationContext): Promise<Result<Op>[]> {
  const results: Result<Op>[] = new Array(inputs.length)
  const checks: Promise<boolean>[] = []
  const pending: { index: number; inspected: InspectedOp }[] = []
  const authorKeys = new Map<string, Uint8Array>()
  for (let i = 0; i < inputs.length; i++) {
    const inspected = inspectOp(inputs[i], ctx.limits, authorKeys)
    if (!inspected.ok) {
      results[i] = inspected
      continue
    }
    const idBytes = ctx.sha256Hex
      ? checkOpIdText(inspected.value, ctx.sha256Hex)
      : checkOpId(inspected.value, ctx.sha256)
    if (!idBytes.ok) {
      results[i] = idBytes
      continue
    }
    const { op, authorKey, signature } = inspected.value
    checks.push(ctx.verifier.verify(op.author, authorKey, signature, idBytes.value))
    pending.push({ index: i, inspected: inspected.value })
  }
  const verified = await Promise.all(checks)
  const physicalNs = pending.length > 0 ? ctx.physicalNs() : 0n
  for (let k = 0; k < pending.length; k++) {
    const { index, inspected } = pending[k]!
    results[index] = verified[k]
      ? afterSignature(inspected, physicalNs, ctx)
      : fail('bad_signature', 'signature does not verify with the author key')
  }
  return results
}

/** `checkOpId` with a hash of text to hex; the id was checked to be 64 lower-case hex digits. */
function checkOpIdText(inspected: InspectedOp, sha256Hex: (text: string) => string): Result<Uint8Array> {
  if (sha256Hex(inspected.canonical) !== inspected.op.id)
    return fail('bad_id', 'id is not the hash of the op')
  return ok(fromHex(inspected.op.id)!)
}

/** Steps 4 and 5 of an authentic op: drift, then the schema. */
function afterSignature(inspected: InspectedOp, physicalNs: bigint, ctx: ValidationContext): Result<Op> {
  const { op } = inspected
  const drift = checkDrift(inspected.hlcTime, physicalNs, ctx.maxDriftNs)
  if (!drift.ok) return drift
  const schema = typeof ctx.schema === 'function' ? ctx.schema(op.space) : ctx.schema
  const checked = checkOpSchema(op, schema)
  if (!checked.ok) return checked
  return ok(op)
}
