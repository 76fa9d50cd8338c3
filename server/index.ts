/** `syncline/server`: the sync server and its stores. */

export { createLogger, type Logger, type LogLevel } from './log.ts'
export { DEFAULT_LIMITS, type ServerLimits } from './options.ts'
export { createServer, type ServerOptions, type SyncServer, VERSION } from './server.ts'
export { memoryStore } from './store/memory-store.ts'
export { type SqliteStoreOptions, sqliteStore } from './store/sqlite-store.ts'
export type { Store } from './store/store.ts'
