/**
 * A simulated device: the engine's real `Replica` on a crashable memory log, driven
 * through the steps of the sync loop (`sync/sync-loop.ts`) one message at a time.
 *
 * Why not the sync loop itself: it runs on `fetch`, a WebSocket and timers, one HTTP
 * request at a time, and it would need the whole HTTP server (sessions, routes) to talk
 * to. The simulator needs every message to be a separate event it can delay, reorder,
 * duplicate or lose, on virtual time, within ~30 ms per seed. So this class sends the
 * requests the loop sends (push, pull / snapshot / resync, subscribe, reconcile, hash
 * exchange) and handles each answer as the loop's code does (`pull.ts`, `reconcile.ts`,
 * `SyncLoopImpl.liveOps`); push answers go through the loop's real `Pusher`
 * (acknowledge, drift re-stamp with clock rewind, removal of refused ops).
 */
import { SynclineError } from '../../../src/core/errors.ts'
import type { JsonObject } from '../../../src/core/json.ts'
import type { Action, Op } from '../../../src/core/op.ts'
import type { Schema } from '../../../src/core/schema.ts'
import {
  buildReconcileRequest,
  nextReconcileStep,
  parseReconcileReply,
} from '../../../src/core/sketch/index.ts'
import { parseHlc } from '../../../src/core/uhlc.ts'
import { nodeEd25519 } from '../../../server/node-ed25519.ts'
import { MemoryStore } from '../memory-oplog.ts'
import { Replica } from '../replica.ts'
import { createBackoff } from '../sync/backoff.ts'
import type { SyncIo } from '../sync/io.ts'
import { MAX_PUSH_OPS, Pusher, type PushResult } from '../sync/push.ts'
import { KeyedQueue } from '../sync/serial.ts'
import { StatusHub } from '../sync/status.ts'
import { CrashLog } from './crash-log.ts'
import type { SeqOp, ToReplica, ToServer } from './messages.ts'
import type { Rng } from './prng.ts'
import { simEd25519 } from './sim-crypto.ts'

/** Ids per fetch request, as the loop's hash exchange. */
const FETCH_IDS = 1000

export interface ReplicaNodeOptions {
  index: number
  rng: Rng
  nowNs: () => bigint
  schema: Schema
  realCrypto: boolean
  maxDriftNs: bigint
  summaryCells: number
  send(replica: number, incarnation: number, body: ToServer): void
  problem(message: string): void
}

/** Distributes ToServer over its kinds, so a request can be built without its ref and stamp. */
type Unstamped<T> = T extends unknown ? Omit<T, 'ref' | 'sentNs'> : never

/** A request of one kind, as sent. */
type Sent<K extends ToServer['kind']> = ToServer & { kind: K }

export class ReplicaNode {
  /** What survives a crash: the replica's IndexedDB. */
  readonly disk = new MemoryStore()
  replica!: Replica
  private log!: CrashLog
  private pusher!: Pusher
  /** Which life of the device this is: answers to an earlier one are not delivered. */
  incarnation = 0
  /** Whether it holds a live socket (subscribed). */
  connected = false
  /** How far its wall clock is off the server's, ns. */
  skewNs = 0n
  /** Ops whose write resolved in the app: each must reach the server. */
  readonly acked = new Map<string, Op>()
  /** Re-stamped ops: old id to fresh id. */
  readonly restamps = new Map<string, string>()
  /** Spaces it syncs besides the ones it holds (opened by id). */
  readonly spaces = new Set<string>()
  /** How often the rarer paths ran, for the seed's stats. */
  readonly counts: Record<string, number> = {}
  /** What this incarnation sent, by ref: answers are matched to their requests. */
  private sent = new Map<number, ToServer>()
  /** The results the Pusher's transport hands back (set just before each `pushOps`). */
  private answer: PushResult[] = []

  constructor(private readonly options: ReplicaNodeOptions) {}

  readonly wallNs = (): bigint => this.options.nowNs() + this.skewNs

  get index(): number {
    return this.options.index
  }

