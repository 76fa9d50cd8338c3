/**
 * The server's storage interface (ARCHITECTURE.md "Storage behind one small
 * interface"). A store keeps, per space, an append-only op stream whose sequence
 * numbers it assigns itself, inside the same transaction that stores the ops, so
 * they are 1, 2, 3, ... with no gaps and no duplicates whoever calls it. It also keeps
 * the client pool, sessions and schema descriptors. It knows nothing of merge rules:
 * the sync service tells it which ops are superseded.
 *
 * Every method is async so that a networked store (PostgreSQL) fits the same shape.
 * Implementations: `memory-store.ts` (tests), `sqlite-store.ts` (the default); each
 * must pass `store-conformance.ts`.
 */

import type { OpPackRow } from '../../src/core/oppack.ts'

export type { Action } from '../../src/core/op.ts'

/** One op as the store keeps it: the op's own fields, with `fields` as JSON text (the core's row, less `seq`). */
export type StoredOp = Omit<OpPackRow, 'seq'>

/** A stored op with its place in the stream and whether it is still live. */
export interface OpRow extends OpPackRow {
  live: boolean
}

/** A new op for `append`; `live` is false when it is superseded on arrival. */
export interface NewOp extends StoredOp {
  live: boolean
}

/** What `append` did with one op: stored under a new seq, or already held. */
export interface AppendResult {
  seq: number
  duplicate: boolean
}

export interface SpaceInfo {
  space: string
  /** The last sequence number given out (0 for none). */
  head: number
  /** Superseded ops with seq <= horizon may have been pruned. */
  horizon: number
}

/** Filters of a pull (PROTOCOL.md §7 replication queries). */
export interface OpFilter {
  /** Only ops still live. */
  liveOnly?: boolean
  /** Only ops in these collections. */
  collections?: readonly string[]
  /** Only ops whose record id starts with this. */
  prefix?: string
}

export interface PullQuery extends OpFilter {
  /** Ops with seq > after. */
  after: number
  /** At most this many ops. */
  limit: number
  /** The caller will not use the ids: a store may leave them empty (reading less). */
  skipIds?: boolean
}

export interface PullPage {
  rows: OpRow[]
  /** True when ops matching the query exist past the last row. */
  more: boolean
}

export interface IdPageQuery extends OpFilter {
  /** Ids greater than this one (hex order). */
  afterId?: string
  limit: number
}

/** One device in the client pool of one space (seed 004). */
export interface ClientRow {
  device: string
  /** Milliseconds since the epoch. */
  lastSeen: number
  /** The highest cursor the device has acknowledged. */
  lastSynchronized: number
}

export interface ClientSighting {
  space: string
  device: string
  lastSeen: number
  cursor?: number | undefined
}

export interface SessionRow {
  device: string
  /** Milliseconds since the epoch. */
  expiresAt: number
}

/** A schema descriptor as stored: its id, collection name and canonical JSON. */
export interface DescriptorRow {
  id: string
  name: string
  json: string
}

export interface StoreStats {
  spaces: number
  ops: number
  liveOps: number
  devices: number
}

export interface Store {
  /** What kind of store this is: 'memory', 'sqlite', ... */
  readonly kind: string
  /** Where it keeps its data, for logs (a path, ':memory:', a host). */
  readonly location: string

  /** The space, or undefined when it has no ops and no schema. */
  getSpace(space: string): Promise<SpaceInfo | undefined>
  /** Creates the space when it does not exist; no-op otherwise. */
  ensureSpace(space: string): Promise<SpaceInfo>

  /**
   * Appends ops to a space in one transaction, in the order given: an op whose id the
   * space already holds is a duplicate (its seq is returned), every other op gets the
   * next seq. Marks the ops named in `superseded` as no longer live in the same
   * transaction. Creates the space when needed. Durable when the promise resolves.
   */
  append(space: string, ops: readonly NewOp[], superseded?: readonly string[]): Promise<AppendResult[]>
  /** Marks ops (by id) of a space as superseded. */
  markSuperseded(space: string, ids: readonly string[]): Promise<void>

  /** The held ops among these ids, in no particular order. */
  getOps(space: string, ids: readonly string[]): Promise<OpRow[]>
  /** Ops with seq > after, in seq order, filtered. */
  pull(space: string, query: PullQuery): Promise<PullPage>
  /** How many ops of the space match the filter. */
  count(space: string, filter?: OpFilter): Promise<number>
  /** Ids of live ops in id order, for the hash exchange (§6). */
  liveIds(space: string, query: IdPageQuery): Promise<{ ids: string[]; more: boolean }>

  /**
   * Deletes superseded ops with seq <= horizon and raises the space's horizon to it
   * (never lowers it). Returns how many ops were deleted.
   */
  prune(space: string, horizon: number): Promise<number>

  /** Records that a device was seen, and raises its acknowledged cursor when given. */
  touchClient(space: string, device: string, lastSeen: number, cursor?: number): Promise<void>
  /** Many `touchClient` calls in one transaction. */
  touchClients(sightings: readonly ClientSighting[]): Promise<void>
  clients(space: string): Promise<ClientRow[]>

  /** Remembers a one-time challenge nonce until expiresAt (ms). */
  putChallenge(nonce: string, expiresAt: number): Promise<void>
  /** Consumes a nonce: true once, when it exists and has not expired at `now`. */
  takeChallenge(nonce: string, now: number): Promise<boolean>
  /** Stores a session under a key (the service passes a hash of the token). */
  putSession(key: string, session: SessionRow): Promise<void>
  getSession(key: string): Promise<SessionRow | undefined>
  /** Deletes expired sessions and challenges. */
  sweepExpired(now: number): Promise<void>

  /** The space's current schema descriptors (at most one per collection name). */
  getDescriptors(space: string): Promise<DescriptorRow[]>
  /** Stores descriptors, each replacing the one of the same name; creates the space. */
  putDescriptors(space: string, descriptors: readonly DescriptorRow[]): Promise<void>

  /** Every space name, in name order. */
  spaces(): Promise<string[]>
  stats(): Promise<StoreStats>
  close(): Promise<void>
}
