/**
 * `WS /v1/live` (PROTOCOL.md §7): subscriptions from cursors, ops as they are
 * committed, ping/pong, and push over the socket.
 *
 * Each subscription has a cursor. A commit that continues a subscriber's cursor is
 * sent at once, serialised once for all subscribers; a subscriber that is behind
 * (just subscribed, or missed a commit while catching up) is caught up from the
 * store page by page until it reaches the head, so nothing is skipped or repeated
 * whatever the timing. A socket whose send buffer passes a limit is closed: the
 * client reconnects and resumes from its cursor, which is cheaper than buffering
 * without bound for a slow reader.
 *
 * What a device has received counts as acknowledged once it answers the next ping:
 * pruning up to a cursor the client has not persisted is still safe, because the ops
 * pruned are superseded (§4), so resuming from an older cursor converges all the same.
 */
import type { WebSocket } from 'ws'
import { type ErrorInfo, SynclineError } from '../../src/core/errors.ts'
import { parseJsonStrict } from '../../src/core/json.ts'
import { integer, name, objectWith } from '../http/input.ts'
import type { Logger } from '../log.ts'
import { seqOpsJsonText } from '../sync/op-rows.ts'
import type { Commit, SyncService } from '../sync/sync-service.ts'

export interface LiveOptions {
  pingIntervalMs: number
  /** Close a socket whose unsent data passes this many bytes. */
  maxBufferedBytes: number
  maxOpsPerPush: number
  serverTime: () => string
  log: Logger
}

const CATCH_UP_PAGE = 1000
const MAX_SUBSCRIPTIONS = 1000

interface Subscription {
  space: string
  cursor: number
  pumping: boolean
  /** A commit arrived while pumping: pump again before going idle. */
  dirty: boolean
}

class LiveConnection {
  readonly subs = new Map<string, Subscription>()
  alive = true
  queue: Promise<void> = Promise.resolve()
  private pinged: Map<string, number> | undefined

  constructor(
    readonly ws: WebSocket,
    readonly device: string,
    private readonly hub: LiveHub,
  ) {}

  send(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return
    this.ws.send(text)
    if (this.ws.bufferedAmount > this.hub.options.maxBufferedBytes) {
      this.hub.options.log.warn('live socket too slow, closing', { device: this.device })
      this.ws.close(1013, 'too slow: reconnect and resume from your cursor')
    }
  }

  sendError(error: ErrorInfo, extra: Record<string, unknown> = {}): void {
    this.send(JSON.stringify({ type: 'error', ...extra, error }))
  }

  ping(): void {
    this.pinged = new Map([...this.subs.values()].map(s => [s.space, s.cursor]))
    this.send('{"type":"ping"}')
  }

  pong(): void {
    this.alive = true
    if (!this.pinged) return
    for (const [space, cursor] of this.pinged) this.hub.service.pool.seen(space, this.device, cursor)
    this.pinged = undefined
  }
}

export class LiveHub {
  private readonly connections = new Set<LiveConnection>()
  private readonly bySpace = new Map<string, Set<LiveConnection>>()
  private readonly timer: NodeJS.Timeout
  private readonly stopCommits: () => void

  constructor(
    readonly service: SyncService,
    readonly options: LiveOptions,
  ) {
    this.stopCommits = service.onCommit(commit => this.deliver(commit))
    this.timer = setInterval(() => this.heartbeat(), options.pingIntervalMs)
    this.timer.unref()
  }

  get size(): number {
    return this.connections.size
  }

  attach(ws: WebSocket, device: string): void {
    const conn = new LiveConnection(ws, device, this)
    this.connections.add(conn)
    ws.on('message', (data, isBinary) => {
      // Messages of one socket are handled one after another, in the order sent.
      conn.queue = conn.queue.then(() =>
        this.onMessage(conn, data as Buffer, isBinary).catch(error => {
          const info = error instanceof SynclineError ? error.toJSON() : undefined
          if (!info) this.options.log.error('live message failed', { device, error })
          conn.sendError(info ?? { code: 'unavailable', message: 'internal error' })
        }),
      )
    })
    ws.on('close', () => this.detach(conn))
    ws.on('error', () => this.detach(conn))
  }

  /** Closes every socket (server shutdown). */
  close(): void {
    clearInterval(this.timer)
    this.stopCommits()
    for (const conn of this.connections) conn.ws.close(1001, 'server shutting down')
  }

  private detach(conn: LiveConnection): void {
    if (!this.connections.delete(conn)) return
    for (const space of conn.subs.keys()) this.unsubscribe(conn, space)
  }

  private unsubscribe(conn: LiveConnection, space: string): void {
    conn.subs.delete(space)
    const set = this.bySpace.get(space)
    set?.delete(conn)
    if (set?.size === 0) this.bySpace.delete(space)
  }

