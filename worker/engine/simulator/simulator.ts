/**
 * The deterministic convergence simulator (TARGETS.md, reliability): five replicas and
 * a server in one process, on virtual time, with one seeded generator deciding
 * everything: who acts, what they write, which message arrives next, and every fault
 * (partitions, reordering, duplication, lost messages, socket drops, replica and
 * server crash-restarts, clock skew within and beyond maxDrift, pruning). At the end
 * every link heals, sync rounds run until nothing changes, and `checks.ts` holds the
 * replicas and the server to the convergence and durability properties.
 *
 * A seed replays exactly: there are no real timers, no real network and no ambient
 * randomness; each event runs to completion before the next is drawn.
 */
import type { Op } from '../../../src/core/op.ts'
import { DEFAULT_MAX_DRIFT_NS, NS_PER_MS } from '../../../src/core/uhlc.ts'
import { SIM_SCHEMA, validWrite } from './actions.ts'
import { finalChecks, reopenDiffers } from './checks.ts'
import { describe } from './messages.ts'
import { type Delivery, type Faults, Network, NO_FAULTS } from './network.ts'
import { Rng } from './prng.ts'
import { Rogue, type RogueOutcome } from './rogue.ts'
import { ReplicaNode } from './sim-replica.ts'
import { ServerNode } from './sim-server.ts'

export const REPLICAS = 5
const START_NS = 1_795_000_000_000n * NS_PER_MS
const MINUTE_NS = 60_000n * NS_PER_MS
const QUIESCE_ROUNDS = 30
const MAX_DELIVERIES = 50_000

export interface SimOptions {
  /** Keep a trace of every event (for replaying a failing seed). */
  trace?: boolean
  /** A directory for the SQLite file of the seeds that use one; memory store only when absent. */
  sqliteDir?: string
}

export interface SeedReport {
  seed: number
  failures: string[]
  trace: string[]
  stats: Record<string, number | string>
}

/** Runs one seed and reports what broke (nothing, when `failures` is empty). */
export async function runSeed(seed: number, options: SimOptions = {}): Promise<SeedReport> {
  const world = new World(seed, options)
  try {
    await world.run()
  } catch (error) {
    world.failures.push(`threw: ${(error as Error)?.stack ?? String(error)}`)
  } finally {
    await world.close()
  }
  return { seed, failures: world.failures, trace: world.trace, stats: world.stats() }
}

class World {
  readonly rng: Rng
  readonly failures: string[] = []
  readonly trace: string[] = []
  nowNs = START_NS
  readonly net = new Network(REPLICAS)
  readonly server: ServerNode
  readonly nodes: ReplicaNode[] = []
  space = ''
  readonly faults: Faults
  readonly steps: number
  readonly realCrypto: boolean
  readonly sqlitePath: string | undefined
  private rogue!: Rogue
  private readonly counts: Record<string, number> = {}

  constructor(
    readonly seed: number,
    private readonly options: SimOptions,
  ) {
    const rng = (this.rng = new Rng(seed))
    this.steps = rng.range(30, 70)
    this.realCrypto = rng.chance(0.03)
    this.sqlitePath =
      options.sqliteDir && rng.chance(0.05) ? `${options.sqliteDir}/sim-${seed}.sqlite` : undefined
    this.faults = {
      reorder: rng.pick([0, 0.2, 0.6]),
      duplicate: rng.pick([0, 0.05, 0.2]),
      drop: rng.pick([0, 0.05, 0.15]),
    }
    const summaryCells = rng.pick([8, 64, 256, 1024])
    this.server = new ServerNode({
      nowNs: () => this.nowNs,
      sqlitePath: this.sqlitePath,
      realCrypto: this.realCrypto,
      staleAfterMs: rng.chance(0.5) ? 30 * 24 * 3_600_000 : rng.range(2, 30) * 60_000,
      pageLimit: rng.range(2, 40),
      idsPageLimit: rng.range(3, 50),
      maxDriftNs: DEFAULT_MAX_DRIFT_NS,
      send: (replica, body) => this.net.toReplica(replica, this.nodes[replica]!.incarnation, body),
      problem: message => this.fail(message),
    })
    for (let index = 0; index < REPLICAS; index++) {
      const node = new ReplicaNode({
        index,
        rng,
        nowNs: () => this.nowNs,
        schema: SIM_SCHEMA,
        realCrypto: this.realCrypto,
        maxDriftNs: DEFAULT_MAX_DRIFT_NS,
        summaryCells,
        send: (replica, incarnation, body) => this.net.toServer(replica, incarnation, body),
        problem: message => this.fail(message),
      })
      node.skewNs = this.drawSkew()
      this.nodes.push(node)
    }
  }

  fail(message: string): void {
    this.failures.push(message)
    this.note(() => `FAIL ${message}`)
  }

  note(line: () => string): void {
    if (this.options.trace)
      this.trace.push(`${((this.nowNs - START_NS) / NS_PER_MS).toString().padStart(8)}ms ${line()}`)
  }

