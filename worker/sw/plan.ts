/**
 * The replay plan: every queued op of every stored batch (from any tab, any push) in
 * one list per server, each op once (by id), sorted by hlc (ties by id, PROTOCOL.md §4),
 * then cut into push batches that a server takes (at most 1,000 ops and 4 MiB, §3).
 * A batch holds the ops of one device, because it is sent with that device's session:
 * where two devices' ops interleave in hlc order, the plan switches devices between
 * batches rather than reorder them. Pure: the replay runs it on what the outbox holds.
 */
import { utf8Length } from '../../src/core/bytes.ts'
import { compareOps } from '../../src/core/op.ts'
import type { OutboxBatch } from './protocol.ts'

export interface PlanLimits {
  /** Ops per push. Default 1,000. */
  maxOps?: number
  /** Bytes of a push body. Default 4 MiB. */
  maxBytes?: number
}

export const MAX_PUSH_OPS = 1000
export const MAX_PUSH_BYTES = 4 * 1024 * 1024
/** Room for `{"ops":[...]}` around the ops. */
const ENVELOPE_BYTES = 64

/** The batches to push, in the order to push them (servers in order of first appearance). */
export function planReplay(stored: readonly OutboxBatch[], limits: PlanLimits = {}): OutboxBatch[] {
  const maxOps = limits.maxOps ?? MAX_PUSH_OPS
  const maxBytes = limits.maxBytes ?? MAX_PUSH_BYTES
  const byServer = new Map<string, Map<string, { device: string; op: OutboxBatch['ops'][number] }>>()
  for (const batch of stored) {
    let ops = byServer.get(batch.server)
    if (!ops) byServer.set(batch.server, (ops = new Map()))
    for (const op of batch.ops) if (!ops.has(op.id)) ops.set(op.id, { device: batch.device, op })
  }
  const plan: OutboxBatch[] = []
  for (const [server, ops] of byServer) {
    const sorted = [...ops.values()].sort((a, b) => compareOps(a.op, b.op))
    let current: OutboxBatch | undefined
    let bytes = 0
    for (const { device, op } of sorted) {
      const size = utf8Length(JSON.stringify(op)) + 1
      if (
        !current ||
        current.device !== device ||
        current.ops.length >= maxOps ||
        bytes + size > maxBytes - ENVELOPE_BYTES
      ) {
        current = { server, device, ops: [] }
        plan.push(current)
        bytes = 0
      }
      current.ops.push(op)
      bytes += size
    }
  }
  return plan
}

/** Queued ops per device: each op once, however many stored batches hold it. */
export function countByDevice(stored: readonly OutboxBatch[]): Map<string, number> {
  const seen = new Map<string, Set<string>>()
  for (const { server, device, ops } of stored) {
    let ids = seen.get(device)
    if (!ids) seen.set(device, (ids = new Set()))
    for (const op of ops) ids.add(`${server} ${op.id}`)
  }
  return new Map([...seen].map(([device, ids]) => [device, ids.size]))
}
