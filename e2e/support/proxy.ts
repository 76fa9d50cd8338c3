/**
 * A recording proxy in front of a sync server for end-to-end tests: it forwards HTTP
 * and the live WebSocket, and keeps every push it saw (ops sent, results received) and
 * the last bearer token, so a test can check what reached the server and read the
 * server's streams as the page's device. `onPush` may hold a push back or drop its
 * connection (a replay cut off halfway).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import { connect } from 'node:net'

export interface SeenPush {
  ids: string[]
  hlcs: string[]
  /** The server's results, or undefined when the proxy dropped the push. */
  results?: { id: string; status: string; seq?: number }[]
}

export interface Proxy {
  url: string
  pushes: SeenPush[]
  /** Every HTTP request forwarded, as `METHOD /path?query`, in arrival order. */
  requests: string[]
  /** How many live WebSockets were opened through the proxy. */
  liveOpened: number
  token: string | undefined
  /** Called before a push is forwarded; answer 'drop' to cut its connection instead. */
  onPush: (push: SeenPush, index: number) => Promise<'forward' | 'drop'> | 'forward' | 'drop'
  /**
   * Cuts the live WebSockets, as a lost network eventually does (Chromium's emulated
   * offline leaves them open until the engine's ping times out, about 30 s).
   */
  dropLive(): void
  /** The server's ops of a space, in seq order, read with the page's device token. */
  stream(space: string): Promise<{ seq: number; op: { id: string; hlc: string; record: string } }[]>
  close(): Promise<void>
}

export async function startProxy(target: string): Promise<Proxy> {
  const upstream = new URL(target)
  const read = (req: IncomingMessage) =>
    new Promise<Buffer>(resolve => {
      const chunks: Buffer[] = []
      req.on('data', c => chunks.push(c))
      req.on('end', () => resolve(Buffer.concat(chunks)))
    })

  const proxy: Proxy = {
    url: '',
    pushes: [],
    requests: [],
    liveOpened: 0,
    token: undefined,
    onPush: () => 'forward',
    dropLive() {
      for (const socket of live) socket.destroy()
      live.clear()
    },
    async stream(space) {
      const res = await fetch(`${target}/v1/spaces/${encodeURIComponent(space)}/ops?after=0&limit=10000`, {
        headers: { authorization: `Bearer ${proxy.token}` },
      })
      if (!res.ok) throw new Error(`pull ${res.status}: ${await res.text()}`)
      return (
        (await res.json()) as { ops: { seq: number; op: { id: string; hlc: string; record: string } }[] }
      ).ops
    },
    close: () =>
      new Promise(resolve => {
        proxy.dropLive()
        server.close(() => resolve())
        // A request still in flight (a push held by the test, a streamed snapshot) would
        // keep close() waiting past the test's end.
        server.closeAllConnections()
      }),
  }

  const live = new Set<{ destroy(): void }>()
  const server: Server = createServer(async (req, res) => {
    proxy.requests.push(`${req.method} ${req.url}`)
    const body = await read(req)
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ')) proxy.token = auth.slice(7)
    let seen: SeenPush | undefined
    if (req.method === 'POST' && req.url === '/v1/push') {
      const ops = (JSON.parse(body.toString()) as { ops: { id: string; hlc: string }[] }).ops
      seen = { ids: ops.map(op => op.id), hlcs: ops.map(op => op.hlc) }
      proxy.pushes.push(seen)
      if ((await proxy.onPush(seen, proxy.pushes.length - 1)) === 'drop') {
        req.socket.destroy()
        return
      }
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        // Plain answers, so the proxy can read the results it records.
        headers: { ...req.headers, 'accept-encoding': 'identity' },
      },
      async answer => {
        const text = await read(answer)
        if (seen && answer.statusCode === 200) seen.results = JSON.parse(text.toString()).results
        // One request per connection: Chromium silently resends a request whose reused
        // connection drops, which would undo a push the test cuts off.
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, connection: 'close' })
        res.end(text)
      },
    )
    forward.on('error', () => req.socket.destroy())
    forward.end(body)
  })
  // The live WebSocket: pass the upgrade request and then the bytes both ways.
  server.on('upgrade', (req, socket, head) => {
    proxy.liveOpened++
    const up = connect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`]
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
      up.write(lines.join('\r\n') + '\r\n\r\n')
      up.write(head)
      socket.pipe(up).pipe(socket)
    })
    live.add(socket)
    socket.on('close', () => live.delete(socket))
    up.on('error', () => socket.destroy())
    socket.on('error', () => up.destroy())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  proxy.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return proxy
}
