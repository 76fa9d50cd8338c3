/**
 * Live queries: a collection (optionally the records whose key starts with a prefix)
 * watched for changes. The first answer is the whole result; after that only the
 * records a change touched travel (`RowsDelta`, keyed by record id in `list` order),
 * so a change costs O(changed), not O(collection), here and on the way to the UI.
 * Owned collections hide the device prefix of their record ids (PROTOCOL.md §4).
 */
import { SynclineError } from '../../src/core/errors.ts'
import type { JsonObject } from '../../src/core/json.ts'
import { type Descriptor, descriptorOf, type Schema } from '../../src/core/schema.ts'
import type { Change, Replica } from './replica.ts'

/** A record as the app sees it. For owned collections `id` is the key and `owner` the device. */
export interface Row {
  id: string
  owner?: string
  value: JsonObject
}

export interface Query {
  space: string
  collection: string
  prefix?: string
}

export interface RowsDelta {
  /** The whole result (the first message). */
  reset?: [string, Row][]
  upserts: [string, Row][]
  removes: string[]
}

export class LiveQueries {
  private readonly subscriptions = new Map<number, { query: Query; listener: (delta: RowsDelta) => void }>()
  private nextId = 1

  constructor(
    private readonly replica: Replica,
    private readonly schema: Schema,
  ) {}

  /** The stored record id: owned records are `<device>/<key>`. */
  recordId(collection: string, key: string, owner?: string): string {
    return this.descriptor(collection).owned ? `${owner ?? this.replica.device}/${key}` : key
  }

  rows(query: Query): Row[] {
    return this.entries(query).map(([, row]) => row)
  }

  /** Starts a live query: `listener` gets the whole result now, then deltas. */
  subscribe(query: Query, listener: (delta: RowsDelta) => void): number {
    this.descriptor(query.collection)
    const id = this.nextId++
    this.subscriptions.set(id, { query, listener })
    listener({ reset: this.entries(query), upserts: [], removes: [] })
    return id
  }

  unsubscribe(id: number): void {
    this.subscriptions.delete(id)
  }

  /** Sends each affected query the records `change` touched. */
  changed(change: Change): void {
    for (const { query, listener } of this.subscriptions.values()) {
      if (query.space !== change.space) continue
      const records = change.records.get(query.collection)
      if (!records) continue
      const owned = this.descriptor(query.collection).owned
      const prefix = query.prefix ?? ''
      const delta: RowsDelta = { upserts: [], removes: [] }
      for (const id of records) {
        if (!keyOf(id, owned).startsWith(prefix)) continue
        const value = this.replica.get(change.space, query.collection, id)
        const row = value && rowOf(owned, prefix, id, value)
        if (row) delta.upserts.push([id, row])
        else delta.removes.push(id)
      }
      if (delta.upserts.length || delta.removes.length) listener(delta)
    }
  }

  private entries({ space, collection, prefix = '' }: Query): [string, Row][] {
    const owned = this.descriptor(collection).owned
    const out: [string, Row][] = []
    for (const [id, value] of this.replica.list(space, collection, owned ? '' : prefix)) {
      const row = rowOf(owned, prefix, id, value)
      if (row) out.push([id, row])
    }
    return out
  }

  private descriptor(collection: string): Descriptor {
    const d = descriptorOf(this.schema, collection)
    if (!d)
      throw new SynclineError(
        'unknown_collection',
        `no collection ${JSON.stringify(collection)} in the schema`,
      )
    return d
  }
}

function keyOf(recordId: string, owned: boolean): string {
  return owned ? recordId.slice(recordId.indexOf('/') + 1) : recordId
}

/** A record as the app sees it, or undefined when it does not match the prefix. */
function rowOf(owned: boolean, prefix: string, id: string, value: JsonObject): Row | undefined {
  if (!owned) return id.startsWith(prefix) ? { id, value } : undefined
  const slash = id.indexOf('/')
  const key = id.slice(slash + 1)
  return key.startsWith(prefix) ? { id: key, owner: id.slice(0, slash), value } : undefined
}
