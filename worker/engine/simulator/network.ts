/**
 * The simulated network: per replica, one queue towards the server and one back.
 * Faults are drawn from the seed's generator: a delivery may take any queued message
 * rather than the oldest (reordering), leave a copy behind (duplication) or lose it;
 * a partition cuts a replica's link both ways and loses what was in flight on it.
 */
import type { Rng } from './prng.ts'
import { type Envelope, type ToReplica, type ToServer, wireCopy } from './messages.ts'

export interface Faults {
  reorder: number
  duplicate: number
  drop: number
}

export const NO_FAULTS: Faults = { reorder: 0, duplicate: 0, drop: 0 }

export type Delivery =
  { to: 'server'; envelope: Envelope<ToServer> } | { to: 'replica'; envelope: Envelope<ToReplica> }

export class Network {
  readonly up: Envelope<ToServer>[][]
  readonly down: Envelope<ToReplica>[][]
  /** Steps each link stays cut; 0 when up. */
  readonly cut: number[]
  private nextId = 1
  dropped = 0
  duplicated = 0

  constructor(replicas: number) {
    this.up = Array.from({ length: replicas }, () => [])
    this.down = Array.from({ length: replicas }, () => [])
    this.cut = new Array<number>(replicas).fill(0)
  }

  toServer(replica: number, incarnation: number, body: ToServer): void {
    if (this.cut[replica]) return void this.dropped++
    this.up[replica]!.push({ id: this.nextId++, replica, incarnation, body: wireCopy(body) })
  }

  /** Server messages are built from stored rows for each answer (`ServerNode`), so none needs a copy. */
  toReplica(replica: number, incarnation: number, body: ToReplica): void {
    if (this.cut[replica]) return void this.dropped++
    this.down[replica]!.push({ id: this.nextId++, replica, incarnation, body })
  }

  /** Cuts a replica's link for `steps` steps; what was in flight on it is lost. */
  partition(replica: number, steps: number): void {
    this.cut[replica] = Math.max(this.cut[replica]!, steps)
    this.dropped += this.up[replica]!.length + this.down[replica]!.length
    this.up[replica] = []
    this.down[replica] = []
  }

  /** Counts a step down on every cut link. */
  tick(): void {
    for (let i = 0; i < this.cut.length; i++) if (this.cut[i]! > 0) this.cut[i]!--
  }

  heal(): void {
    this.cut.fill(0)
  }

  /** Loses every request on its way to the server (the server crashed). */
  dropRequests(): void {
    for (let i = 0; i < this.up.length; i++) {
      this.dropped += this.up[i]!.length
      this.up[i] = []
    }
  }

  /** Loses what is on its way to one replica (it crashed). */
  dropReplies(replica: number): void {
    this.dropped += this.down[replica]!.length
    this.down[replica] = []
  }

  get inFlight(): number {
    let n = 0
    for (let i = 0; i < this.up.length; i++) n += this.up[i]!.length + this.down[i]!.length
    return n
  }

  /** Takes the next message to deliver, or undefined when nothing is in flight. */
  take(rng: Rng, faults: Faults): Delivery | undefined {
    const queues: { to: 'server' | 'replica'; queue: Envelope<ToServer | ToReplica>[] }[] = []
    for (let i = 0; i < this.up.length; i++) {
      if (this.up[i]!.length) queues.push({ to: 'server', queue: this.up[i]! })
      if (this.down[i]!.length) queues.push({ to: 'replica', queue: this.down[i]! })
    }
    for (;;) {
      if (queues.length === 0) return undefined
      const pickQueue = rng.int(queues.length)
      const { to, queue } = queues[pickQueue]!
      const index = rng.chance(faults.reorder) ? rng.int(queue.length) : 0
      const envelope = queue[index]!
      if (rng.chance(faults.duplicate)) {
        this.duplicated++
        // The same bytes twice: nothing mutates a received message, so the copy can share them.
        queue.push({ ...envelope, id: this.nextId++ })
      }
      queue.splice(index, 1)
      if (rng.chance(faults.drop)) {
        this.dropped++
        if (queue.length === 0) queues.splice(pickQueue, 1)
        continue
      }
      return { to, envelope } as Delivery
    }
  }
}