  /** Opens (or, after a crash, reopens) the replica from its disk. */
  async open(): Promise<void> {
    const { options } = this
    this.log = new CrashLog(this.disk)
    this.replica = await Replica.open({
      log: this.log,
      schema: options.schema,
      backend: options.realCrypto ? nodeEd25519 : simEd25519,
      wallNs: this.wallNs,
      random: n => options.rng.bytes(n),
      maxDriftNs: options.maxDriftNs,
      summaryCells: options.summaryCells,
    })
    const hub = new StatusHub()
    hub.onEvent(event => {
      if (event.type === 'op-restamped') {
        this.restamps.set(event.op.id, event.fresh.id)
        this.count('restamp')
      }
      // Every op the simulated app writes is valid, and ops from the server were valid there.
      else
        this.options.problem(
          `replica ${this.index}: op ${event.op.id.slice(0, 12)} was taken out: ${event.error.code}`,
        )
    })
    const random = () => options.rng.float()
    // The Pusher uses the wall clock, timers and randomness of its io; no fetch, no socket.
    const io: SyncIo = {
      fetch: () => Promise.reject(new Error('the simulator has no fetch')),
      WebSocket: undefined as unknown as SyncIo['WebSocket'],
      wallNs: this.wallNs,
      // Virtual time: a back-off wait is over at once.
      timers: { setTimeout: callback => queueMicrotask(callback), clearTimeout: () => undefined },
      random,
    }
    this.pusher = new Pusher({
      replica: this.replica,
      transport: async () => this.answer,
      ensureSchema: async () => undefined,
      spaces: new KeyedQueue(),
      status: hub,
      io,
      backoff: createBackoff({ minMs: 1, maxMs: 10, random }),
      onAccepted: () => undefined,
    })
    this.incarnation++
    this.sent = new Map()
    this.connected = false
  }

  /** A write by the app; resolves with the op once durable (and counts it as acknowledged). */
  async write(space: string, collection: string, record: string, action: Action, fields?: JsonObject) {
    const op = await this.replica.write(space, collection, record, action, fields)
    this.acked.set(op.id, op)
    return op
  }

  /** A write the app must see refused; returns the error code. */
  async refusedWrite(space: string, collection: string, record: string, action: Action, fields?: JsonObject) {
    try {
      await this.replica.write(space, collection, record, action, fields)
    } catch (error) {
      if (error instanceof SynclineError) return error.code
      throw error
    }
    return 'accepted'
  }

  allSpaces(): string[] {
    return [...new Set([...this.replica.spaceIds(), ...this.spaces])].sort()
  }

  /**
   * One round of the loop (`cycle`): push the pending ops, pull every space from its
   * cursor (a live snapshot from cursor 0), and when no socket is up, connect:
   * subscribe from the cursors and run one reconcile round per space.
   */
  round(): void {
    const pending = this.replica.pendingOps()
    if (pending.length) this.send({ kind: 'push', ops: pending.slice(0, MAX_PUSH_OPS) })
    for (const space of this.allSpaces()) this.pull(space)
    if (this.connected) return
    this.connected = true
    for (const space of this.allSpaces()) {
      this.send({ kind: 'subscribe', space, after: this.replica.cursor(space) })
      this.send({ kind: 'reconcile', space, request: buildReconcileRequest(this.replica.summary(space)) })
    }
  }

  /** Handles one message from the server. */
  async receive(body: ToReplica): Promise<void> {
    if (body.kind === 'live') return this.live(body.space, body.entries)
    // The live hub found the cursor below the horizon: the pull says resync too.
    if (body.kind === 'resync') return this.pull(body.space)
    const request = this.sent.get(body.ref)
    if (!request) throw new Error(`an answer to request ${body.ref}, which this replica never sent`)
    if ('serverTime' in body) this.sampleSkew(request.sentNs, body.serverTime)
    switch (body.kind) {
      case 'pushed':
        return this.pushed(request as Sent<'push'>, body)
      case 'page':
        return this.page(request as Sent<'pull'>, body)
      case 'reconciled':
        return this.reconciled(request as Sent<'reconcile'>, body)
      case 'ids':
        return this.hashExchange((request as Sent<'ids'>).space, body.ids)
      case 'fetched':
        return this.applyOps((request as Sent<'fetch'>).space, body.ops)
      case 'absent':
        return
    }
  }

  /**
   * Dies, at a commit boundary: `commitsLeft` more commits land, then the process is
   * gone; `inflight` (a write, a message being handled) runs until then. Call `open`
   * to restart it from its disk.
   */
  async crash(commitsLeft: number, inflight?: () => Promise<unknown>): Promise<void> {
    this.log.commitsLeft = commitsLeft
    void inflight?.().catch(() => undefined)
    // Everything in flight is promises on this replica's memory log: one macrotask turn
    // runs them to where they wait for nothing or for a commit the dead log refuses.
    await new Promise(resolve => setImmediate(resolve))
    this.log.commitsLeft = 0
    await new Promise(resolve => setImmediate(resolve))
    this.connected = false
  }

  private count(event: string): void {
    this.counts[event] = (this.counts[event] ?? 0) + 1
  }

  private send(body: Unstamped<ToServer>): void {
    const request = { ...body, ref: this.sent.size + 1, sentNs: this.wallNs().toString() } as ToServer
    this.sent.set(request.ref, request)
    this.options.send(this.index, this.incarnation, request)
  }

