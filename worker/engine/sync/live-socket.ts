/**
 * The live WebSocket (PROTOCOL.md §7): subscriptions from cursors, ops as the server
 * accepts them, ping/pong both ways, and push over the socket (`push` -> `pushed`,
 * matched by `ref`). The client pings too: a socket that stays silent for a whole ping
 * interval is dead whatever the operating system thinks, so it is dropped at once (not
 * after a closing handshake that would never complete) and the loop reconnects.
 */
import { type ErrorInfo, SynclineError } from '../../../src/core/errors.ts'
import type { Op } from '../../../src/core/op.ts'
import { parseHlc } from '../../../src/core/uhlc.ts'
import type { Replica } from '../replica.ts'
import { NetworkError } from './http.ts'
import { SOCKET_OPEN, type SocketLike, type SyncIo } from './io.ts'
import type { PushResult } from './push.ts'

export interface LiveEvents {
  /** Ops of a subscribed space, in seq order, continuing the subscription's cursor. */
  ops(space: string, entries: { seq: number; op: Op }[]): void
  /** The space's cursor is below the horizon: read a live snapshot, then subscribe again. */
  resync(space: string): void
  /** A subscription failed (`not_found`: the server has no such space yet). */
  spaceError(space: string, error: SynclineError): void
  /** Any other error message of the server. */
  error(error: SynclineError): void
  /** The socket is gone (called once, also when it never opened). */
  close(): void
}

interface WaitingPush {
  resolve(results: PushResult[]): void
  reject(error: unknown): void
  sentNs: bigint
}

const noop = () => undefined

export class LiveSocket {
  /** Resolves when the socket is open; rejects when it closes first. */
  readonly opened: Promise<void>
  private readonly socket: SocketLike
  private readonly pushes = new Map<number, WaitingPush>()
  private nextRef = 1
  private heard = true
  private closed = false
  private pingTimer: unknown
  private rejectOpen: (error: unknown) => void = noop

  constructor(
    url: string,
    private readonly io: SyncIo,
    private readonly replica: Replica,
    private readonly events: LiveEvents,
    private readonly pingIntervalMs: number,
  ) {
    this.socket = new io.WebSocket(url)
    this.opened = new Promise((resolve, reject) => {
      this.socket.onopen = () => resolve()
      this.rejectOpen = reject
    })
    this.socket.onclose = () => this.shutdown()
    this.opened.catch(noop)
    this.socket.onerror = noop // a close follows
    this.socket.onmessage = event => this.receive(event.data)
    this.schedulePing()
  }

  get isOpen(): boolean {
    return !this.closed && this.socket.readyState === SOCKET_OPEN
  }

  subscribe(spaces: { space: string; after: number }[]): void {
    if (spaces.length) this.send({ type: 'subscribe', spaces })
  }

  /** Pushes over the socket; the same results as `POST /v1/push`. */
  push(ops: readonly Op[]): Promise<PushResult[]> {
    if (!this.isOpen) return Promise.reject(new NetworkError('the live socket is not open'))
    const ref = this.nextRef++
    return new Promise((resolve, reject) => {
      this.pushes.set(ref, { resolve, reject, sentNs: this.io.wallNs() })
      this.send({ type: 'push', ref, ops })
    })
  }

  /** Closes the socket now; `events.close` follows. */
  close(): void {
    this.shutdown()
  }

  private send(message: unknown): void {
    if (!this.isOpen) return
    try {
      this.socket.send(JSON.stringify(message))
    } catch {
      this.shutdown()
    }
  }

  private schedulePing(): void {
    this.pingTimer = this.io.timers.setTimeout(() => {
      if (this.closed) return
      if (!this.heard) return this.shutdown()
      this.heard = false
      this.send({ type: 'ping' })
      this.schedulePing()
    }, this.pingIntervalMs)
  }

  private receive(data: unknown): void {
    this.heard = true
    let msg: {
      type?: string
      space?: string
      ops?: { seq: number; op: Op }[]
      ref?: number
      results?: PushResult[]
      serverTime?: string
      error?: ErrorInfo
    }
    try {
      msg = JSON.parse(String(data))
    } catch {
      this.events.error(new SynclineError('malformed', 'the server sent a message that is not JSON'))
      return
    }
    switch (msg.type) {
      case 'ping':
        this.send({ type: 'pong' })
        return
      case 'pong':
        return
      case 'ops':
        if (msg.space !== undefined && msg.ops?.length) this.events.ops(msg.space, msg.ops)
        return
      case 'resync':
        if (msg.space !== undefined) this.events.resync(msg.space)
        return
      case 'pushed': {
        const waiting = this.take(msg.ref)
        if (!waiting) return
        const serverTime = parseHlc(msg.serverTime ?? '')
        if (serverTime) {
          const receivedNs = this.io.wallNs()
          this.replica.skew.add({ sentNs: waiting.sentNs, receivedNs, serverNs: serverTime.time })
        }
        waiting.resolve(msg.results ?? [])
        return
      }
      case 'error': {
        const error = new SynclineError(msg.error?.code ?? 'unavailable', msg.error?.message ?? 'error')
        const waiting = this.take(msg.ref)
        if (waiting) waiting.reject(error)
        else if (msg.space !== undefined) this.events.spaceError(msg.space, error)
        else this.events.error(error)
        return
      }
    }
  }

  private take(ref: unknown): WaitingPush | undefined {
    if (typeof ref !== 'number') return undefined
    const waiting = this.pushes.get(ref)
    this.pushes.delete(ref)
    return waiting
  }

  private shutdown(): void {
    if (this.closed) return
    this.closed = true
    this.io.timers.clearTimeout(this.pingTimer)
    this.socket.onopen = noop
    this.socket.onmessage = noop
    this.socket.onclose = noop
    try {
      this.socket.close()
    } catch {
      // already closed
    }
    const gone = new NetworkError('the live socket closed')
    this.rejectOpen(gone)
    for (const waiting of this.pushes.values()) waiting.reject(gone)
    this.pushes.clear()
    this.events.close()
  }
}
