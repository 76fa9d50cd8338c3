/**
 * Structured logs: one JSON object per line. Requests log at `debug`; errors log at
 * every level but `silent`. The sink is injectable so tests can read what was logged.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

export type LogFields = Record<string, unknown>

export interface Logger {
  readonly level: LogLevel
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

export interface LoggerOptions {
  level?: LogLevel
  /** Where lines go; default: stdout, and stderr for warnings and errors. */
  write?: (line: string, level: Exclude<LogLevel, 'silent'>) => void
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 }

function defaultWrite(line: string, level: LogLevel): void {
  if (level === 'warn' || level === 'error') process.stderr.write(`${line}\n`)
  else process.stdout.write(`${line}\n`)
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info'
  const write = options.write ?? defaultWrite
  const emit = (at: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    // Errors are always logged unless the logger is silent.
    if (level === 'silent' || (RANK[at] < RANK[level] && at !== 'error')) return
    let line: string
    try {
      line = JSON.stringify({ time: new Date().toISOString(), level: at, msg, ...fields }, replacer)
    } catch {
      line = JSON.stringify({ time: new Date().toISOString(), level: at, msg })
    }
    write(line, at)
  }
  return {
    level,
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack }
  return value
}