  private pull(space: string): void {
    const after = this.replica.cursor(space)
    this.send({ kind: 'pull', space, after, live: after === 0 })
  }

  private sampleSkew(sentNs: string, serverTime: string): void {
    const server = parseHlc(serverTime)
    if (server)
      this.replica.skew.add({ sentNs: BigInt(sentNs), receivedNs: this.wallNs(), serverNs: server.time })
  }

  /**
   * Push results go through the loop's Pusher. A drift verdict on an op that is no
   * longer pending is an answer to an earlier request the loop would have given up on
   * (a timed-out fetch never resolves): re-stamping it again would write the change twice.
   */
  private async pushed(request: Sent<'push'>, body: ToReplica & { kind: 'pushed' }): Promise<void> {
    const pending = new Set(this.replica.pendingOps().map(op => op.id))
    this.answer = body.results.filter(
      r => r.status !== 'rejected' || r.error?.code !== 'drift' || pending.has(r.id),
    )
    await this.pusher.pushOps(request.ops)
  }

  /** `pullSpace` and `readSnapshot` (sync/pull.ts), one page per message. */
  private async page(request: Sent<'pull'>, body: ToReplica & { kind: 'page' }): Promise<void> {
    const { space, after, live } = request
    if (body.resync) this.count('resync')
    if (body.resync) return this.send({ kind: 'pull', space, after: this.replica.cursor(space), live: true })
    const last = body.ops[body.ops.length - 1]?.seq
    // The last snapshot page covers every live op up to the head it was read at.
    const cursor = live ? (body.more ? (last ?? after) : Math.max(last ?? after, body.head)) : last
    if (body.ops.length || (cursor !== undefined && cursor > this.replica.cursor(space))) {
      await this.replica.applyRemote(
        space,
        body.ops.map(e => e.op),
        cursor,
      )
    }
    if (body.more) this.send({ kind: 'pull', space, after: last ?? after, live })
  }

  /** `SyncLoopImpl.liveOps`: a cursor moves only over a gapless run; a gap asks for a pull. */
  private async live(space: string, entries: SeqOp[]): Promise<void> {
    const cursor = this.replica.cursor(space)
    const fresh = entries.filter(e => e.seq > cursor)
    if (fresh.length === 0) return
    const contiguous = fresh[0]!.seq === cursor + 1
    await this.replica.applyRemote(
      space,
      fresh.map(e => e.op),
      contiguous ? fresh[fresh.length - 1]!.seq : undefined,
    )
    if (!contiguous) {
      this.count('liveGap')
      this.pull(space)
    }
  }

  /** `reconcileSpace` (sync/reconcile.ts), one round trip per message. */
  private async reconciled(sent: Sent<'reconcile'>, body: ToReplica & { kind: 'reconciled' }): Promise<void> {
    const { space, request } = sent
    const reply = parseReconcileReply(body.reply)
    if (!reply.ok) return this.options.problem(`reconcile answer refused: ${reply.error.message}`)
    const summary = this.replica.summary(space)
    const step = nextReconcileStep(reply.value, summary, request.cells)
    switch (step.action) {
      case 'done':
        return
      case 'apply': {
        const ops = step.ops as Op[]
        if (ops.length) await this.replica.applyRemote(space, ops)
        const lacking = step.serverLacks
          .map(id => this.replica.liveOp(space, id))
          .filter(op => op !== undefined)
        if (lacking.length) this.send({ kind: 'push', ops: lacking })
        return
      }
      case 'retry':
        return this.send({ kind: 'reconcile', space, request: step.request })
      case 'fallback':
        this.count('hashExchange')
        return this.send({ kind: 'ids', space })
    }
  }

  /** The fallback: fetch the live ops missing here, push the ones missing there. */
  private hashExchange(space: string, serverIds: string[]): void {
    const local = this.replica.liveOps(space)
    const localIds = new Set(local.map(op => op.id))
    const server = new Set(serverIds)
    const lacking = serverIds.filter(id => !localIds.has(id))
    for (let i = 0; i < lacking.length; i += FETCH_IDS) {
      this.send({ kind: 'fetch', space, ids: lacking.slice(i, i + FETCH_IDS) })
    }
    const serverLacks = local.filter(op => !server.has(op.id))
    if (serverLacks.length) this.send({ kind: 'push', ops: serverLacks })
  }

  private async applyOps(space: string, entries: SeqOp[]): Promise<void> {
    if (entries.length)
      await this.replica.applyRemote(
        space,
        entries.map(e => e.op),
      )
  }
}
