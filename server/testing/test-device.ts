/**
 * A device for tests and benchmarks: an Ed25519 key, a session with a server, signed
 * ops with a real UHLC clock, and small HTTP and WebSocket helpers. It speaks the wire
 * protocol directly, as another implementation would.
 */
import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'
import { toBase64url, utf8 } from '../../src/core/bytes.ts'
import type { Ed25519Signer } from '../../src/core/ed25519.ts'
import type { JsonObject } from '../../src/core/json.ts'
import { type Action, type Op, signOp } from '../../src/core/op.ts'
import { type Clock, createClock, instanceId, msToNs } from '../../src/core/uhlc.ts'
import { SESSION_PREFIX } from '../auth/sessions.ts'
import { nodeEd25519 } from '../node-ed25519.ts'

/**
 * Wire data in tests: bodies and messages as the server sent them. Tests read the
 * fields they check, and their assertions are the type check.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire data in tests, checked by the assertions that read it
export type Wire = any

export interface HttpAnswer<T = Wire> {
  status: number
  body: T
  headers: Headers
}

export class TestDevice {
  token = ''
  readonly clock: Clock

  private constructor(
    /** The server; may be changed to talk to another server (a restarted one). */
    public url: string,
    readonly signer: Ed25519Signer,
    physicalNs: () => bigint,
  ) {
    this.clock = createClock({ id: instanceId(randomBytes(16)), physicalNs })
  }

  /** A new device with a session on the server at `url`. */
  static async connect(url: string, options: { physicalNs?: () => bigint } = {}): Promise<TestDevice> {
    const signer = await nodeEd25519.importSigner(new Uint8Array(randomBytes(32)))
    const device = new TestDevice(url, signer, options.physicalNs ?? (() => msToNs(Date.now())))
    await device.login()
    return device
  }

  get id(): string {
    return toBase64url(this.signer.publicKey)
  }

  async login(): Promise<void> {
    const challenge = await this.request('GET', '/v1/challenge', undefined, { auth: false })
    const nonce = challenge.body.nonce as string
    const sig = toBase64url(await this.signer.sign(utf8(SESSION_PREFIX + nonce)))
    const session = await this.request(
      'POST',
      '/v1/session',
      { device: this.id, nonce, sig },
      { auth: false },
    )
    if (session.status !== 200) throw new Error(`login failed: ${JSON.stringify(session.body)}`)
    this.token = session.body.token
  }

  /** A signed op by this device. */
  op(
    space: string,
    collection: string,
    record: string,
    action: Action = 'update',
    fields?: JsonObject,
    hlc = this.clock.now(),
  ): Promise<Op> {
    const unsigned = { space, collection, record, action, hlc, author: this.id } as Parameters<
      typeof signOp
    >[0]
    if (action !== 'delete') unsigned.fields = fields ?? { n: 1 }
    return signOp(unsigned, this.signer)
  }

  /** JSON request; `body` may be a string to send as is. */
  async request<T = Wire>(
    method: string,
    path: string,
    body?: unknown,
    options: { auth?: boolean; headers?: Record<string, string> } = {},
  ): Promise<HttpAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.auth !== false && this.token) headers.authorization = `Bearer ${this.token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(this.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers }
  }

  push(ops: unknown[]): Promise<HttpAnswer> {
    return this.request('POST', '/v1/push', { ops })
  }

  pull(space: string, query = ''): Promise<HttpAnswer> {
    return this.request('GET', `/v1/spaces/${encodeURIComponent(space)}/ops${query ? `?${query}` : ''}`)
  }

  /** PUTs a schema: descriptors as an app writes them. */
  putSchema(space: string, descriptors: unknown[]): Promise<HttpAnswer> {
    return this.request('PUT', `/v1/spaces/${encodeURIComponent(space)}/schema`, { descriptors })
  }

  /** Opens `WS /v1/live` with this device's token. */
  live(): Promise<LiveClient> {
    return LiveClient.open(`${this.url.replace(/^http/, 'ws')}/v1/live?token=${this.token}`)
  }
}

/** A WebSocket with a queue of received messages and waits on them. */
export class LiveClient {
  readonly received: Wire[] = []
  private waiters: (() => void)[] = []

  private constructor(readonly ws: WebSocket) {
    ws.on('message', data => {
      const msg = JSON.parse(String(data))
      if (msg.type === 'ping') ws.send('{"type":"pong"}')
      this.received.push(msg)
      for (const w of this.waiters.splice(0)) w()
    })
    ws.on('close', () => {
      for (const w of this.waiters.splice(0)) w()
    })
  }

  static open(url: string): Promise<LiveClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      const client = new LiveClient(ws)
      ws.once('open', () => resolve(client))
      ws.once('error', reject)
    })
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg))
  }

  subscribe(spaces: { space: string; after: number }[]): void {
    this.send({ type: 'subscribe', spaces })
  }

  /** Resolves with the first received message (from `from` on) that matches. */
  async next(match: (msg: Wire) => boolean, from = 0): Promise<Wire> {
    for (;;) {
      const found = this.received.slice(from).find(match)
      if (found) return found
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting')
      await new Promise<void>(resolve => this.waiters.push(resolve))
    }
  }

  /** Waits until the `ops` messages of `space` cover seq 1..n (or from `after`), and returns the seqs seen. */
  async opsUntil(space: string, seq: number): Promise<{ seq: number; op: Op }[]> {
    for (;;) {
      const entries = this.received.filter(m => m.type === 'ops' && m.space === space).flatMap(m => m.ops)
      if (entries.length && entries[entries.length - 1].seq >= seq) return entries
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('socket closed while waiting')
      await new Promise<void>(resolve => this.waiters.push(resolve))
    }
  }

  close(): Promise<void> {
    return new Promise(resolve => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve()
      this.ws.once('close', () => resolve())
      this.ws.close()
    })
  }
}
