/**
 * The sync loop of the leader tab's worker (ARCHITECTURE.md, flows): a session, push
 * of pending ops, pull of every space from its cursor (cold start from the live
 * snapshot), one live WebSocket with reconnect and backoff, and a reconcile round on
 * every (re)connect. While the socket is up, local writes are pushed over it and live
 * ops are applied as they come; when it is down, pushes go through `fetch` (which a
 * service worker may queue) and the loop retries with backoff until the server is back.
 *
 * Everything that changes a space's ops or cursor runs through one queue per space, so
 * a cursor only moves over ops that are stored: resuming from it after any drop loses
 * nothing. Ops from the server are checked for signatures in the background.
 */
import { lazyVerifier } from '../platform-ed25519.ts'
import { SynclineError } from '../../../src/core/errors.ts'
import type { Op } from '../../../src/core/op.ts'
import type { Replica } from '../replica.ts'
import { type Backoff, createBackoff } from './backoff.ts'
import { HttpClient, isNetworkError } from './http.ts'
import { defaultIo, sleep, type SyncIo } from './io.ts'
import { LiveSocket } from './live-socket.ts'
import { pullSpace, type PullDeps } from './pull.ts'
import { Pusher, type PushResult } from './push.ts'
import { reconcileSpace } from './reconcile.ts'
import { registerSchema } from './schema-sync.ts'
import { Coalesced, KeyedQueue } from './serial.ts'
import { StatusHub, type SyncEvent, type SyncStatus } from './status.ts'
import type { SyncLoop, SyncOptions } from './sync-api.ts'
import { BackgroundVerifier } from './verify.ts'

export type { SyncLoop, SyncOptions } from './sync-api.ts'

export function createSync(options: SyncOptions): SyncLoop {
  return new SyncLoopImpl(options)
}

class SyncLoopImpl implements SyncLoop {
  private readonly replica: Replica
  private readonly io: SyncIo
  private readonly hub = new StatusHub()
  private readonly http: HttpClient
  private readonly spaceQueue = new KeyedQueue()
  private readonly pusher: Pusher
  private readonly verifier: BackgroundVerifier
  private readonly backoff: Backoff
  private readonly pullDeps: PullDeps
  private readonly extraSpaces = new Set<string>()
  private readonly registered = new Set<string>()
  private readonly subscribed = new Set<string>()
  /** Spaces pulled at least once: only those go live (see `subscribeNew`). */
  private readonly pulled = new Set<string>()
  private readonly pushRun: Coalesced
  private readonly pullRun: Coalesced
  private readonly cycleRun: Coalesced
  private started = false
  private pushScheduled = false
  private socket: LiveSocket | undefined
  private timer: unknown
  private stopListening: (() => void) | undefined

  constructor(private readonly options: SyncOptions) {
    this.replica = options.replica
    this.io = defaultIo(options.io)
    for (const space of options.spaces ?? []) this.extraSpaces.add(space)
    this.http = new HttpClient({
      url: options.url.replace(/\/+$/, ''),
      replica: this.replica,
      io: this.io,
      requestTimeoutMs: options.requestTimeoutMs,
    })
    this.backoff = createBackoff({ ...options.backoff, random: this.io.random })
    this.verifier = new BackgroundVerifier(
      lazyVerifier(options.verifyBackend),
      (space, invalid) => this.dropInvalid(space, invalid),
      error => this.fail(error),
      this.io.timers,
    )
    this.pusher = new Pusher({
      replica: this.replica,
      transport: ops => this.transport(ops),
      ensureSchema: space => this.ensureSchema(space),
      spaces: this.spaceQueue,
      status: this.hub,
      io: this.io,
      backoff: createBackoff({ ...options.backoff, random: this.io.random }),
      onAccepted: spaces => this.subscribeNew(spaces),
    })
    this.pullDeps = {
      http: this.http,
      replica: this.replica,
      spaces: this.spaceQueue,
      status: this.hub,
      stored: (space, ops) => this.verifier.enqueue(space, ops),
      holdChecks: () => this.verifier.hold(),
      pageSize: options.pageSize ?? 1000,
      snapshotPageSize: options.snapshotPageSize ?? 5000,
      hashIds: options.hashIds,
      helperMinOps: options.helperMinOps,
    }
    this.pushRun = new Coalesced(() => this.pusher.pushPending())
    this.pullRun = new Coalesced(() => this.pullAll())
    this.cycleRun = new Coalesced(() => this.cycle())
    this.hub.set({ pendingOps: this.replica.pendingCount })
  }

  get status(): SyncStatus {
    return this.hub.status
  }

  subscribe(listener: (status: SyncStatus) => void): () => void {
    return this.hub.subscribe(listener)
  }

  onEvent(listener: (event: SyncEvent) => void): () => void {
    return this.hub.onEvent(listener)
  }

