/**
 * Collection descriptors and schemas (PROTOCOL.md §5), and the schema checks of op
 * validation (§3 step 5-6): unknown_collection, bad_action, bad_field, owned.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { toHex, utf8 } from './bytes.ts'
import { type ErrorInfo, fail, ok, type Result } from './errors.ts'
import { canonicalJson, isPlainObject } from './json.ts'

export type Crdt = 'lww' | 'gset' | 'lwwset'
export type OnConflict = 'merge' | 'overwrite' | 'ignore'
export type FieldType = 'string' | 'number' | 'boolean' | 'json'

/** A collection definition in canonical form. */
export interface Descriptor {
  name: string
  crdt: Crdt
  /** For `lww` only; always written out there. */
  onConflict?: OnConflict
  owned: boolean
  /** Optional field types, checked on every op (`bad_field`). */
  fields?: Readonly<Record<string, FieldType>>
}

/** What an app may write for a descriptor: defaults may be left out. */
export interface DescriptorInput {
  name: string
  crdt: Crdt
  onConflict?: OnConflict
  owned?: boolean
  fields?: Record<string, FieldType>
}

/** A space's collections by name. A Map, so names like "constructor" are just names. */
export type Schema = ReadonlyMap<string, Descriptor>

/** The built-in access collection (§5, §8): every space has it; it is not in the schema's set. */
export const MEMBERS = '_members'
export const MEMBERS_DESCRIPTOR: Descriptor = Object.freeze({
  name: MEMBERS,
  crdt: 'lww',
  onConflict: 'merge',
  owned: false,
})

const CRDTS: readonly string[] = ['lww', 'gset', 'lwwset']
const ON_CONFLICT: readonly string[] = ['merge', 'overwrite', 'ignore']
const FIELD_TYPES: readonly string[] = ['string', 'number', 'boolean', 'json']
const DESCRIPTOR_KEYS = new Set(['name', 'crdt', 'onConflict', 'owned', 'fields'])

/** Validates a descriptor as written by a client and returns its canonical form. */
export function normalizeDescriptor(input: unknown): Result<Descriptor> {
  if (!isPlainObject(input)) return fail('malformed', 'a descriptor is an object')
  for (const key of Object.keys(input)) {
    if (!DESCRIPTOR_KEYS.has(key)) return fail('malformed', `unknown descriptor key ${JSON.stringify(key)}`)
  }
  const { name, crdt, onConflict, owned, fields } = input
  if (!isName(name)) return fail('malformed', 'descriptor name must be a string of 1 to 256 characters')
  if (typeof crdt !== 'string' || !CRDTS.includes(crdt))
    return fail('malformed', `collection ${name}: unknown crdt`)
  if (owned !== undefined && typeof owned !== 'boolean')
    return fail('malformed', `collection ${name}: owned is a boolean`)
  const descriptor: Descriptor = { name, crdt: crdt as Crdt, owned: owned ?? false }
  if (crdt === 'lww') {
    if (onConflict !== undefined && (typeof onConflict !== 'string' || !ON_CONFLICT.includes(onConflict))) {
      return fail('malformed', `collection ${name}: onConflict is merge, overwrite or ignore`)
    }
    descriptor.onConflict = (onConflict as OnConflict | undefined) ?? 'merge'
  } else if (onConflict !== undefined) {
    return fail('malformed', `collection ${name}: onConflict is for lww collections only`)
  }
  if (fields !== undefined) {
    if (!isPlainObject(fields)) return fail('malformed', `collection ${name}: fields maps names to types`)
    const types: Record<string, FieldType> = {}
    for (const [field, type] of Object.entries(fields)) {
      if (typeof type !== 'string' || !FIELD_TYPES.includes(type)) {
        return fail('malformed', `collection ${name}: field ${field} has an unknown type`)
      }
      types[field] = type as FieldType
    }
    descriptor.fields = types
  }
  return ok(descriptor)
}

/** Hex SHA-256 of the descriptor's canonical JSON. */
export function descriptorId(descriptor: Descriptor): string {
  return toHex(sha256(utf8(canonicalJson(descriptor))))
}

/** The descriptor that governs `collection`, with `_members` built in. */
export function descriptorOf(schema: Schema, collection: string): Descriptor | undefined {
  if (collection === MEMBERS) return MEMBERS_DESCRIPTOR
  if (collection.startsWith('_')) return undefined
  return schema.get(collection)
}