  stats(): Record<string, number | string> {
    return {
      steps: this.steps,
      store: this.sqlitePath ? 'sqlite' : 'memory',
      crypto: this.realCrypto ? 'ed25519' : 'simulated',
      ...this.counts,
      dropped: this.net.dropped,
      duplicated: this.net.duplicated,
      ...sum(this.nodes.map(node => node.counts)),
      serverOps: this.server.ledger.size,
      reaccepted: this.server.reaccepted,
    }
  }

  private count(event: string): void {
    this.counts[event] = (this.counts[event] ?? 0) + 1
  }

  async run(): Promise<void> {
    await this.setup()
    for (let step = 0; step < this.steps && this.failures.length === 0; step++) await this.step()
    if (this.failures.length) return
    if (await this.quiesce()) this.failures.push(...(await finalChecks(this)))
  }

  async close(): Promise<void> {
    if (this.sqlitePath) {
      await this.server.store?.close()
      const { rm } = await import('node:fs/promises')
      for (const suffix of ['', '-wal', '-shm']) await rm(`${this.sqlitePath}${suffix}`, { force: true })
    }
  }

  private drawSkew(): bigint {
    const ms = (lo: number, hi: number) => BigInt(this.rng.range(lo, hi)) * NS_PER_MS
    switch (this.rng.weighted({ none: 4, small: 3, ahead: 2, behind: 1 })) {
      case 'none':
        return 0n
      case 'small':
        return this.rng.chance(0.5) ? ms(0, 80) : -ms(0, 80)
      case 'ahead':
        return ms(150, 20_000)
      case 'behind':
        return -ms(1_000, 120_000)
    }
  }

  private async setup(): Promise<void> {
    this.server.start()
    for (const node of this.nodes) await node.open()
    const rogueSeed = this.rng.bytes(32)
    this.space = await this.nodes[0]!.replica.createSpace()
    this.rogue = await Rogue.create(rogueSeed, this.realCrypto, this.server, this.space)
    await this.server.registerSchema(this.space, SIM_SCHEMA)
    for (const node of this.nodes) node.spaces.add(this.space)
    this.note(
      () =>
        `space ${this.space}; faults ${JSON.stringify(this.faults)}; skews ${this.nodes.map(n => n.skewNs / NS_PER_MS).join(',')}ms`,
    )
  }

  private async step(): Promise<void> {
    const { rng, net } = this
    this.nowNs += BigInt(rng.range(0, 300)) * NS_PER_MS
    if (rng.chance(0.02)) this.nowNs += BigInt(rng.range(1, 40)) * MINUTE_NS
    net.tick()
    const event = rng.weighted({
      write: 30,
      refused: 3,
      deliver: 40,
      round: 12,
      partition: 3,
      socketDrop: 2,
      replicaCrash: 2.5,
      serverCrash: 1,
      prune: 2.5,
      rogue: 2,
      clockStep: 1,
    })
    this.count(event)
    const node = rng.pick(this.nodes)
    switch (event) {
      case 'write':
        return this.write(node)
      case 'refused': {
        const other = this.nodes[(node.index + 1) % REPLICAS]!.replica.device
        return this.rogueAction(this.rogue.refused(rng, this.nowNs, node, other))
      }
      case 'deliver':
        for (let n = rng.range(1, 8); n > 0; n--) {
          const delivery = net.take(rng, this.faults)
          if (!delivery) break
          await this.deliver(delivery)
        }
        return
      case 'round':
        this.note(() => `r${node.index} round`)
        return node.round()
      case 'partition': {
        const steps = rng.range(3, 40)
        this.note(() => `r${node.index} partitioned for ${steps} steps`)
        net.partition(node.index, steps)
        return this.disconnect(node)
      }
      case 'socketDrop':
        this.note(() => `r${node.index} socket dropped`)
        return this.disconnect(node)
      case 'replicaCrash':
        return this.crashReplica(node)
      case 'serverCrash':
        this.note(() => 'server crash-restart')
        await this.server.restart()
        net.dropRequests()
        for (const n of this.nodes) n.connected = false
        return
      case 'prune':
        this.note(() => 'prune')
        await this.server.prune()
        return
      case 'rogue':
        return this.rogueAction(this.rogue.push(rng, this.nowNs))
      case 'clockStep':
        node.skewNs = this.drawSkew()
        this.note(() => `r${node.index} clock skew now ${node.skewNs / NS_PER_MS}ms`)
        return
    }
  }

  private disconnect(node: ReplicaNode): void {
    node.connected = false
    this.server.disconnect(node.index)
  }

  private async write(node: ReplicaNode): Promise<void> {
    const w = validWrite(this.rng, node.replica.device)
    const op = await node.write(this.space, w.collection, w.record, w.action, w.fields)
    this.note(
      () =>
        `r${node.index} wrote ${op.id.slice(0, 8)} ${w.action} ${w.collection}/${w.record.slice(-6)} ${JSON.stringify(w.fields ?? null)}`,
    )
  }

