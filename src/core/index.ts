/**
 * `syncline/core`: the pure protocol core shared by the engine, the service worker
 * and the server (PROTOCOL.md). No I/O; time and randomness are passed in.
 */
export * from './bytes.ts'
export * from './ed25519.ts'
export * from './errors.ts'
export * from './json.ts'
export type { ApplyOutcome, SpaceSnapshot } from './merge/space-state.ts'
export { SpaceState } from './merge/space-state.ts'
export * from './op.ts'
export * from './schema.ts'
export * from './skew.ts'
export * from './uhlc.ts'
export * from './validate.ts'
export * from './sketch/index.ts'
export * from './oppack.ts'
