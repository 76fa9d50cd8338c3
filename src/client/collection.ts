/**
 * A collection of a space: the typed face of the engine's record operations. Every
 * mutating call resolves once the change is durable in IndexedDB.
 */
import type { Remote } from 'comlink'
import { proxy } from 'comlink'
import type { JsonObject } from '../core/json.ts'
import type { EngineApi, Row, RowsDelta } from '../../worker/engine/engine.ts'
import { LiveRows } from './live-rows.ts'
import { type SynclineError, unwrap } from './errors.ts'

export type { Row }

/** A record's value when a collection is not given a type: any JSON object. */
export type RecordValue = { [field: string]: unknown }

/** A record as lists and live queries give it. */
export interface TypedRow<T> {
  /** The record's key (for owned collections, without the owner's device id). */
  id: string
  /** For owned collections: the device that owns the record. */
  owner?: string
  value: T
}

export interface ListOptions {
  /** Only records whose key starts with this (for owned collections: the key without the device id). */
  prefix?: string
}

export interface SubscribeOptions extends ListOptions {
  /**
   * Called if the query cannot run (e.g. `unknown_collection`); no rows follow. Without
   * it the error surfaces as an unhandled promise rejection, never silently.
   */
  onError?: (error: SynclineError) => void
}

/**
 * A collection of a space, `T` being its record type. Every write is one signed op
 * (PROTOCOL.md §3) and resolves once it is durable in IndexedDB; it fails with a
 * `SynclineError` (`bad_action`, `bad_field`, `unknown_collection`, `quota_exceeded`,
 * ...) and then leaves no trace. In an owned collection (`owned: true`) writes go to
 * this device's records.
 */
export interface Collection<T extends object = RecordValue> {
  /** The collection's name in the schema. */
  readonly name: string
  /**
   * Writes a record (a `create` op). With `lww` and `onConflict: 'merge'` (the default)
   * each field takes its newest value, so fields that `value` leaves out keep theirs
   * (delete first to start afresh); `overwrite` replaces the whole record; `ignore`
   * keeps the first create. In a `gset` the first create wins; in an `lwwset` it adds.
   */
  put(key: string, value: T): Promise<void>
  /**
   * Changes some fields of a record, creating it if needed (an `update` op; `lww`
   * only, else `bad_action`). Under `onConflict: 'overwrite'` the fields given become
   * the whole record.
   */
  update(key: string, fields: Partial<T>): Promise<void>
  /** Deletes a record (a `delete` op): `lww` and `lwwset`; `bad_action` on a `gset`. */
  delete(key: string): Promise<void>
  /** The record, or undefined. `owner` reads another device's record of an owned collection. */
  get(key: string, options?: { owner?: string }): Promise<T | undefined>
  /** The records, sorted by id, as they are now. */
  list(options?: ListOptions): Promise<TypedRow<T>[]>
  /**
   * Calls `listener` with the matching records (sorted by id) as soon as the engine
   * answers, then after every change (local, another tab, or from the server), each
   * time with a new array. Returns a function that stops it (no call follows).
   */
  subscribe(listener: (rows: TypedRow<T>[]) => void, options?: SubscribeOptions): () => void
}

export function createCollection<T extends object>(
  engine: Remote<EngineApi>,
  space: string,
  name: string,
): Collection<T> {
  return {
    name,
    async put(key, value) {
      unwrap(await engine.write(space, name, key, 'create', value as JsonObject))
    },
    async update(key, fields) {
      unwrap(await engine.write(space, name, key, 'update', fields as JsonObject))
    },
    async delete(key) {
      unwrap(await engine.write(space, name, key, 'delete'))
    },
    async get(key, options) {
      return unwrap(await engine.get(space, name, key, options?.owner)) as T | undefined
    },
    async list(options) {
      return unwrap(await engine.list({ space, collection: name, prefix: options?.prefix })) as TypedRow<T>[]
    },
    subscribe(listener, options) {
      let stopped = false
      const live = new LiveRows()
      const id = engine
        .subscribe(
          { space, collection: name, prefix: options?.prefix },
          proxy((delta: RowsDelta) => {
            const rows = live.apply(delta)
            if (!stopped) listener(rows as TypedRow<T>[])
          }),
        )
        .then(result => unwrap(result))
      const onError = options?.onError
      const started = onError
        ? id.catch((error: SynclineError) => {
            if (!stopped) onError(error)
            return undefined
          })
        : id
      return () => {
        stopped = true
        void started.then(n => {
          if (n !== undefined) void engine.unsubscribe(n)
        })
      }
    },
  }
}