  addSpace(space: string): void {
    if (this.extraSpaces.has(space)) return
    this.extraSpaces.add(space)
    if (this.started) void this.cycleRun.run()
  }

  start(): void {
    if (this.started) return
    this.started = true
    // First among the listeners: a write is on its way to the server before it is shown.
    this.stopListening = this.replica.onChange(
      change => {
        // Offline too: a service worker may queue the push (a 202), and without one
        // the failed attempt only schedules the retry that would come anyway.
        if (change.source !== 'remote') this.pushSoon()
        this.hub.set({ pendingOps: this.replica.pendingCount })
      },
      { first: true },
    )
    void this.cycleRun.run()
  }

  async stop(): Promise<void> {
    this.started = false
    this.stopListening?.()
    this.stopListening = undefined
    this.io.timers.clearTimeout(this.timer)
    this.timer = undefined
    this.socket?.close()
    await this.cycleRun.settled()
  }

  async sync(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 30_000
    const deadline = this.nowMs() + timeoutMs
    const backoff = createBackoff({ ...this.options.backoff, random: this.io.random })
    for (;;) {
      let cause: unknown
      try {
        this.pusher.clearQueued()
        await this.pushRun.run()
        await this.pullRun.run()
        if (this.replica.pendingCount === 0) {
          this.synced()
          return
        }
        cause = new SynclineError('unavailable', `${this.replica.pendingCount} ops are not acknowledged yet`)
      } catch (error) {
        this.fail(error)
        if (!isNetworkError(error)) throw error
        cause = error
      }
      const left = deadline - this.nowMs()
      if (left <= 0) {
        throw new SynclineError('unavailable', `the server was not reached within ${timeoutMs} ms`, { cause })
      }
      await sleep(this.io.timers, Math.min(backoff.next(), left))
    }
  }

  verified(): Promise<void> {
    return this.verifier.idle()
  }

  // ---- the round: push, pull, connect, reconcile --------------------------------

  private async cycle(): Promise<void> {
    try {
      this.pusher.clearQueued()
      await this.pushRun.run()
      await this.pullRun.run()
      this.synced()
      if (this.started && !this.socket) await this.connect()
      // Spaces added while the socket was already up (a space opened by id) go live too.
      else this.subscribeNew(new Set(this.allSpaces()))
      this.backoff.reset()
    } catch (error) {
      this.fail(error)
      this.retryLater()
    }
  }

  private async pullAll(): Promise<void> {
    for (const space of this.allSpaces()) {
      await pullSpace(this.pullDeps, space)
      this.pulled.add(space)
    }
  }

  private async connect(): Promise<void> {
    const socket = new LiveSocket(
      await this.http.liveUrl(),
      this.io,
      this.replica,
      {
        ops: (space, entries) => this.liveOps(space, entries),
        resync: space => this.resync(socket, space),
        spaceError: space => this.subscribed.delete(space),
        error: error => this.fail(error),
        close: () => this.closed(socket),
      },
      this.options.pingIntervalMs ?? 15_000,
    )
    this.socket = socket
    // Refused before opening: the network is down, or the token expired. The session
    // is kept: the next round's HTTP requests log in again if the server says so, and
    // dropping it offline would leave no token for pushes a service worker can queue.
    await socket.opened
    if (!this.started || this.socket !== socket) return socket.close()
    this.hub.set({ connected: true })
    this.subscribeNew(new Set(this.allSpaces()))
    // What was pushed or pulled while the socket was down is covered by the cursors;
    // the reconcile round checks the live sets once per connection. A space never
    // pulled (one opened while the socket connected) is left to its snapshot: reconciled
    // from nothing, it would come op by op as JSON.
    for (const space of this.allSpaces()) {
      if (!this.pulled.has(space) && this.replica.cursor(space) === 0) continue
      if (this.socket !== socket) return
      const outcome = await reconcileSpace(
        {
          http: this.http,
          replica: this.replica,
          pusher: this.pusher,
          applyOps: (s, ops) => this.applyOps(s, ops),
        },
        space,
      )
      this.hub.set({ lastReconcile: { space, outcome, at: this.nowMs() } })
    }
  }

  private closed(socket: LiveSocket): void {
    if (this.socket !== socket) return
    this.socket = undefined
    this.subscribed.clear()
    this.hub.set({ connected: false })
    this.retryLater()
  }

  private retryLater(): void {
    if (!this.started || this.timer !== undefined) return
    this.timer = this.io.timers.setTimeout(() => {
      this.timer = undefined
      if (this.started) void this.cycleRun.run()
    }, this.backoff.next())
  }

  // ---- pushing --------------------------------------------------------------------

