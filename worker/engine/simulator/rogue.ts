/**
 * The rogue client: a device outside the simulated network that pushes straight to the
 * server. It checks that a refused write gets one code from the writing replica, the
 * core's checks, the core's merge and the server alike, and pushes valid ops (which
 * every replica must then converge on), drifted ones and forged ones.
 */
import { toBase64url } from '../../../src/core/bytes.ts'
import type { Ed25519Signer } from '../../../src/core/ed25519.ts'
import { SpaceState } from '../../../src/core/merge/space-state.ts'
import { type Op, signOp, type UnsignedOp } from '../../../src/core/op.ts'
import { checkOpSchema } from '../../../src/core/schema.ts'
import { DEFAULT_MAX_DRIFT_NS, formatHlc, NS_PER_MS } from '../../../src/core/uhlc.ts'
import { nodeEd25519 } from '../../../server/node-ed25519.ts'
import { refusedWrite, SIM_SCHEMA, validWrite, type WriteIntent } from './actions.ts'
import type { Rng } from './prng.ts'
import { simEd25519 } from './sim-crypto.ts'
import type { ReplicaNode } from './sim-replica.ts'
import type { ServerNode } from './sim-server.ts'

/** What one rogue action did: a trace line, and what broke if anything did. */
export interface RogueOutcome {
  line: string
  problem?: string
}

export class Rogue {
  private constructor(
    readonly device: string,
    private readonly signer: Ed25519Signer,
    private readonly server: ServerNode,
    private readonly space: string,
  ) {}

  static async create(
    seed: Uint8Array,
    realCrypto: boolean,
    server: ServerNode,
    space: string,
  ): Promise<Rogue> {
    const signer = await (realCrypto ? nodeEd25519 : simEd25519).importSigner(seed)
    return new Rogue(toBase64url(signer.publicKey), signer, server, space)
  }

  /** A write every party must refuse with one code: `node` (the app's call), the core, the server. */
  async refused(rng: Rng, nowNs: bigint, node: ReplicaNode, other: string): Promise<RogueOutcome> {
    const w = refusedWrite(rng, other)
    const atReplica = await node.refusedWrite(this.space, w.collection, w.record, w.action, w.fields)
    const op = await this.sign(w, formatHlc(nowNs, 'A1'.repeat(16)))
    const check = checkOpSchema(op, SIM_SCHEMA)
    const merged = new SpaceState(SIM_SCHEMA).apply(op)
    const [atServer] = await this.server.pushDirect(this.device, [op])
    const codes = {
      replica: atReplica,
      core: check.ok ? 'accepted' : check.error.code,
      merge: merged.status === 'rejected' ? merged.error.code : 'applied',
      server: atServer!.status === 'rejected' ? atServer!.error!.code : atServer!.status,
    }
    const line = `r${node.index} refused ${w.action} ${w.collection}: ${JSON.stringify(codes)}`
    if (Object.values(codes).every(code => code === w.code)) return { line }
    return { line, problem: `refused write ${JSON.stringify(w)} got ${JSON.stringify(codes)}, not ${w.code}` }
  }

  /** Pushes a valid, drifted or forged op; each must get its own answer. */
  async push(rng: Rng, nowNs: bigint): Promise<RogueOutcome> {
    const kind = rng.weighted({ valid: 4, drift: 1, badSignature: 1, badId: 1 })
    const w = validWrite(rng, this.device)
    const ahead = kind === 'drift' ? DEFAULT_MAX_DRIFT_NS + BigInt(rng.range(1, 5000)) * NS_PER_MS : 0n
    let op = await this.sign(w, formatHlc(nowNs + ahead, 'B2'.repeat(16)))
    if (kind === 'badSignature') op = { ...op, sig: forge(op.sig) }
    if (kind === 'badId') op = { ...op, record: `${op.record}~` }
    const expected = { valid: 'accepted', drift: 'drift', badSignature: 'bad_signature', badId: 'bad_id' }[
      kind
    ]
    const [result] = await this.server.pushDirect(this.device, [op])
    const got = result!.status === 'rejected' ? result!.error!.code : result!.status
    const line = `rogue pushed ${kind} ${w.action} ${w.collection}/${w.record.slice(-6)}: ${got}`
    return got === expected ? { line } : { line, problem: `rogue ${kind} op got ${got}, not ${expected}` }
  }

  private sign(w: WriteIntent, hlc: string): Promise<Op> {
    const unsigned: UnsignedOp = {
      space: this.space,
      collection: w.collection,
      record: w.record,
      action: w.action,
      hlc,
      author: this.device,
      ...(w.fields === undefined ? {} : { fields: w.fields }),
    }
    return signOp(unsigned, this.signer)
  }
}

/** A different signature of the same length. */
function forge(sig: string): string {
  const c = sig[10] === 'A' ? 'B' : 'A'
  return `${sig.slice(0, 10)}${c}${sig.slice(11)}`
}
