/**
 * Pushing local ops (PROTOCOL.md §7) and handling the server's verdicts:
 *  - `accepted` / `duplicate`: the op leaves the pending set;
 *  - `drift`: the op is re-stamped with a corrected clock and pushed again, never
 *    dropped (after rewinding a clock that ran ahead, every pending op stamped ahead is
 *    re-stamped, in hlc order, so the changes keep their order);
 *  - any other code: the op is taken out of the replica (its space recomputed without
 *    it) and reported to the app with the op and a coded error.
 * Batches hold at most 1,000 ops and 4 MiB. A push answered `queued` (the service
 * worker holds it) is in flight: not acknowledged, and not pushed again until the next
 * full round. Pushes pipeline: a write pushed while earlier pushes wait for their
 * answers leaves at once (`pushNew`), and no op is on its way twice.
 */
import { utf8Length } from '../../../src/core/bytes.ts'
import { type ErrorInfo, SynclineError } from '../../../src/core/errors.ts'
import type { Op } from '../../../src/core/op.ts'
import { parseHlc } from '../../../src/core/uhlc.ts'
import { groupBySpace } from '../oplog.ts'
import type { Replica } from '../replica.ts'
import type { Backoff } from './backoff.ts'
import { sleep, type SyncIo } from './io.ts'
import type { KeyedQueue } from './serial.ts'
import type { StatusHub } from './status.ts'

export interface PushResult {
  id: string
  status: 'accepted' | 'duplicate' | 'rejected'
  seq?: number
  error?: ErrorInfo
}

/** Sends one batch: the per-op results, or `queued` when the service worker took it. */
export type PushTransport = (ops: Op[]) => Promise<PushResult[] | 'queued'>

export const MAX_PUSH_OPS = 1000
export const MAX_PUSH_BYTES = 4 * 1024 * 1024
/** Room for the envelope around the ops (`{"type":"push","ref":N,"ops":[...]}`). */
const ENVELOPE_BYTES = 256

/** Splits ops (in order) into batches of at most `maxOps` ops and `maxBytes` of JSON. */
export function pushBatches(ops: readonly Op[], maxOps = MAX_PUSH_OPS, maxBytes = MAX_PUSH_BYTES): Op[][] {
  const out: Op[][] = []
  let batch: Op[] = []
  let bytes = ENVELOPE_BYTES
  for (const op of ops) {
    const size = utf8Length(JSON.stringify(op)) + 1
    if (batch.length && (batch.length >= maxOps || bytes + size > maxBytes)) {
      out.push(batch)
      batch = []
      bytes = ENVELOPE_BYTES
    }
    batch.push(op)
    bytes += size
  }
  if (batch.length) out.push(batch)
  return out
}

export interface PusherDeps {
  replica: Replica
  transport: PushTransport
  /** Registers the app schema with a space before its first push (nothing to wait for after that). */
  ensureSchema(space: string): Promise<void> | void
  /** Serialises changes to a space's ops (removal, re-stamping) with pulls and live ops. */
  spaces: KeyedQueue
  status: StatusHub
  io: SyncIo
  backoff: Backoff
  /** Spaces in which the server accepted ops (it may have just created them). */
  onAccepted(spaces: Set<string>): void
}

export class Pusher {
  /** Ops the service worker queued (202): in flight until the next full round. */
  private readonly queued = new Set<string>()
  /** Ids of re-stamped ops: a second drift rejection of one waits a backoff delay. */
  private readonly restamped = new Set<string>()
  /** Ids of ops pushed and not answered yet: not pushed again meanwhile. */
  private readonly sending = new Set<string>()
  /** Pushes under way (each resolves with how many ops it settled). */
  private readonly inFlight = new Set<Promise<number>>()
  /** Schema registrations under way, by space. */
  private readonly registering = new Map<string, Promise<void>>()

  constructor(private readonly deps: PusherDeps) {}

  /** Forgets which ops are queued, so the next push sends them again (duplicates are harmless). */
  clearQueued(): void {
    this.queued.clear()
  }

  /** Whether every pending op is acknowledged or queued. */
  get idle(): boolean {
    return this.deps.replica.pendingOps().every(op => this.queued.has(op.id))
  }

  /**
   * Pushes pending ops until none is left to push (re-stamped ones included) and the
   * pushes already under way are answered.
   */
  async pushPending(): Promise<void> {
    for (;;) {
      const ops = this.unsent()
      if (ops.length === 0) {
        if (this.inFlight.size === 0) return
        // Another push carries them: its failure leaves them unsent, for the next turn here.
        await Promise.allSettled(this.inFlight)
        continue
      }
      const settled = await this.send(ops)
      if (settled === 0) throw new SynclineError('unavailable', 'the server settled none of the pushed ops')
    }
  }

