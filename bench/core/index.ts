/**
 * Core benchmarks (TARGETS.md): merge throughput (target >= 1,000,000 ops/s in Node),
 * and op build+sign, verify and full validation per second for each Ed25519 backend.
 * Run with `npm run bench` (all benchmarks) or `npx tsx bench/core/index.ts`.
 */
import { randomBytes } from 'node:crypto'
import { nodeEd25519 } from '../../server/node-ed25519.ts'
import { toHex } from '../../src/core/bytes.ts'
import { type AnyEd25519Backend, createVerifier, nobleEd25519 } from '../../src/core/ed25519.ts'
import { SpaceState } from '../../src/core/merge/space-state.ts'
import { type Op, signOp, type UnsignedOp } from '../../src/core/op.ts'
import { createSchema } from '../../src/core/schema.ts'
import { createClock, instanceId, msToNs } from '../../src/core/uhlc.ts'
import { checkSignedOp } from '../../src/core/validate.ts'
import { webcryptoEd25519 } from '../../worker/engine/webcrypto-ed25519.ts'
import { printTable, type Row, rate, writeResults } from '../lib/report.ts'

const schema = createSchema([
  { name: 'items', crdt: 'lww' },
  { name: 'docs', crdt: 'lww', onConflict: 'overwrite' },
  { name: 'tags', crdt: 'lwwset' },
  { name: 'history', crdt: 'gset' },
])
if (!schema.ok) throw new Error(schema.error.message)

const clock = createClock({ id: instanceId(randomBytes(16)), physicalNs: () => msToNs(Date.now()) })

/** Ops shaped like an app's: field updates to 10k items, overwrites, tags and history. */
function workload(count: number): Op[] {
  const ops: Op[] = []
  const kinds = ['items', 'items', 'items', 'docs', 'tags', 'history'] as const
  for (let i = 0; i < count; i++) {
    const collection = kinds[i % kinds.length]!
    const record = `r${(i * 7919) % 10_000}`
    const action = collection === 'tags' && i % 4 === 0 ? 'delete' : i % 10 === 0 ? 'create' : 'update'
    const op: Op = {
      space: 'bench',
      collection,
      record,
      action:
        collection === 'history'
          ? 'create'
          : collection === 'tags' && action === 'update'
            ? 'create'
            : action,
      hlc: clock.now(),
      author: 'author',
      id: toHex(randomBytes(32)),
      sig: '',
    }
    if (op.action !== 'delete') op.fields = { [`f${i % 3}`]: i, title: `item ${i}` }
    ops.push(op)
  }
  return ops
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

const rows: Row[] = []
const N = 300_000
const inOrder = workload(N)
// Re-parsed after shuffling, so the objects lie in memory in arrival order, as ops
// decoded from the network do (shuffling the array alone would measure cache misses).
const shuffled = JSON.parse(JSON.stringify(shuffle([...inOrder]))) as Op[]
for (const [name, ops] of [
  ['in hlc order', inOrder],
  ['shuffled', shuffled],
] as const) {
  const oneByOne = await rate(N, () => {
    const space = new SpaceState(schema.value)
    for (const op of ops) space.apply(op)
  })
  rows.push({
    what: `merge ${N / 1000}k ops one by one, ${name}`,
    backend: '-',
    perSecond: oneByOne,
    target: 1_000_000,
  })
  const batched = await rate(N, () => {
    const space = new SpaceState(schema.value)
    for (let i = 0; i < ops.length; i += 1000) space.applyAll(ops.slice(i, i + 1000))
  })
  rows.push({
    what: `merge ${N / 1000}k ops in batches of 1,000, ${name}`,
    backend: '-',
    perSecond: batched,
    target: 1_000_000,
  })
}

const webcrypto = await webcryptoEd25519()
const backends: AnyEd25519Backend[] = [nobleEd25519, nodeEd25519, ...(webcrypto ? [webcrypto] : [])]
const seed = randomBytes(32)
for (const backend of backends) {
  const signer = await backend.importSigner(seed)
  const author = Buffer.from(signer.publicKey).toString('base64url')
  const count = backend === nobleEd25519 ? 1_000 : 5_000
  const build = (i: number): UnsignedOp => ({
    space: 'bench',
    collection: 'items',
    record: `r${i}`,
    action: 'update',
    fields: { title: `item ${i}`, done: i % 2 === 0 },
    hlc: clock.now(),
    author,
  })
  let signed: Op[] = []
  const buildRate = await rate(
    count,
    async () => {
      signed = []
      for (let i = 0; i < count; i++) signed.push(await signOp(build(i), signer))
    },
    3,
  )
  rows.push({ what: 'op build + sign', backend: backend.name, perSecond: buildRate, target: null })
  const verifier = createVerifier(backend)
  const verifyRate = await rate(
    count,
    async () => {
      const results = await Promise.all(signed.map(op => checkSignedOp(op, verifier)))
      if (!results.every(r => r.ok)) throw new Error('verification failed')
    },
    3,
  )
  rows.push({
    what: 'op verify (shape + id + signature)',
    backend: backend.name,
    perSecond: verifyRate,
    target: null,
  })
}

printTable('core', rows)
console.log(`\nwrote ${writeResults('core', rows)}`)
