/** The server's options (API.md: port, host, store, maxDrift, staleAfter, limits, origins, log level) and defaults. */
import type { Verifier } from '../src/core/ed25519.ts'
import { DEFAULT_ALLOWED_ORIGINS } from './http/cors.ts'
import { createLogger, type Logger, type LogLevel } from './log.ts'
import type { Store } from './store/store.ts'

export interface ServerLimits {
  /** Ops per push (HTTP or socket). Default 1,000. */
  maxOpsPerPush: number
  /** Bytes of a push body. Default 4 MiB. */
  maxPushBytes: number
  /** Bytes of a canonical op without id and sig. Default 64 KiB. */
  maxOpBytes: number
  /** Code points of a space, collection or record name. Default 256. */
  maxNameLength: number
  /** Bytes of any other request body. Default 1 MiB (a sketch of 16,384 cells). */
  maxBodyBytes: number
  /** Ops per pull page. Default 10,000. */
  maxPullLimit: number
  /** Ids per fetch or ids page. Default 10,000. */
  maxIds: number
  /** Largest sketch accepted or sent, in cells. Default 65,536. */
  maxSketchCells: number
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxOpsPerPush: 1000,
  maxPushBytes: 4 * 1024 * 1024,
  maxOpBytes: 65_536,
  maxNameLength: 256,
  maxBodyBytes: 1024 * 1024,
  maxPullLimit: 10_000,
  maxIds: 10_000,
  maxSketchCells: 65_536,
})

export interface ServerOptions {
  store: Store
  /** Default 8787; 0 picks a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** How far ahead of the server clock an op's hlc may be, ms. Default 100. */
  maxDriftMs?: number
  /** A device unseen for this long stops holding pruning back, ms. Default 30 days. */
  staleAfterMs?: number
  limits?: Partial<ServerLimits>
  /** Origins allowed by CORS: exact origins, `*`, or `http://host:*`. Default: loopback origins. */
  allowedOrigins?: readonly string[]
  /** A level, or a logger. Default 'info'. */
  log?: LogLevel | Logger
  /** Session token lifetime, ms. Default 24 h. */
  sessionTtlMs?: number
  /** WebSocket ping interval, ms. Default 15 s. */
  pingIntervalMs?: number
  /** How often to prune superseded ops, ms; 0 turns the timer off. Default 60 s. */
  pruneIntervalMs?: number
  /** Ed25519 verifier; default: Node's crypto with noble's rules. Benchmarks may pass a trusting one. */
  verifier?: Verifier
  /** Wall clock in ms; injectable for tests. Default Date.now. */
  now?: () => number
  /** A folder of built files (an app, the demo) to serve at `/` next to the API. */
  staticDir?: string
}

export interface ResolvedOptions {
  store: Store
  port: number
  host: string
  maxDriftMs: number
  staleAfterMs: number
  limits: ServerLimits
  allowedOrigins: readonly string[]
  log: Logger
  sessionTtlMs: number
  pingIntervalMs: number
  pruneIntervalMs: number
  verifier: Verifier | undefined
  now: () => number
  staticDir: string | undefined
}

export const DAY_MS = 24 * 60 * 60 * 1000

export function resolveOptions(options: ServerOptions): ResolvedOptions {
  return {
    store: options.store,
    port: options.port ?? 8787,
    host: options.host ?? '127.0.0.1',
    maxDriftMs: options.maxDriftMs ?? 100,
    staleAfterMs: options.staleAfterMs ?? 30 * DAY_MS,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    allowedOrigins: options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS,
    log: typeof options.log === 'object' ? options.log : createLogger({ level: options.log ?? 'info' }),
    sessionTtlMs: options.sessionTtlMs ?? DAY_MS,
    pingIntervalMs: options.pingIntervalMs ?? 15_000,
    pruneIntervalMs: options.pruneIntervalMs ?? 60_000,
    verifier: options.verifier,
    now: options.now ?? Date.now,
    staticDir: options.staticDir,
  }
}