  private pushSoon(): void {
    // Over the open socket the first write of a turn leaves at once, not after the
    // answer to the one before. Writes committed with it (a burst shares one commit)
    // follow together a microtask later: a push per write sorted and sent the pending
    // set once for every write.
    if (this.pushScheduled) return
    this.pushScheduled = true
    const live = this.socket?.isOpen
    if (live) this.pushing(this.pusher.pushNew())
    queueMicrotask(() => {
      this.pushScheduled = false
      if (!live) this.pushing(this.pushRun.run())
      else if (this.socket?.isOpen) this.pushing(this.pusher.pushNew())
    })
  }

  private pushing(push: Promise<void>): void {
    push.catch(error => {
      this.fail(error)
      if (isNetworkError(error)) this.retryLater()
    })
  }

  /** Over the socket while it is open, else through fetch (which a service worker may queue). */
  private async transport(ops: Op[]): Promise<PushResult[] | 'queued'> {
    const socket = this.socket
    if (socket?.isOpen) {
      try {
        return await socket.push(ops)
      } catch (error) {
        if (!isNetworkError(error)) throw error
      }
    }
    const answer = await this.http.push<{ results: PushResult[] }>({ ops })
    if (answer.status === 202) return 'queued'
    return answer.body.results
  }

  private ensureSchema(space: string): Promise<void> | void {
    if (!this.registered.has(space)) return this.registerSchema(space)
  }

  private async registerSchema(space: string): Promise<void> {
    const conflicts = await registerSchema(this.http, space, this.replica.schema)
    this.registered.add(space)
    // The ops of a conflicting collection are rejected one by one and reported then.
    if (conflicts.length) this.hub.set({ error: conflicts[0]! })
  }

  // ---- ops from the server ------------------------------------------------------

  private subscribeNew(spaces: Set<string>): void {
    const socket = this.socket
    if (!socket?.isOpen) return
    // A space never pulled waits for its pull (the next round): subscribed from cursor 0,
    // the server would send its whole history over the socket, not the compact snapshot.
    const wanted = [...spaces].filter(
      space => !this.subscribed.has(space) && (this.pulled.has(space) || this.replica.cursor(space) > 0),
    )
    for (const space of wanted) this.subscribed.add(space)
    socket.subscribe(wanted.map(space => ({ space, after: this.replica.cursor(space) })))
  }

  private liveOps(space: string, entries: { seq: number; op: Op }[]): void {
    let stored: Op[] = []
    this.spaceQueue
      .run(space, async () => {
        const cursor = this.replica.cursor(space)
        const fresh = entries.filter(e => e.seq > cursor)
        if (fresh.length === 0) return
        // A cursor moves only over a gapless run from where it is.
        const contiguous = fresh[0]!.seq === cursor + 1
        stored = fresh.map(e => e.op)
        await this.replica.applyRemote(space, stored, contiguous ? fresh[fresh.length - 1]!.seq : undefined)
        if (!contiguous) this.pullSoon()
      })
      .then(() => this.verifier.enqueue(space, stored))
      .catch(error => this.fail(error))
  }

  private resync(socket: LiveSocket, space: string): void {
    this.subscribed.delete(space)
    pullSpace(this.pullDeps, space)
      .then(() => {
        this.pulled.add(space)
        if (this.socket === socket) this.subscribeNew(new Set([space]))
      })
      .catch(error => {
        this.fail(error)
        socket.close()
      })
  }

  private pullSoon(): void {
    this.pullRun.run().catch(error => this.fail(error))
  }

  private async applyOps(space: string, ops: Op[]): Promise<void> {
    if (ops.length === 0) return
    await this.spaceQueue.run(space, () => this.replica.applyRemote(space, ops))
    this.verifier.enqueue(space, ops)
  }

  private async dropInvalid(space: string, invalid: { op: Op; error: SynclineError }[]): Promise<void> {
    await this.spaceQueue.run(space, () =>
      this.replica.remove(
        space,
        invalid.map(i => i.op.id),
      ),
    )
    for (const { op, error } of invalid) this.hub.emit({ type: 'op-invalid', op, error })
  }

  // ---- status -----------------------------------------------------------------------

  private allSpaces(): string[] {
    return [...new Set([...this.replica.spaceIds(), ...this.extraSpaces])]
  }

  private synced(): void {
    this.hub.set({
      online: true,
      error: null,
      lastSyncedAt: this.nowMs(),
      pendingOps: this.replica.pendingCount,
    })
  }

  private fail(error: unknown): void {
    const coded =
      error instanceof SynclineError
        ? error
        : new SynclineError('unavailable', String((error as Error)?.message ?? error), { cause: error })
    this.hub.set({
      error: coded,
      pendingOps: this.replica.pendingCount,
      ...(isNetworkError(error) ? { online: false } : {}),
    })
  }

  private nowMs(): number {
    return Number(this.io.wallNs() / 1_000_000n)
  }
}