  private async rogueAction(outcome: Promise<RogueOutcome>): Promise<void> {
    const { line, problem } = await outcome
    this.note(() => line)
    if (problem) this.fail(problem)
  }

  private async crashReplica(node: ReplicaNode): Promise<void> {
    const { rng } = this
    const mode = rng.weighted({ clean: 2, midWrite: 1, midMessage: 1 })
    const commitsLeft = rng.int(3)
    let inflight: (() => Promise<unknown>) | undefined
    if (mode === 'midWrite') {
      const w = validWrite(rng, node.replica.device)
      inflight = () => node.write(this.space, w.collection, w.record, w.action, w.fields)
    } else if (mode === 'midMessage' && this.net.down[node.index]!.length) {
      const queue = this.net.down[node.index]!
      const [envelope] = queue.splice(rng.int(queue.length), 1)
      if (envelope!.incarnation === node.incarnation) inflight = () => node.receive(envelope!.body)
    }
    this.note(() => `r${node.index} crash ${mode} after ${commitsLeft} commits`)
    this.net.dropReplies(node.index)
    this.server.disconnect(node.index)
    if (mode === 'clean') {
      // Nothing in flight: everything it shows and holds pending was durable.
      await node.crash(0)
      const differs = await reopenDiffers(node, this.space)
      if (differs) this.fail(differs)
    } else {
      await node.crash(commitsLeft, inflight)
      await node.open()
    }
    for (const id of node.acked.keys()) {
      if (!this.heldSomewhere(node, id))
        this.fail(`r${node.index} lost acknowledged write ${id.slice(0, 12)} in a crash`)
    }
  }

  /** An acknowledged write survives as a pending op or on the server (itself or its re-stamp). */
  private heldSomewhere(node: ReplicaNode, id: string): boolean {
    const pending = node.replica.pendingOps()
    const ids = new Set(pending.map(op => op.id))
    const effective = followRestamps(node, id)
    if (ids.has(effective) || this.server.ledger.has(effective)) return true
    const original = node.acked.get(id)!
    const candidates = [...pending, ...[...this.server.ledger.values()].map(e => e.op)]
    return candidates.some(op => isRestampOf(op, original))
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const node = this.nodes[delivery.envelope.replica]!
    if (delivery.to === 'server') {
      const { body, incarnation } = delivery.envelope
      this.note(() => `r${node.index} -> server: ${describe(body)}`)
      const answer = await this.server.handle(node.index, node.replica.device, body)
      if (answer) this.net.toReplica(node.index, incarnation, answer)
      return
    }
    const { body, incarnation } = delivery.envelope
    if (incarnation !== node.incarnation) return
    this.note(() => `server -> r${node.index}: ${describe(body)}`)
    await node.receive(body)
  }

  /**
   * Heals every link and runs sync rounds over a fault-free network until nothing
   * changes. Every replica reconnects in the first round (so it runs a reconcile round),
   * and again in later rounds while its live set differs from the server's.
   */
  private async quiesce(): Promise<boolean> {
    this.net.heal()
    for (let round = 0; round < QUIESCE_ROUNDS; round++) {
      const entry = await this.server.service.spaces.get(this.space)
      for (const node of this.nodes) {
        if (round === 0 || node.replica.summary(this.space).id !== entry?.live.id) this.disconnect(node)
        node.round()
      }
      for (let n = 0; ; n++) {
        const delivery = this.net.take(this.rng, NO_FAULTS)
        if (!delivery) break
        if (n > MAX_DELIVERIES) {
          this.fail('the network never went quiet (a message storm)')
          return false
        }
        await this.deliver(delivery)
        if (this.failures.length) return false
      }
      this.nowNs += BigInt(this.rng.range(1, 50)) * NS_PER_MS
      if (await this.quiet()) return true
    }
    this.fail(`not quiescent after ${QUIESCE_ROUNDS} fault-free rounds`)
    return false
  }

  private async quiet(): Promise<boolean> {
    const info = await this.server.store.getSpace(this.space)
    const entry = await this.server.service.spaces.get(this.space)
    if (!info || !entry) return false
    return this.nodes.every(
      node =>
        node.replica.pendingCount === 0 &&
        node.replica.cursor(this.space) === info.head &&
        node.replica.summary(this.space).id === entry.live.id,
    )
  }
}

export function followRestamps(node: ReplicaNode, id: string): string {
  let current = id
  for (let i = 0; i < 1000 && node.restamps.has(current); i++) current = node.restamps.get(current)!
  return current
}

/**
 * Whether `op` is `original` stamped again: same change, later hlc. A crash inside
 * a re-stamp leaves no event, so the end checks recognise the change by content.
 */
export function isRestampOf(op: Op, original: Op): boolean {
  return (
    op.hlc > original.hlc &&
    op.author === original.author &&
    op.collection === original.collection &&
    op.record === original.record &&
    op.action === original.action &&
    JSON.stringify(op.fields) === JSON.stringify(original.fields)
  )
}

function sum(records: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const record of records) for (const [key, n] of Object.entries(record)) out[key] = (out[key] ?? 0) + n
  return out
}