  private heartbeat(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        conn.ws.terminate()
        this.detach(conn)
        continue
      }
      conn.alive = false
      conn.ping()
    }
  }

  private async onMessage(conn: LiveConnection, data: Buffer, isBinary: boolean): Promise<void> {
    if (isBinary) throw new SynclineError('malformed', 'messages are JSON text')
    const parsed = parseJsonStrict(data.toString('utf8'))
    if (!parsed.ok) throw new SynclineError('malformed', parsed.error.message)
    const msg = parsed.value as { type?: unknown }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      throw new SynclineError('malformed', 'a message is a JSON object')
    }
    switch (msg.type) {
      case 'pong':
        conn.pong()
        return
      case 'ping':
        conn.send('{"type":"pong"}')
        return
      case 'subscribe':
        return this.subscribe(conn, msg)
      case 'unsubscribe': {
        const body = objectWith(msg, ['type', 'spaces'], 'unsubscribe')
        if (!Array.isArray(body.spaces)) throw new SynclineError('malformed', 'spaces must be an array')
        for (const s of body.spaces) this.unsubscribe(conn, name(s, 'space'))
        return
      }
      case 'push':
        return this.push(conn, msg)
      default:
        throw new SynclineError('malformed', 'unknown message type')
    }
  }

  private async subscribe(conn: LiveConnection, msg: object): Promise<void> {
    const body = objectWith(msg, ['type', 'spaces'], 'subscribe')
    if (!Array.isArray(body.spaces) || body.spaces.length > MAX_SUBSCRIPTIONS) {
      throw new SynclineError('malformed', `spaces must be an array of at most ${MAX_SUBSCRIPTIONS}`)
    }
    const wanted = body.spaces.map(item => {
      const s = objectWith(item, ['space', 'after'], 'a subscription')
      return {
        space: name(s.space, 'space'),
        after: integer(s.after ?? 0, 'after', 0, Number.MAX_SAFE_INTEGER),
      }
    })
    for (const { space, after } of wanted) {
      // A space that does not exist yet is empty: subscribe anyway, and its first ops
      // arrive live. (A device opening a shared space cannot know when the other device's
      // genesis push lands.)
      const info = await this.service.store.getSpace(space)
      if (info && after < info.horizon) {
        // Superseded ops past this cursor were pruned: read a live snapshot, then subscribe again.
        this.unsubscribe(conn, space)
        conn.send(JSON.stringify({ type: 'resync', space, horizon: info.horizon, head: info.head }))
        continue
      }
      if (!this.connections.has(conn)) return
      const sub: Subscription = { space, cursor: after, pumping: false, dirty: false }
      conn.subs.set(space, sub)
      let set = this.bySpace.get(space)
      if (!set) {
        set = new Set()
        this.bySpace.set(space, set)
      }
      set.add(conn)
      if (!info) continue
      this.service.pool.seen(space, conn.device, Math.min(after, info.head))
      this.pump(conn, sub)
    }
  }

  private async push(conn: LiveConnection, msg: object): Promise<void> {
    const body = msg as { ref?: unknown; ops?: unknown }
    const ref = body.ref
    if (ref !== undefined && typeof ref !== 'string' && typeof ref !== 'number') {
      throw new SynclineError('malformed', 'ref must be a string or a number')
    }
    try {
      objectWith(msg, ['type', 'ref', 'ops'], 'push')
      if (!Array.isArray(body.ops)) throw new SynclineError('malformed', 'ops must be an array')
      if (body.ops.length > this.options.maxOpsPerPush) {
        throw new SynclineError('too_large', `a push holds at most ${this.options.maxOpsPerPush} ops`)
      }
      const results = await this.service.push(conn.device, body.ops)
      conn.send(JSON.stringify({ type: 'pushed', ref, results, serverTime: this.options.serverTime() }))
    } catch (error) {
      if (error instanceof SynclineError) conn.sendError(error.toJSON(), { ref })
      else throw error
    }
  }

  /**
   * Sends a commit to the space's subscribers, the pushing device's own sockets last:
   * it has the ops already and waits only for their seqs, while every write to a
   * loopback socket may hand the CPU to its reader before the next one is sent.
   */
  private deliver(commit: Commit): void {
    const subscribers = this.bySpace.get(commit.space)
    if (!subscribers) return
    const first = commit.entries[0]!.seq
    const last = commit.entries[commit.entries.length - 1]!.seq
    let text: string | undefined
    let pusher: LiveConnection[] | undefined
    const send = (conn: LiveConnection) => {
      const sub = conn.subs.get(commit.space)
      if (!sub || sub.cursor >= last) return
      if (sub.pumping) {
        sub.dirty = true
      } else if (sub.cursor === first - 1) {
        text ??= JSON.stringify({ type: 'ops', space: commit.space, ops: commit.entries })
        sub.cursor = last
        conn.send(text)
      } else {
        this.pump(conn, sub)
      }
    }
    for (const conn of subscribers) {
      if (conn.device === commit.device) (pusher ??= []).push(conn)
      else send(conn)
    }
    if (pusher) for (const conn of pusher) send(conn)
  }

  /** Sends ops after the cursor from the store until the subscription is caught up. */
  private pump(conn: LiveConnection, sub: Subscription): void {
    if (sub.pumping) {
      sub.dirty = true
      return
    }
    sub.pumping = true
    const run = async () => {
      try {
        for (;;) {
          sub.dirty = false
          const page = await this.service.store.pull(sub.space, { after: sub.cursor, limit: CATCH_UP_PAGE })
          if (conn.subs.get(sub.space) !== sub) return
          if (page.rows.length > 0) {
            sub.cursor = page.rows[page.rows.length - 1]!.seq
            conn.send(
              `{"type":"ops","space":${JSON.stringify(sub.space)},"ops":${seqOpsJsonText(sub.space, page.rows)}}`,
            )
          }
          if (!page.more && !sub.dirty) return
        }
      } finally {
        sub.pumping = false
      }
    }
    run().catch(error => {
      this.options.log.error('live catch-up failed', { space: sub.space, error })
      conn.ws.close(1011, 'catch-up failed: reconnect')
    })
  }
}
