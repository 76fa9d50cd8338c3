/**
 * `createServer`: the Syncline sync server on node:http and ws. This file wires the
 * parts together (options, sessions, sync service, live hub, routes) and owns the
 * request cycle: CORS, routing, authentication, body limits, coded errors, request
 * logs, timers, and a clean shutdown (in-flight requests finish, sockets close, the
 * store closes last).
 */
import { randomBytes } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer } from 'ws'
import { createVerifier } from '../src/core/ed25519.ts'
import { type ErrorInfo, httpStatus, SynclineError } from '../src/core/errors.ts'
import { createClock, instanceId, msToNs, NS_PER_MS } from '../src/core/uhlc.ts'
import { bearerToken, createSessions } from './auth/sessions.ts'
import { readJson } from './http/body.ts'
import { corsHeaders, originChecker, preflightHeaders } from './http/cors.ts'
import { errorReply, send } from './http/respond.ts'
import type { Route } from './http/route.ts'
import { createRouter } from './http/router.ts'
import { staticFiles } from './http/static-files.ts'
import { LiveHub } from './live/live-hub.ts'
import { nodeEd25519 } from './node-ed25519.ts'
import { resolveOptions, type ServerOptions } from './options.ts'
import { hashExchangeRoutes } from './routes/hash-exchange-routes.ts'
import { healthRoute } from './routes/health-route.ts'
import { pullRoute } from './routes/pull-route.ts'
import { pushRoute } from './routes/push-route.ts'
import { reconcileRoute } from './routes/reconcile-route.ts'
import { schemaRoutes } from './routes/schema-routes.ts'
import { sessionRoutes } from './routes/session-routes.ts'
import type { Store } from './store/store.ts'
import { ClientPool } from './sync/client-pool.ts'
import { type PruneReport, Pruner } from './sync/pruner.ts'
import { SyncService } from './sync/sync-service.ts'

// By the package's own name (it exports ./package.json): the same from the sources and from dist/.
export const VERSION: string = createRequire(import.meta.url)('syncline/package.json').version

const POOL_FLUSH_MS = 1000
const SWEEP_MS = 10 * 60 * 1000
const CHALLENGE_TTL_MS = 5 * 60 * 1000
/** How much of an oversize body is read (and dropped) so the 413 reaches the client. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024

export interface SyncServer {
  /** `http://host:port` */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly store: Store
  readonly service: SyncService
  /** Prunes superseded ops of every space below its horizon now (the timer does it too). */
  prune(): Promise<PruneReport[]>
  /** Writes buffered client-pool sightings to the store. */
  flush(): Promise<void>
  /** Stops accepting, lets in-flight requests finish, closes sockets, then the store. */
  close(): Promise<void>
}

export type { ServerOptions }

