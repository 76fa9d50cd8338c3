import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JsonObject } from '../json.ts'
import type { Action, Op } from '../op.ts'
import {
  createSchema,
  type Descriptor,
  type DescriptorInput,
  normalizeDescriptor,
  type Schema,
} from '../schema.ts'
import { referenceMerge } from '../testing/reference-merge.ts'
import { loadVectors } from '../testing/vectors.ts'
import { SpaceState } from './space-state.ts'

interface MergeCase {
  name: string
  schema: Record<string, unknown>
  ops: Op[]
  expectedState: Record<string, Record<string, JsonObject>>
  expectedLive: string[]
  expectedRejected: { id: string; code: string }[]
}
interface CompactionCase {
  name: string
  schema: Record<string, unknown>
  a: Op[]
  b: Op[]
  expectedLiveA: string[]
  expectedLive: string[]
  expectedState: Record<string, Record<string, JsonObject>>
}
const vectors = loadVectors<{ cases: MergeCase[]; compaction: CompactionCase[] }>('merge')

function schemaOf(descriptors: Iterable<unknown>): Schema {
  const normalized: Descriptor[] = []
  for (const d of descriptors) {
    const n = normalizeDescriptor(d)
    if (!n.ok) throw new Error(n.error.message)
    normalized.push(n.value)
  }
  const schema = createSchema(normalized)
  if (!schema.ok) throw new Error(schema.error.message)
  return schema.value
}

function merge(schema: Schema, ops: Iterable<Op>) {
  const space = new SpaceState(schema)
  const rejected = new Map<string, string>()
  for (const op of ops) {
    const outcome = space.apply(op)
    if (outcome.status === 'rejected') rejected.set(op.id, outcome.error.code)
  }
  const sorted = [...rejected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, code]) => ({ id, code }))
  return { space, state: space.snapshot(), live: liveIds(space), rejected: sorted }
}

const liveIds = (space: SpaceState) => [...space.liveOps()].map(op => op.id).sort()

describe('merge semantics and live ops (§4): vectors', () => {
  it.each(vectors.cases)('$name', c => {
    const schema = schemaOf(Object.values(c.schema))
    const result = merge(schema, c.ops)
    expect(result.state).toEqual(c.expectedState)
    expect(result.live).toEqual(c.expectedLive)
    expect(result.rejected).toEqual(c.expectedRejected)
    const reference = referenceMerge(schema, c.ops)
    expect(reference.state).toEqual(c.expectedState)
    expect(reference.live).toEqual(c.expectedLive)
    expect(reference.rejected).toEqual(c.expectedRejected)
  })

  it.each(vectors.compaction)('$name: live(live(A) ∪ B) = live(A ∪ B)', c => {
    const schema = schemaOf(Object.values(c.schema))
    const a = merge(schema, c.a)
    expect(a.live).toEqual(c.expectedLiveA)
    const compacted = merge(schema, [...a.space.liveOps(), ...c.b])
    expect(compacted.live).toEqual(c.expectedLive)
    expect(compacted.state).toEqual(c.expectedState)
    const whole = merge(schema, [...c.a, ...c.b])
    expect(whole.live).toEqual(c.expectedLive)
    expect(whole.state).toEqual(c.expectedState)
  })
})

// Random op sets over every CRDT type and conflict mode, with few records, fields and
// times so that ties, deletes and overwrites collide often.
const COLLECTIONS: DescriptorInput[] = [
  { name: 'm', crdt: 'lww', onConflict: 'merge' },
  { name: 'o', crdt: 'lww', onConflict: 'overwrite' },
  { name: 'i', crdt: 'lww', onConflict: 'ignore' },
  { name: 'g', crdt: 'gset' },
  { name: 's', crdt: 'lwwset' },
  { name: 'om', crdt: 'lww', owned: true },
]
const SCHEMA = schemaOf(COLLECTIONS)
const AUTHORS = ['alice', 'bob']
const ACTIONS: Record<string, Action[]> = {
  m: ['create', 'update', 'delete'],
  o: ['create', 'update', 'delete'],
  i: ['create', 'update', 'delete'],
  om: ['create', 'update', 'delete'],
  g: ['create', 'create', 'update'],
  s: ['create', 'delete', 'update'],
}

const arbOp: fc.Arbitrary<Op> = fc
  .record({
    collection: fc.constantFrom(...COLLECTIONS.map(c => c.name), '_members', 'nope'),
    key: fc.constantFrom('x', 'y'),
    author: fc.constantFrom(...AUTHORS),
    ownerIsAuthor: fc.boolean(),
    actionIndex: fc.nat(2),
    time: fc.integer({ min: 0, max: 6 }),
    clockId: fc.constantFrom('A', 'B'),
    fields: fc.dictionary(
      fc.constantFrom('a', 'b', 'c'),
      fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(null)),
      {
        maxKeys: 3,
      },
    ),
    id: fc.stringMatching(/^[0-9a-f]{64}$/),
  })
  .map(r => {
    const action = (ACTIONS[r.collection] ?? ['create', 'update', 'delete'])[r.actionIndex]!
    const owner = r.ownerIsAuthor ? r.author : AUTHORS.find(a => a !== r.author)!
    const op: Op = {
      space: 'sp',
      collection: r.collection,
      record: r.collection === 'om' ? `${owner}/${r.key}` : r.key,
      action,
      hlc: `2026-01-01T00:00:00.00000000${r.time}Z/${r.clockId.repeat(32)}`,
      author: r.author,
      id: r.id,
      sig: 'unused',
    }
    if (action !== 'delete') op.fields = r.fields
    return op
  })