  /**
   * Pushes the pending ops no push carries yet, without waiting for earlier pushes'
   * answers: over the live socket, a write then leaves as soon as it is committed.
   */
  async pushNew(): Promise<void> {
    const ops = this.unsent()
    if (ops.length) await this.send(ops)
  }

  /** Waits for a space's schema registration, which pushes under way at once share. */
  private async register(space: string, registering: Promise<void>): Promise<void> {
    this.registering.set(space, registering)
    try {
      await registering
    } finally {
      if (this.registering.get(space) === registering) this.registering.delete(space)
    }
  }

  private unsent(): Op[] {
    return this.deps.replica.pendingOps().filter(op => !this.queued.has(op.id) && !this.sending.has(op.id))
  }

  private send(ops: readonly Op[]): Promise<number> {
    for (const op of ops) this.sending.add(op.id)
    const run: Promise<number> = this.pushOps(ops).finally(() => {
      for (const op of ops) this.sending.delete(op.id)
      this.inFlight.delete(run)
    })
    this.inFlight.add(run)
    return run
  }

  /**
   * Pushes `ops` (pending or not: reconciliation pushes ops the server lacks) and
   * handles the results; returns how many ops were settled (acknowledged, queued,
   * re-stamped or removed).
   */
  async pushOps(ops: readonly Op[]): Promise<number> {
    const { replica, transport } = this.deps
    let settled = 0
    for (const batch of pushBatches(ops)) {
      for (const space of new Set(batch.map(op => op.space))) {
        // No await when the schema is registered: a live push leaves in the same task as its write.
        const registering = this.registering.get(space) ?? this.deps.ensureSchema(space)
        if (registering) await this.register(space, registering)
      }
      const answer = await transport(batch)
      if (answer === 'queued') {
        for (const op of batch) this.queued.add(op.id)
        settled += batch.length
        continue
      }
      const byId = new Map(batch.map(op => [op.id, op]))
      const done = answer.filter(r => r.status === 'accepted' || r.status === 'duplicate')
      await replica.acknowledge(done)
      settled += done.length
      const accepted = new Set<string>()
      for (const r of done) {
        const op = byId.get(r.id)
        if (op) accepted.add(op.space)
        this.restamped.delete(r.id)
      }
      if (accepted.size) this.deps.onAccepted(accepted)
      const drifted: Op[] = []
      const refused: { op: Op; error: ErrorInfo }[] = []
      for (const r of answer) {
        const op = byId.get(r.id)
        if (r.status !== 'rejected' || !op) continue
        if (r.error?.code === 'drift') drifted.push(op)
        else refused.push({ op, error: r.error ?? { code: 'malformed', message: 'rejected' } })
      }
      settled += refused.length + drifted.length
      await this.remove(refused)
      if (drifted.length) await this.restamp(drifted)
      this.deps.status.set({ pendingOps: replica.pendingCount })
    }
    return settled
  }

  private async remove(refused: { op: Op; error: ErrorInfo }[]): Promise<void> {
    for (const [space, ops] of groupBySpace(refused.map(r => r.op))) {
      const ids = ops.map(op => op.id)
      await this.deps.spaces.run(space, () => this.deps.replica.remove(space, ids))
    }
    for (const { op, error } of refused) {
      this.deps.status.emit({ type: 'op-rejected', op, error: new SynclineError(error.code, error.message) })
    }
  }

  private async restamp(drifted: Op[]): Promise<void> {
    const { replica } = this.deps
    if (drifted.some(op => this.restamped.has(op.id))) {
      // Rejected again after a re-stamp: the skew estimate is still settling.
      await sleep(this.deps.io.timers, this.deps.backoff.next())
    }
    const todo = new Map(drifted.map(op => [op.id, op]))
    if (await replica.rewindClock()) {
      // Every pending op stamped by the clock that ran ahead would be rejected too (those
      // another push carries get their own answer, and are re-stamped from it).
      const limit = this.deps.io.wallNs() + replica.skew.offsetNs + replica.clock.maxDriftNs
      for (const op of replica.pendingOps()) {
        const ahead = parseHlc(op.hlc)!.time > limit
        if (ahead && !this.queued.has(op.id) && !this.sending.has(op.id)) todo.set(op.id, op)
      }
    }
    const ordered = [...todo.values()].sort((a, b) => (a.hlc < b.hlc ? -1 : a.hlc > b.hlc ? 1 : 0))
    // One batch per space (in hlc order within it): one commit and one log read each.
    for (const ops of groupBySpace(ordered).values()) {
      for (const op of ops) this.restamped.delete(op.id)
      const fresh = await this.deps.spaces.run(ops[0]!.space, () => replica.restampAll(ops))
      fresh.forEach((op, i) => {
        this.restamped.add(op.id)
        this.deps.status.emit({ type: 'op-restamped', op: ops[i]!, fresh: op })
      })
    }
  }
}