export async function createServer(options: ServerOptions): Promise<SyncServer> {
  const config = resolveOptions(options)
  const { store, log, limits, now } = config
  const startedAt = now()
  const physicalNs = () => msToNs(now())
  const clock = createClock({ id: instanceId(randomBytes(16)), physicalNs })
  const serverTime = () => clock.now()

  const sessions = createSessions({
    store,
    ttlMs: config.sessionTtlMs,
    challengeTtlMs: CHALLENGE_TTL_MS,
    now,
  })
  const pool = new ClientPool(store, now, config.staleAfterMs)
  const service = new SyncService({
    store,
    pool,
    verifier: config.verifier ?? createVerifier(nodeEd25519),
    physicalNs,
    maxDriftNs: BigInt(Math.round(config.maxDriftMs * 1000)) * (NS_PER_MS / 1000n),
    opLimits: { maxNameLength: limits.maxNameLength, maxOpBytes: limits.maxOpBytes },
    log,
  })
  const pruner = new Pruner(service, log)
  const hub = new LiveHub(service, {
    pingIntervalMs: config.pingIntervalMs,
    maxBufferedBytes: 32 * 1024 * 1024,
    maxOpsPerPush: limits.maxOpsPerPush,
    serverTime,
    log,
  })

  const routes: Route[] = [
    healthRoute({
      version: VERSION,
      store,
      startedAt,
      now,
      liveSockets: () => hub.size,
      loadedSpaces: () => service.spaces.size,
    }),
    ...sessionRoutes(sessions),
    pushRoute(service, limits),
    pullRoute(service, limits),
    ...hashExchangeRoutes(service, limits),
    reconcileRoute(service, limits),
    ...schemaRoutes(service, limits),
  ]
  const router = createRouter(routes)
  const serveFile = config.staticDir ? staticFiles(config.staticDir) : undefined
  const allowOrigin = originChecker(config.allowedOrigins)
  let closing = false

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    const origin = req.headers.origin
    const cors = corsHeaders(origin, allowOrigin)
    let device = ''
    let status = 200
    let code: string | undefined
    try {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (req.method === 'OPTIONS') {
        const headers = preflightHeaders(origin, allowOrigin)
        status = headers ? 204 : 403
        res.writeHead(status, headers ?? { 'content-length': 0 })
        res.end()
        return
      }
      if (closing) throw new SynclineError('closed', 'the server is shutting down')
      if (serveFile && !url.pathname.startsWith('/v1/') && (await serveFile(req, res, url.pathname))) return
      const { route, params } = router.match(req.method ?? 'GET', url.pathname)
      if (route.auth) {
        const header = req.headers.authorization
        const token = bearerToken(header)
        if (!token) {
          throw new SynclineError(
            'unauthenticated',
            header ? 'malformed Authorization header' : 'a bearer token is required',
          )
        }
        device = (await sessions.authenticate(token)).device
      }
      const reply = await route.handle({
        req,
        url,
        params,
        device,
        body: () => readJson(req, route.maxBodyBytes ?? limits.maxBodyBytes),
      })
      status = reply.status ?? 200
      await send(req, res, reply, { serverTime: serverTime(), headers: cors, close: closing })
    } catch (error) {
      const info = toErrorInfo(error)
      code = info.code
      status = info.code === 'unavailable' && !(error instanceof SynclineError) ? 500 : httpStatus(info.code)
      if (status >= 500) log.error('request failed', { method: req.method, path: req.url, error })
      const tooLarge = info.code === 'too_large' && !req.complete
      if (tooLarge) await drain(req)
      const reply = errorReply(info)
      await send(
        req,
        res,
        { ...reply, status },
        { serverTime: serverTime(), headers: cors, close: tooLarge || closing },
      )
    } finally {
      if (closing) res.once('finish', () => httpServer.closeIdleConnections())
      log.debug('request', {
        method: req.method,
        path: req.url?.split('?')[0],
        status,
        code,
        device: device || undefined,
        ms: Math.round((performance.now() - started) * 100) / 100,
      })
    }
  }

  const httpServer = createHttpServer({ keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch(error => {
      log.error('answer failed', { error })
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  httpServer.on('clientError', (_error, socket: Socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    else socket.destroy()
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPushBytes + 4096 })
  httpServer.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    upgrade(req, socket, head).catch(error => {
      log.error('upgrade failed', { error })
      socket.destroy()
    })
  })

  async function upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    let info: ErrorInfo | undefined
    let device = ''
    try {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (url.pathname !== '/v1/live') throw new SynclineError('not_found', `no socket at ${url.pathname}`)
      if (closing) throw new SynclineError('closed', 'the server is shutting down')
      device = (await sessions.authenticate(url.searchParams.get('token') ?? undefined)).device
    } catch (error) {
      info = toErrorInfo(error)
    }
    if (info) {
      const body = JSON.stringify({ error: info, serverTime: serverTime() })
      const status = httpStatus(info.code)
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Error'}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      )
      return
    }
    wss.handleUpgrade(req, socket, head, ws => hub.attach(ws, device))
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject)
    httpServer.listen(config.port, config.host, () => {
      httpServer.off('error', reject)
      resolve()
    })
  })
  const address = httpServer.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host

  const timers = [
    setInterval(
      () => pool.flush().catch(error => log.error('client pool flush failed', { error })),
      POOL_FLUSH_MS,
    ),
    setInterval(
      () => store.sweepExpired(now()).catch(error => log.error('sweep failed', { error })),
      SWEEP_MS,
    ),
  ]
  if (config.pruneIntervalMs > 0) {
    timers.push(
      setInterval(
        () => pruner.pruneAll().catch(error => log.error('prune failed', { error })),
        config.pruneIntervalMs,
      ),
    )
  }
  for (const t of timers) t.unref()

  let closed: Promise<void> | undefined
  return {
    url: `http://${host}:${address.port}`,
    host: config.host,
    port: address.port,
    store,
    service,
    prune: () => pruner.pruneAll(),
    flush: () => pool.flush(),
    close() {
      closed ??= (async () => {
        closing = true
        for (const t of timers) clearInterval(t)
        hub.close()
        const stopped = new Promise<void>(resolve => httpServer.close(() => resolve()))
        httpServer.closeIdleConnections()
        const force = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate()
          httpServer.closeAllConnections()
        }, 2000)
        await stopped
        clearTimeout(force)
        wss.close()
        await pruner.idle()
        await pool.flush()
        await store.close()
      })()
      return closed
    },
  }
}

function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof SynclineError) return error.toJSON()
  return { code: 'unavailable', message: 'internal error' }
}

/** Reads and drops the rest of a request body (up to a limit) so an early answer is not lost to a reset. */
function drain(req: IncomingMessage): Promise<void> {
  return new Promise(resolve => {
    let read = 0
    const done = () => {
      req.off('data', onData)
      resolve()
    }
    const onData = (chunk: Buffer) => {
      read += chunk.length
      if (read > DRAIN_LIMIT_BYTES) done()
    }
    req.on('data', onData)
    req.once('end', done)
    req.once('close', done)
    req.once('error', done)
    req.resume()
  })
}
