/**
 * The end-of-seed properties (TARGETS.md, reliability), checked after the world went
 * quiet: every replica shows what the core merge computes from the server's ops and
 * holds the same live set; every write a replica acknowledged to its app was accepted
 * once and is still on the server (or was pruned as superseded); the stream is gapless;
 * and a server or replica rebuilt from storage alone comes back the same.
 */
import { canonicalJson, type JsonValue } from '../../../src/core/json.ts'
import { SpaceState } from '../../../src/core/merge/space-state.ts'
import { SetSummary } from '../../../src/core/sketch/index.ts'
import { toOp } from '../../../server/sync/op-rows.ts'
import { SpaceCache } from '../../../server/sync/space-cache.ts'
import { COLLECTIONS, SIM_SCHEMA } from './actions.ts'
import type { ReplicaNode } from './sim-replica.ts'
import type { ServerNode } from './sim-server.ts'
import { isRestampOf, followRestamps } from './simulator.ts'

export interface CheckedWorld {
  space: string
  server: ServerNode
  nodes: readonly ReplicaNode[]
}

/** Records as one comparable string (field order is merge order, so keys are sorted). */
function canonical(collections: [string, [string, unknown][]][]): string {
  return canonicalJson(collections.map(([c, records]) => [c, records]) as JsonValue)
}

/**
 * A replica's state, as one comparable string. (Not its cursor: a cursor moved over
 * ops the log holds already is saved with the next commit, so a reopened replica may
 * resume from an earlier one, which only means pulling some ops twice.)
 */
export function stateOf(node: ReplicaNode, space: string): string {
  return JSON.stringify({
    collections: visible(node, space),
    pending: node.replica.pendingOps().map(op => op.id),
    live: node.replica.summary(space).id,
  })
}

/** Reopens a replica from its log and reports how it differs from before (undefined when it does not). */
export async function reopenDiffers(node: ReplicaNode, space: string): Promise<string | undefined> {
  const before = stateOf(node, space)
  const cursor = node.replica.cursor(space)
  await node.open()
  const after = stateOf(node, space)
  if (after !== before)
    return `replica ${node.index} reopened from its log differs:\n  before ${before}\n  after  ${after}`
  if (node.replica.cursor(space) > cursor)
    return `replica ${node.index} reopened with cursor ${node.replica.cursor(space)} past ${cursor}`
  return undefined
}

function visible(node: ReplicaNode, space: string): string {
  return canonical(COLLECTIONS.map(c => [c, node.replica.list(space, c)]))
}

export async function finalChecks(world: CheckedWorld): Promise<string[]> {
  const { space, server, nodes } = world
  const problems: string[] = []
  const info = (await server.store.getSpace(space))!
  const rows = (await server.store.pull(space, { after: 0, limit: Number.MAX_SAFE_INTEGER })).rows

  // The state the core computes from the server's ops.
  const reference = new SpaceState(SIM_SCHEMA)
  const merged = reference.applyAll(rows.map(row => toOp(space, row)))
  if (merged.rejected.length)
    problems.push(`the server holds ${merged.rejected.length} ops the merge rejects`)
  const expected = canonical(COLLECTIONS.map(c => [c, [...reference.records(c)]]))
  const liveIds = [...reference.liveOps()].map(op => op.id)
  const liveId = SetSummary.ofIds(liveIds, 1).id
  const entry = (await server.service.spaces.get(space))!
  if (entry.live.id !== liveId) problems.push("the server's live set differs from the merge of its ops")
  for (const node of nodes) {
    const name = `replica ${node.index}`
    const shown = visible(node, space)
    if (shown !== expected)
      problems.push(`${name} state differs from the server's:\n  replica ${shown}\n  server  ${expected}`)
    if (node.replica.summary(space).id !== liveId)
      problems.push(`${name} live set id differs from the server's`)
    if (node.replica.pendingCount) problems.push(`${name} still has ${node.replica.pendingCount} pending ops`)
    if (node.replica.cursor(space) !== info.head) {
      problems.push(`${name} cursor ${node.replica.cursor(space)} is not the head ${info.head}`)
    }
  }

  const held = new Map(rows.map(r => [r.id, r]))
  // Live flags in the store (what live snapshots read) match the merge.
  const flagged = rows
    .filter(r => r.live)
    .map(r => r.id)
    .sort()
  if (JSON.stringify(flagged) !== JSON.stringify([...liveIds].sort())) {
    const merge = new Set(liveIds)
    const extra = flagged.filter(id => !merge.has(id)).map(id => held.get(id)!.seq)
    const missing = liveIds.filter(id => !flagged.includes(id)).map(id => held.get(id)!.seq)
    problems.push(
      `the store's live flags differ from the merge: flagged but superseded seqs [${extra}], live but not flagged [${missing}]`,
    )
  }

  // Sequence numbers: the ledger of accepted answers is 1..head; rows past the horizon are all there.
  const seqs = [...server.acceptedSeqs].sort((a, b) => a - b)
  if (seqs.some((seq, i) => seq !== i + 1) || seqs.length !== info.head) {
    problems.push(`accepted seqs are not 1..${info.head}: ${seqs.join(',')}`)
  }
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.seq <= rows[i - 1]!.seq) problems.push(`stored seqs out of order at ${rows[i]!.seq}`)
  }
  const stored = new Set(rows.map(r => r.seq))
  for (let seq = info.horizon + 1; seq <= info.head; seq++) {
    if (!stored.has(seq)) problems.push(`seq ${seq} above the horizon ${info.horizon} is missing`)
  }
  for (const [id, { seq }] of server.ledger) {
    const row = held.get(id)
    if (row ? row.seq !== seq : seq > info.horizon || reference.isLive(id)) {
      problems.push(`accepted op ${id.slice(0, 12)} (seq ${seq}) is not on the server`)
    }
  }

  // Every acknowledged write reached the server exactly once (by id; a re-stamp replaces it).
  const ledgerOps = [...server.ledger.values()].map(e => e.op)
  for (const node of nodes) {
    for (const [id, op] of node.acked) {
      const effective = followRestamps(node, id)
      if (server.ledger.has(effective) || ledgerOps.some(other => isRestampOf(other, op))) continue
      problems.push(`replica ${node.index}: acknowledged write ${id.slice(0, 12)} never reached the server`)
    }
  }

  // Pruning now (every replica is at the head) changes no state. (Superseded ops below
  // a horizon that did not move may stay: the pruner runs when the horizon grows.)
  await server.prune()
  const left = (await server.store.pull(space, { after: 0, limit: Number.MAX_SAFE_INTEGER })).rows
  const afterPrune = new SpaceState(SIM_SCHEMA)
  afterPrune.applyAll(left.map(row => toOp(space, row)))
  if (canonical(COLLECTIONS.map(c => [c, [...afterPrune.records(c)]])) !== expected) {
    problems.push("pruning changed the state the server's ops give")
  }

  // Rebuilt from storage alone: the server's cache, and each replica from its log.
  const rebuilt = await new SpaceCache(server.store).get(space)
  if (rebuilt?.live.id !== liveId)
    problems.push("the server's space rebuilt from the store has another live set")
  for (const node of nodes) {
    const differs = await reopenDiffers(node, space)
    if (differs) problems.push(differs)
  }
  return problems
}
