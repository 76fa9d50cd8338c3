/**
 * What the simulated apps do: the schema (every CRDT type and conflict mode, an owned
 * collection, a typed one), random valid writes (creates, updates, deletes on a few
 * shared records, so they conflict), and writes that must be refused with the same
 * code by the writing replica, by the core's checks and by the server.
 */
import type { JsonObject, JsonValue } from '../../../src/core/json.ts'
import type { Action } from '../../../src/core/op.ts'
import { createSchema, type DescriptorInput, type Schema } from '../../../src/core/schema.ts'
import type { Rng } from './prng.ts'

const DESCRIPTORS: DescriptorInput[] = [
  { name: 'notes', crdt: 'lww' },
  { name: 'docs', crdt: 'lww', onConflict: 'overwrite' },
  { name: 'claims', crdt: 'lww', onConflict: 'ignore' },
  { name: 'tags', crdt: 'lwwset' },
  { name: 'history', crdt: 'gset' },
  { name: 'profile', crdt: 'lww', owned: true },
  { name: 'typed', crdt: 'lww', fields: { title: 'string', done: 'boolean', n: 'number' } },
]

const created = createSchema(DESCRIPTORS)
if (!created.ok) throw new Error(created.error.message)
export const SIM_SCHEMA: Schema = created.value

/** Every collection a replica shows, `_members` included. */
export const COLLECTIONS = [...SIM_SCHEMA.keys(), '_members'].sort()

const RECORDS = ['a', 'b', 'c', 'd']
const TITLES = ['milk', 'bread', 'eggs', '', 'ünïcödé', 'x'.repeat(40)]

export interface WriteIntent {
  collection: string
  record: string
  action: Action
  fields?: JsonObject
}

function anyValue(rng: Rng): JsonValue {
  switch (rng.int(6)) {
    case 0:
      return rng.pick(TITLES)
    case 1:
      return rng.chance(0.5)
    case 2:
      return rng.range(-5, 1000)
    case 3:
      return null
    case 4:
      return [rng.int(3), rng.pick(TITLES)]
    default:
      return { nested: rng.int(4) }
  }
}

function someFields(rng: Rng, names: readonly string[], value: (name: string) => JsonValue): JsonObject {
  const fields: JsonObject = {}
  for (const name of names) if (rng.chance(0.5)) fields[name] = value(name)
  if (Object.keys(fields).length === 0 && rng.chance(0.8)) {
    const name = rng.pick(names)
    fields[name] = value(name)
  }
  return fields
}

function typedValue(rng: Rng, name: string): JsonValue {
  if (name === 'title') return rng.pick(TITLES)
  if (name === 'done') return rng.chance(0.5)
  return rng.range(0, 99)
}

/** A valid write of device `device`. */
export function validWrite(rng: Rng, device: string): WriteIntent {
  const collection = rng.pick([...SIM_SCHEMA.keys()])
  const record = collection === 'profile' ? `${device}/${rng.pick(['', 'x'])}` : rng.pick(RECORDS)
  const d = SIM_SCHEMA.get(collection)!
  let action: Action
  if (d.crdt === 'gset') action = 'create'
  else if (d.crdt === 'lwwset') action = rng.chance(0.6) ? 'create' : 'delete'
  else action = rng.weighted({ create: 3, update: 4, delete: 2 })
  if (action === 'delete') return { collection, record, action }
  const fields =
    collection === 'typed'
      ? someFields(rng, ['title', 'done', 'n'], name => typedValue(rng, name))
      : someFields(rng, ['title', 'done', 'n', 'extra'], () => anyValue(rng))
  return { collection, record, action, fields }
}

/** A write every receiver refuses with `code`; `other` is another device's id (owned records). */
export function refusedWrite(rng: Rng, other: string): WriteIntent & { code: string } {
  switch (rng.int(7)) {
    case 0:
      return { collection: 'history', record: 'a', action: 'update', fields: { n: 1 }, code: 'bad_action' }
    case 1:
      return { collection: 'history', record: 'b', action: 'delete', code: 'bad_action' }
    case 2:
      return { collection: 'tags', record: 'c', action: 'update', fields: { n: 1 }, code: 'bad_action' }
    case 3:
      return { collection: 'typed', record: 'a', action: 'update', fields: { title: 5 }, code: 'bad_field' }
    case 4:
      return {
        collection: 'typed',
        record: 'b',
        action: 'create',
        fields: { color: 'red' },
        code: 'bad_field',
      }
    case 5:
      return {
        collection: 'profile',
        record: `${other}/x`,
        action: 'update',
        fields: { n: 2 },
        code: 'owned',
      }
    default:
      return { collection: 'nope', record: 'a', action: 'create', fields: {}, code: 'unknown_collection' }
  }
}
