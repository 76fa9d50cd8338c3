/**
 * The simulated server: the real `SyncService` over the real memory store (or, in a
 * share of seeds, the SQLite store on a temp file), answering the simulator's messages
 * the way the routes and the live hub answer HTTP requests and socket messages (the
 * route bodies are a few lines around the service; they are repeated here because the
 * routes need a socket). A crash-restart is a new service, client pool and cache over
 * the same store. The ledger is the simulator's own record of every `accepted` answer,
 * kept outside the server, which the end checks hold the store to.
 */
import { createVerifier, type Verifier } from '../../../src/core/ed25519.ts'
import { SynclineError } from '../../../src/core/errors.ts'
import { canonicalJson } from '../../../src/core/json.ts'
import { DEFAULT_OP_LIMITS, type Op } from '../../../src/core/op.ts'
import { descriptorId, extendSchema, type Schema } from '../../../src/core/schema.ts'
import {
  answerReconcile,
  parseReconcileRequest,
  type ReconcileServerSet,
  SetSummary,
} from '../../../src/core/sketch/index.ts'
import { formatHlc } from '../../../src/core/uhlc.ts'
import { createLogger } from '../../../server/log.ts'
import { nodeEd25519 } from '../../../server/node-ed25519.ts'
import { DEFAULT_LIMITS } from '../../../server/options.ts'
import { memoryStore } from '../../../server/store/memory-store.ts'
import { sqliteStore } from '../../../server/store/sqlite-store.ts'
import type { Store } from '../../../server/store/store.ts'
import { ClientPool } from '../../../server/sync/client-pool.ts'
import { toOp } from '../../../server/sync/op-rows.ts'
import { Pruner } from '../../../server/sync/pruner.ts'
import { type PushResult, SyncService } from '../../../server/sync/sync-service.ts'
import { type SeqOp, type ToReplica, type ToServer, wireCopy } from './messages.ts'
import { simVerifier } from './sim-crypto.ts'

const SERVER_CLOCK_ID = '5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E'
const log = createLogger({ level: 'silent' })
const NS_PER_MS = 1_000_000n

export interface ServerNodeOptions {
  /** Virtual time in ns. */
  nowNs: () => bigint
  /** A SQLite file to keep the store in; memory when absent. */
  sqlitePath?: string
  realCrypto: boolean
  staleAfterMs: number
  /** Ops per pull page (small, so paging happens). */
  pageLimit: number
  /** Ids per hash-exchange page. */
  idsPageLimit: number
  maxDriftNs: bigint
  /** Where live messages go: to replica `index`. */
  send(replica: number, body: ToReplica): void
  /** Reports a broken invariant. */
  problem(message: string): void
}

export class ServerNode {
  store!: Store
  service!: SyncService
  private pool!: ClientPool
  private readonly verifier: Verifier
  /** Replicas subscribed to live ops, by space (what the live hub holds per socket). */
  readonly subscribers = new Map<string, Set<number>>()
  /** Every op answered `accepted`, by id, with its seq. */
  readonly ledger = new Map<string, { seq: number; op: Op }>()
  /** The seq of every `accepted` answer, in answer order. */
  readonly acceptedSeqs: number[] = []
  restarts = 0
  /** Ops accepted again after pruning had deleted them. */
  reaccepted = 0

  constructor(private readonly options: ServerNodeOptions) {
    this.verifier = options.realCrypto ? createVerifier(nodeEd25519) : simVerifier
  }

  start(): void {
    const { options } = this
    this.store ??= options.sqlitePath
      ? sqliteStore(options.sqlitePath, { synchronous: 'normal' })
      : memoryStore()
    this.pool = new ClientPool(this.store, () => this.nowMs(), options.staleAfterMs)
    this.service = new SyncService({
      store: this.store,
      pool: this.pool,
      verifier: this.verifier,
      physicalNs: options.nowNs,
      maxDriftNs: options.maxDriftNs,
      opLimits: DEFAULT_OP_LIMITS,
      log,
    })
    this.service.onCommit(commit => {
      // The committed ops are the objects the service merged: each subscriber gets a copy.
      for (const replica of this.subscribers.get(commit.space) ?? []) {
        this.options.send(replica, { kind: 'live', space: commit.space, entries: wireCopy(commit.entries) })
      }
    })
  }

  /** Crash and restart: sockets and unflushed client-pool sightings are gone, the store stays. */
  async restart(): Promise<void> {
    this.restarts++
    this.subscribers.clear()
    if (this.options.sqlitePath) {
      await this.store.close()
      this.store = undefined as unknown as Store
    }
    this.start()
  }

  /** Drops a replica's socket: its subscriptions end. */
  disconnect(replica: number): void {
    for (const set of this.subscribers.values()) set.delete(replica)
  }

  /** What the schema PUT route does for a new space (PROTOCOL.md §5). */
  async registerSchema(space: string, schema: Schema): Promise<void> {
    await this.service.withSpaceLock(space, async () => {
      const next = extendSchema(await this.service.spaces.schemaOf(space), schema.values())
      if (!next.ok) throw new SynclineError(next.error.code, next.error.message)
      await this.store.putDescriptors(
        space,
        [...schema.values()].map(d => ({ id: descriptorId(d), name: d.name, json: canonicalJson(d) })),
      )
      const entry = await this.service.spaces.get(space)
      if (entry) {
        entry.schema = next.value
        entry.state.setSchema(next.value)
      }
    })
  }

  /** Prunes every space up to its client pool's horizon. */
  prune(): Promise<unknown> {
    return new Pruner(this.service, log).pruneAll()
  }

