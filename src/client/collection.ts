/**
 * A collection of a space: the typed face of the engine's record operations. Every
 * mutating call resolves once the change is durable in IndexedDB.
 */
import type { Remote } from 'comlink'
import { proxy } from 'comlink'
import type { JsonObject } from '../core/json.ts'
import type { EngineApi, Row, RowsDelta } from '../../worker/engine/engine.ts'
import { LiveRows } from './live-rows.ts'
import { unwrap } from './errors.ts'

export type { Row }

/** A record's value: any JSON object. */
export type RecordValue = { [field: string]: unknown }

export interface TypedRow<T> {
  /** The record's key (for owned collections, without the owner's device id). */
  id: string
  /** For owned collections: the device that owns the record. */
  owner?: string
  value: T
}

export interface ListOptions {
  /** Only records whose key starts with this. */
  prefix?: string
}

export interface Collection<T extends object = RecordValue> {
  readonly name: string
  /** Creates (or recreates) a record with these fields. */
  put(key: string, value: T): Promise<void>
  /** Changes some fields of a record (creating it if needed). */
  update(key: string, fields: Partial<T>): Promise<void>
  delete(key: string): Promise<void>
  /** The record, or undefined. `owner` reads another device's record of an owned collection. */
  get(key: string, options?: { owner?: string }): Promise<T | undefined>
  list(options?: ListOptions): Promise<TypedRow<T>[]>
  /**
   * Calls `listener` with the matching records now and after every change (local,
   * another tab, or from the server). Returns a function that stops it.
   */
  subscribe(listener: (rows: TypedRow<T>[]) => void, options?: ListOptions): () => void
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
      return () => {
        stopped = true
        void id.then(n => engine.unsubscribe(n))
      }
    },
  }
}
