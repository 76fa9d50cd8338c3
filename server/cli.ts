/**
 * The `syncline-server` command: flags to options, a line saying where it listens and
 * which store it uses, and a clean stop on SIGINT/SIGTERM (in-flight requests finish,
 * sockets close, the database closes). A second signal exits at once.
 */
import { parseArgs } from 'node:util'
import { createLogger, LOG_LEVELS, type LogLevel } from './log.ts'
import { DEFAULT_LIMITS, type ServerLimits } from './options.ts'
import { createServer } from './server.ts'
import { memoryStore } from './store/memory-store.ts'
import { sqliteStore } from './store/sqlite-store.ts'

const HELP = `Usage: syncline-server [options]

  --port <n>              port to listen on (default 8787; 0 picks a free one)
  --host <addr>           address to bind (default 127.0.0.1)
  --db <file>             SQLite database file (default ./syncline.db)
  --memory                keep everything in memory instead (nothing survives a stop)
  --sync <full|normal>    SQLite synchronous mode (default full: fsync before accepting)
  --max-drift <dur>       how far ahead of the server clock an op may be (default 100ms)
  --stale-after <dur>     a device unseen this long stops holding pruning back (default 30d)
  --max-ops-per-push <n>  ops per push (default ${DEFAULT_LIMITS.maxOpsPerPush})
  --max-push-bytes <n>    bytes per push body (default ${DEFAULT_LIMITS.maxPushBytes})
  --max-op-bytes <n>      bytes per op (default ${DEFAULT_LIMITS.maxOpBytes})
  --max-body-bytes <n>    bytes of other request bodies (default ${DEFAULT_LIMITS.maxBodyBytes})
  --allow-origin <list>   CORS origins, comma separated, repeatable; '*' for any
                          (default: http://localhost:*, http://127.0.0.1:*, http://[::1]:*)
  --static <dir>          serve a folder of built files (an app, the demo) at /
  --log-level <level>     debug | info | warn | error | silent (default info)
  --help                  this text

Durations: a number of milliseconds, or with a unit: 250ms, 30s, 15m, 12h, 30d.`

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  if (!m) throw new Error(`${flag}: not a duration: ${text}`)
  return Number(m[1]) * UNITS[m[2] ?? 'ms']!
}

function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${flag}: not a whole number: ${text}`)
  return Number(text)
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string', default: './syncline.db' },
      memory: { type: 'boolean', default: false },
      sync: { type: 'string', default: 'full' },
      'max-drift': { type: 'string', default: '100ms' },
      'stale-after': { type: 'string', default: '30d' },
      'max-ops-per-push': { type: 'string' },
      'max-push-bytes': { type: 'string' },
      'max-op-bytes': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      static: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  const level = values['log-level'] as LogLevel
  if (!LOG_LEVELS.includes(level)) throw new Error(`--log-level: one of ${LOG_LEVELS.join(', ')}`)
  if (values.sync !== 'full' && values.sync !== 'normal') throw new Error('--sync: full or normal')
  const limits: Partial<ServerLimits> = {}
  const limitFlags = [
    ['max-ops-per-push', 'maxOpsPerPush'],
    ['max-push-bytes', 'maxPushBytes'],
    ['max-op-bytes', 'maxOpBytes'],
    ['max-body-bytes', 'maxBodyBytes'],
  ] as const
  for (const [flag, key] of limitFlags) {
    const v = values[flag]
    if (v !== undefined) limits[key] = parseCount(v, `--${flag}`)
  }
  const origins = values['allow-origin']
    ?.flatMap(o => o.split(','))
    .map(o => o.trim())
    .filter(Boolean)

  // Every flag is checked before the database file is opened (or created).
  const port = parseCount(values.port, '--port')
  const maxDriftMs = parseDuration(values['max-drift'], '--max-drift')
  const staleAfterMs = parseDuration(values['stale-after'], '--stale-after')
  const log = createLogger({ level })
  const store = values.memory ? memoryStore() : sqliteStore(values.db, { synchronous: values.sync })
  const server = await createServer({
    store,
    port,
    host: values.host,
    maxDriftMs,
    staleAfterMs,
    limits,
    allowedOrigins: origins,
    log,
    staticDir: values.static,
  })
  const where = store.kind === 'sqlite' ? `sqlite ${store.location}` : store.kind
  console.log(`syncline-server listening on ${server.url} (store: ${where})`)
  log.info('listening', { url: server.url, store: store.kind, location: store.location })

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) process.exit(1)
    stopping = true
    log.info('stopping', { signal })
    server.close().then(
      () => {
        console.log('syncline-server stopped')
        process.exit(0)
      },
      error => {
        log.error('stop failed', { error })
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}