  serverTime(): string {
    return formatHlc(this.options.nowNs(), SERVER_CLOCK_ID)
  }

  /** Pushes as a device outside the simulated network (the rogue client). */
  async pushDirect(device: string, ops: readonly Op[]) {
    const results = await this.service.push(device, ops)
    await this.record(ops[0]!.space, ops, results)
    return results
  }

  /** Answers one message from replica `replica` (device `device`). */
  async handle(replica: number, device: string, body: ToServer): Promise<ToReplica | undefined> {
    const serverTime = this.serverTime()
    try {
      switch (body.kind) {
        case 'push': {
          const results = await this.service.push(device, body.ops)
          await this.record(body.ops[0]?.space ?? '', body.ops, results)
          return { kind: 'pushed', ref: body.ref, results, serverTime }
        }
        case 'pull': {
          const answer = await this.service.pull(device, body.space, {
            after: body.after,
            limit: this.options.pageLimit,
            liveOnly: body.live,
          })
          const { head, horizon } = answer.space
          return {
            kind: 'page',
            ref: body.ref,
            after: body.after,
            ops: answer.rows.map(row => ({ seq: row.seq, op: toOp(body.space, row) })),
            head,
            horizon,
            more: answer.more,
            resync: !body.live && body.after < horizon,
            serverTime,
          }
        }
        case 'reconcile':
          return {
            kind: 'reconciled',
            ref: body.ref,
            reply: await this.reconcile(device, body),
            serverTime,
          }
        case 'ids': {
          const ids: string[] = []
          for (let afterId: string | undefined; ;) {
            const page = await this.service.ids(body.space, { afterId, limit: this.options.idsPageLimit })
            ids.push(...page.ids)
            afterId = page.ids[page.ids.length - 1]
            if (!page.more || afterId === undefined) break
          }
          return { kind: 'ids', ref: body.ref, ids }
        }
        case 'fetch': {
          const { rows } = await this.service.fetch(body.space, body.ids)
          return {
            kind: 'fetched',
            ref: body.ref,
            ops: rows.map(row => ({ seq: row.seq, op: toOp(body.space, row) })),
          }
        }
        case 'subscribe':
          return await this.subscribe(replica, body)
      }
    } catch (error) {
      if (error instanceof SynclineError && error.code === 'not_found')
        return { kind: 'absent', ref: body.ref }
      throw error
    }
  }

  /** The live hub's subscribe: catch up from the cursor, then every commit; below the horizon, resync. */
  private async subscribe(
    replica: number,
    body: ToServer & { kind: 'subscribe' },
  ): Promise<ToReplica | undefined> {
    const info = await this.store.getSpace(body.space)
    if (!info) return undefined
    if (body.after < info.horizon) return { kind: 'resync', space: body.space }
    const entries: SeqOp[] = []
    for (let after = body.after; ;) {
      const page = await this.store.pull(body.space, { after, limit: 1000 })
      for (const row of page.rows) entries.push({ seq: row.seq, op: toOp(body.space, row) })
      if (!page.more || page.rows.length === 0) break
      after = page.rows[page.rows.length - 1]!.seq
    }
    let set = this.subscribers.get(body.space)
    if (!set) this.subscribers.set(body.space, (set = new Set()))
    set.add(replica)
    return { kind: 'live', space: body.space, entries }
  }

  /** The reconcile route's body (server/routes/reconcile-route.ts). */
  private async reconcile(device: string, body: ToServer & { kind: 'reconcile' }): Promise<unknown> {
    const cap = DEFAULT_LIMITS.maxSketchCells
    const parsed = parseReconcileRequest(body.request, { cap })
    if (!parsed.ok) throw new SynclineError(parsed.error.code, parsed.error.message)
    const request = parsed.value
    const entry = await this.service.spaces.get(body.space)
    if (!entry) throw new SynclineError('not_found', 'no such space')
    this.service.pool.seen(body.space, device)
    let summary = entry.live
    if (request.setId !== summary.id && request.sketch.cells >= summary.cells && cap > summary.cells) {
      summary = SetSummary.ofIds(
        [...entry.state.liveOps()].map(op => op.id),
        cap,
      )
    }
    const set: ReconcileServerSet = { summary, has: id => entry.state.isLive(id) }
    const answer = answerReconcile(request, set, { cap })
    if (answer.status !== 'diff') return answer
    const ops: Op[] = await this.service.liveOps(body.space, answer.clientLacks)
    return { status: 'diff', serverLacks: answer.serverLacks, ops }
  }

  /**
   * Notes `accepted` answers. An op answered `accepted` again must not be held twice:
   * the store answers `duplicate` for what it holds, but an op pruned as superseded is
   * no longer held, and its device re-pushing it (its acknowledgement was lost) gets a
   * second seq for it (counted in `reaccepted`).
   */
  private async record(space: string, ops: readonly Op[], results: readonly PushResult[]): Promise<void> {
    for (const [i, r] of results.entries()) {
      if (r.status !== 'accepted') continue
      this.acceptedSeqs.push(r.seq!)
      const earlier = this.ledger.get(r.id)
      this.ledger.set(r.id, { seq: r.seq!, op: ops[i]! })
      if (!earlier) continue
      const held = await this.store.getOps(space, [r.id])
      if (held.length !== 1 || held[0]!.seq !== r.seq) {
        this.options.problem(
          `op ${r.id.slice(0, 12)} answered accepted twice (seqs ${earlier.seq}, ${r.seq})`,
        )
      }
      this.reaccepted++
    }
  }

  private nowMs(): number {
    return Number(this.options.nowNs() / NS_PER_MS)
  }
}