/**
 * Adds descriptors to a schema. Schemas change only additively: a new collection, or
 * new optional fields. Changing crdt, onConflict, owned, or an existing field's type,
 * or dropping a field, is `schema_conflict` naming the collection.
 */
export function extendSchema(schema: Schema, descriptors: Iterable<Descriptor>): Result<Schema> {
  const next = new Map(schema)
  for (const d of descriptors) {
    if (d.name.startsWith('_'))
      return fail('schema_conflict', `collection ${d.name}: names starting with _ are the system's`)
    const old = next.get(d.name)
    if (old) {
      const conflict = incompatibility(old, d)
      if (conflict) return fail('schema_conflict', `collection ${d.name}: ${conflict}`)
    }
    next.set(d.name, d)
  }
  return ok(next)
}

function incompatibility(old: Descriptor, next: Descriptor): string | undefined {
  if (old.crdt !== next.crdt) return `crdt ${old.crdt} cannot become ${next.crdt}`
  if (old.onConflict !== next.onConflict)
    return `onConflict ${old.onConflict} cannot become ${next.onConflict}`
  if (old.owned !== next.owned) return `owned ${old.owned} cannot become ${next.owned}`
  if (old.fields) {
    if (!next.fields) return 'field types cannot be dropped'
    for (const [field, type] of Object.entries(old.fields)) {
      if (next.fields[field] !== type)
        return `field ${field} cannot change from ${type} to ${next.fields[field] ?? 'nothing'}`
    }
  }
  return undefined
}

/** Builds a schema from descriptors as an app writes them. */
export function createSchema(inputs: Iterable<DescriptorInput | Descriptor>): Result<Schema> {
  const descriptors: Descriptor[] = []
  for (const input of inputs) {
    const d = normalizeDescriptor(input)
    if (!d.ok) return d
    descriptors.push(d.value)
  }
  return extendSchema(new Map(), descriptors)
}

/** True for a string of 1 to 256 Unicode code points (the limit of names and ids, §3). */
export function isName(value: unknown, max = 256): value is string {
  if (typeof value !== 'string' || value.length === 0) return false
  if (value.length <= max) return true
  if (value.length > 2 * max) return false
  let points = 0
  for (const _ of value) if (++points > max) return false
  return true
}

/** The part of an op the schema checks look at. */
export interface SchemaCheckedOp {
  collection: string
  record: string
  action: 'create' | 'update' | 'delete'
  fields?: Readonly<Record<string, unknown>>
  author: string
}

/**
 * Validation steps 5 and 6 of §3, in order: unknown_collection, bad_action,
 * bad_field, owned. Returns the governing descriptor.
 */
export function checkOpSchema(op: SchemaCheckedOp, schema: Schema): Result<Descriptor> {
  const d = descriptorOf(schema, op.collection)
  if (!d) return { ok: false, error: unknownCollection(op.collection) }
  const problem = opProblem(op, d)
  return problem ? { ok: false, error: problem } : ok(d)
}

export function unknownCollection(name: string): ErrorInfo {
  return { code: 'unknown_collection', message: `no collection ${JSON.stringify(name)} in this space` }
}

/** The schema problem of an op in a known collection, if any (allocates nothing when none). */
export function opProblem(op: SchemaCheckedOp, d: Descriptor): ErrorInfo | undefined {
  if (d.crdt === 'gset' && op.action !== 'create') {
    return { code: 'bad_action', message: `${d.name} is a grow-only set: only create` }
  }
  if (d.crdt === 'lwwset' && op.action === 'update') {
    return { code: 'bad_action', message: `${d.name} is a last-writer-wins set: create or delete` }
  }
  if (d.fields && op.fields) {
    for (const [field, value] of Object.entries(op.fields)) {
      const type = d.fields[field]
      if (!type) return { code: 'bad_field', message: `${d.name} has no field ${JSON.stringify(field)}` }
      if (!fieldTypeMatches(type, value))
        return { code: 'bad_field', message: `${d.name}.${field} must be a ${type}` }
    }
  }
  if (d.owned && !isOwnedBy(op.record, op.author)) {
    return {
      code: 'owned',
      message: `${d.name} records are owned: the record id must start with the author's id and /`,
    }
  }
  return undefined
}

/** `null` clears a field of any type. */
function fieldTypeMatches(type: FieldType, value: unknown): boolean {
  if (value === null || type === 'json') return true
  return typeof value === type
}

/** Owned record ids are `<author device id>/<key>` (§4). */
export function isOwnedBy(record: string, author: string): boolean {
  return record.length > author.length && record.startsWith(author) && record.charCodeAt(author.length) === 47
}
