import { describe, expect, it } from 'vitest'
import { canonicalJson } from './json.ts'
import type { Op } from './op.ts'
import { checkOpSchema, createSchema, descriptorId, extendSchema, normalizeDescriptor } from './schema.ts'
import { loadVectors } from './testing/vectors.ts'

const vectors = loadVectors<{
  descriptors: { input: unknown; descriptor: unknown; canonical: string; id: string }[]
}>('schema')

function descriptor(input: unknown) {
  const result = normalizeDescriptor(input)
  if (!result.ok) throw new Error(result.error.message)
  return result.value
}

describe('schema descriptors (§5): vectors', () => {
  it.each(vectors.descriptors)('$canonical', v => {
    const d = descriptor(v.input)
    expect(d).toEqual(v.descriptor)
    expect(canonicalJson(d)).toBe(v.canonical)
    expect(descriptorId(d)).toBe(v.id)
  })
})

describe('descriptor rules (§5)', () => {
  it.each([
    ['onConflict on a gset', { name: 'g', crdt: 'gset', onConflict: 'merge' }],
    ['onConflict on an lwwset', { name: 's', crdt: 'lwwset', onConflict: 'ignore' }],
    ['an unknown crdt', { name: 'x', crdt: 'counter' }],
    ['an unknown key', { name: 'x', crdt: 'lww', indexed: true }],
    ['an unknown onConflict', { name: 'x', crdt: 'lww', onConflict: 'newest' }],
    ['an unknown field type', { name: 'x', crdt: 'lww', fields: { a: 'date' } }],
    ['owned as a string', { name: 'x', crdt: 'lww', owned: 'yes' }],
    ['an empty name', { name: '', crdt: 'lww' }],
    ['not an object', ['lww']],
  ])('%s is malformed', (_how, input) => {
    const result = normalizeDescriptor(input)
    expect(!result.ok && result.error.code).toBe('malformed')
  })

  it('a user collection whose name starts with _ is a schema_conflict', () => {
    const result = createSchema([{ name: '_private', crdt: 'lww' }])
    expect(!result.ok && result.error.code).toBe('schema_conflict')
  })

  it.each([
    ['crdt', { name: 'items', crdt: 'lwwset' }],
    ['onConflict', { name: 'items', crdt: 'lww', onConflict: 'overwrite' }],
    ['owned', { name: 'items', crdt: 'lww', owned: true }],
    ['a field type', { name: 'items', crdt: 'lww', fields: { title: 'number' } }],
    ['a dropped field', { name: 'items', crdt: 'lww', fields: {} }],
  ])('changing %s is a schema_conflict naming the collection', (_what, next) => {
    const base = createSchema([{ name: 'items', crdt: 'lww', fields: { title: 'string' } }])
    if (!base.ok) throw new Error('base schema')
    const result = extendSchema(base.value, [descriptor(next)])
    expect(!result.ok && result.error.code).toBe('schema_conflict')
    expect(!result.ok && result.error.message).toContain('items')
  })

  it('grows additively: a new collection, a new optional field', () => {
    const base = createSchema([{ name: 'items', crdt: 'lww', fields: { title: 'string' } }])
    if (!base.ok) throw new Error('base schema')
    const grown = extendSchema(base.value, [
      descriptor({ name: 'items', crdt: 'lww', fields: { title: 'string', done: 'boolean' } }),
      descriptor({ name: 'tags', crdt: 'lwwset' }),
    ])
    expect(grown.ok && [...grown.value.keys()]).toEqual(['items', 'tags'])
  })

  it('names that are Object.prototype keys are plain collection names', () => {
    const schema = createSchema([{ name: 'constructor', crdt: 'gset' }])
    if (!schema.ok) throw new Error('schema')
    const op = { collection: 'toString', record: 'r', action: 'create', fields: {}, author: 'a' } as const
    expect(checkOpSchema(op, schema.value).ok).toBe(false)
    expect(checkOpSchema({ ...op, collection: 'constructor' }, schema.value).ok).toBe(true)
  })
})

describe('bad_field (§3 step 5)', () => {
  const schema = createSchema([
    {
      name: 'files',
      crdt: 'lww',
      fields: { path: 'string', size: 'number', hidden: 'boolean', meta: 'json' },
    },
  ])
  if (!schema.ok) throw new Error('schema')
  const op = (fields: Op['fields']) =>
    checkOpSchema({ collection: 'files', record: 'r', action: 'update', fields, author: 'a' }, schema.value)

  it('accepts values of the declared types, and null for any', () => {
    expect(op({ path: 'a', size: 1, hidden: false, meta: { any: [1] } }).ok).toBe(true)
    expect(op({ path: null, size: null }).ok).toBe(true)
  })

  it.each([
    ['a number for a string', { path: 1 }],
    ['a string for a number', { size: '1' }],
    ['a number for a boolean', { hidden: 0 }],
    ['an undeclared field', { owner: 'me' }],
  ])('rejects %s', (_how, fields) => {
    const result = op(fields)
    expect(!result.ok && result.error.code).toBe('bad_field')
  })
})