const arbOps = fc.uniqueArray(arbOp, { maxLength: 30, selector: op => op.id })

/** A reordering of `ops` with duplicates, as random batches. */
const arbDelivery = (ops: Op[]) =>
  fc
    .tuple(
      fc.shuffledSubarray(ops, { minLength: 0, maxLength: ops.length }),
      fc.array(fc.nat(), { minLength: ops.length * 2, maxLength: ops.length * 2 }),
    )
    .map(([dups, keys]) => {
      const all = [...ops, ...dups]
      return all
        .map((op, i) => ({ op, k: keys[i % keys.length]! + i / 1000 }))
        .sort((x, y) => x.k - y.k)
        .map(x => x.op)
    })

describe('merge is a function of the op set (§4): properties', () => {
  it('any permutation, duplication or batching gives the same state and live set', () => {
    fc.assert(
      fc.property(
        arbOps.chain(ops => fc.tuple(fc.constant(ops), arbDelivery(ops), fc.nat({ max: 5 }))),
        ([ops, delivery, batchSize]) => {
          const expected = merge(SCHEMA, ops)
          // Batches: each state gets one slice, then they are replayed into a fresh one
          // in reverse, as replicas exchanging batches would.
          const size = batchSize + 1
          const batches: Op[][] = []
          for (let i = 0; i < delivery.length; i += size) batches.push(delivery.slice(i, i + size))
          const shuffled = merge(SCHEMA, delivery)
          const batchedState = new SpaceState(SCHEMA)
          for (const batch of batches.reverse()) batchedState.applyAll(batch)
          const batched = {
            state: batchedState.snapshot(),
            live: liveIds(batchedState),
            rejected: expected.rejected,
          }
          for (const other of [shuffled, batched]) {
            expect(other.state).toEqual(expected.state)
            expect(other.live).toEqual(expected.live)
            expect(other.rejected).toEqual(expected.rejected)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('agrees with the reference written straight from the protocol text', () => {
    fc.assert(
      fc.property(arbOps, ops => {
        const incremental = merge(SCHEMA, ops)
        const reference = referenceMerge(SCHEMA, ops)
        expect(incremental.state).toEqual(reference.state)
        expect(incremental.live).toEqual(reference.live)
        expect(incremental.rejected).toEqual(reference.rejected)
      }),
      { numRuns: 1000 },
    )
  })

  it('compaction is safe: live(live(A) ∪ B) = live(A ∪ B) with the same state', () => {
    fc.assert(
      fc.property(arbOps, arbOps, (a, b) => {
        // B shares times with A, so it holds ops both older and newer than A's.
        const compactedA = merge(SCHEMA, a).space.liveOps()
        const compacted = merge(SCHEMA, [...compactedA, ...b])
        const whole = merge(SCHEMA, [...a, ...b])
        expect(compacted.live).toEqual(whole.live)
        expect(compacted.state).toEqual(whole.state)
      }),
      { numRuns: 1000 },
    )
  })

  it('reports exactly the ops entering and leaving the live set', () => {
    fc.assert(
      fc.property(arbOps, ops => {
        const space = new SpaceState(SCHEMA)
        const running = new Set<string>()
        for (const op of ops) {
          const outcome = space.apply(op)
          if (outcome.status !== 'applied') continue
          for (const added of outcome.liveAdded) {
            expect(running.has(added.id)).toBe(false)
            running.add(added.id)
          }
          for (const removed of outcome.liveRemoved) expect(running.delete(removed.id)).toBe(true)
          expect([...running].sort()).toEqual(liveIds(space))
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('reports the net change of the live set for a batch', () => {
    fc.assert(
      fc.property(arbOps, fc.array(fc.nat({ max: 8 }), { maxLength: 10 }), (ops, cuts) => {
        const space = new SpaceState(SCHEMA)
        const running = new Set<string>()
        let start = 0
        for (const size of [...cuts, ops.length]) {
          const batch = ops.slice(start, start + size)
          start += size
          const before = new Set(liveIds(space))
          const outcome = space.applyAll(batch)
          const after = new Set(liveIds(space))
          expect(outcome.liveAdded.map(op => op.id).sort()).toEqual(
            [...after].filter(id => !before.has(id)).sort(),
          )
          expect(outcome.liveRemoved.map(op => op.id).sort()).toEqual(
            [...before].filter(id => !after.has(id)).sort(),
          )
          for (const op of outcome.liveAdded) running.add(op.id)
          for (const op of outcome.liveRemoved) running.delete(op.id)
        }
        expect([...running].sort()).toEqual(liveIds(space))
      }),
      { numRuns: 1000 },
    )
  })
})
