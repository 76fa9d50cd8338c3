/**
 * PROTOCOL.md §4 written as directly as possible, recomputing everything from the
 * whole op set: the oracle the incremental `SpaceState` is tested against.
 */
import type { JsonObject } from '../json.ts'
import { compareOps, type Op } from '../op.ts'
import { checkOpSchema, type Schema } from '../schema.ts'

export interface ReferenceResult {
  state: Record<string, Record<string, JsonObject>>
  live: string[]
  rejected: { id: string; code: string }[]
}

export function referenceMerge(schema: Schema, input: Op[]): ReferenceResult {
  const byId = new Map(input.map(op => [op.id, op]))
  const rejected: { id: string; code: string }[] = []
  const groups = new Map<string, Op[]>()
  const state: ReferenceResult['state'] = { _members: {} }
  for (const name of schema.keys()) state[name] = {}
  for (const op of byId.values()) {
    const checked = checkOpSchema(op, schema)
    if (!checked.ok) {
      rejected.push({ id: op.id, code: checked.error.code })
      continue
    }
    const key = JSON.stringify([op.collection, op.record])
    groups.set(key, [...(groups.get(key) ?? []), op])
  }
  const live: string[] = []
  for (const ops of groups.values()) {
    ops.sort(compareOps)
    const { collection, record } = ops[0]!
    const d = collection === '_members' ? { crdt: 'lww', onConflict: 'merge' } : schema.get(collection)!
    const newest = ops[ops.length - 1]!
    let fields: JsonObject | undefined
    if (d.crdt === 'gset') {
      live.push(ops[0]!.id)
      fields = ops[0]!.fields
    } else if (d.crdt === 'lwwset') {
      live.push(newest.id)
      fields = newest.action === 'create' ? newest.fields : undefined
    } else {
      const writes = ops.filter(op => op.action !== 'delete')
      const del = ops.filter(op => op.action === 'delete').at(-1)
      const afterDel = (op: Op) => !del || compareOps(op, del) > 0
      const witness = writes.at(-1)
      if (witness) live.push(witness.id)
      if (del) live.push(del.id)
      const visible = witness !== undefined && afterDel(witness)
      const perField = (contributors: Op[]) => {
        const out: JsonObject = {}
        const writers = new Map<string, Op>()
        for (const op of contributors) for (const f of Object.keys(op.fields!)) writers.set(f, op)
        for (const [f, op] of writers) out[f] = op.fields![f]!
        return { out, writers: [...writers.values()] }
      }
      if (d.onConflict === 'overwrite') {
        fields = visible ? witness.fields : undefined
      } else if (d.onConflict === 'merge') {
        const { out, writers } = perField(writes.filter(afterDel))
        if (visible) live.push(...writers.map(op => op.id))
        fields = visible ? out : undefined
      } else {
        const post = writes.filter(afterDel)
        live.push(...post.map(op => op.id))
        const first = post.find(op => op.action === 'create')
        const { out } = perField(post.filter(op => op === first || op.action === 'update'))
        fields = visible ? out : undefined
      }
    }
    if (fields) {
      state[collection] ??= {}
      state[collection]![record] = { ...fields }
    }
  }
  return { state, live: [...new Set(live)].sort(), rejected: rejected.sort((a, b) => (a.id < b.id ? -1 : 1)) }
}
