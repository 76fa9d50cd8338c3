import { describe, expect, it } from 'vitest'
import { countByDevice, planReplay } from './plan.ts'
import { testOp } from './testing.ts'

const S1 = 'http://one.test'
const S2 = 'http://two.test'
const ids = (batch: { ops: { id: string }[] }) => batch.ops.map(op => op.id)

describe('replay plan: every queued op once, in hlc order, in batches a server takes', () => {
  it('sorts across stored batches (and tabs) by hlc, ties by id', () => {
    const tabA = [testOp(1, 'A'), testOp(5, 'A'), testOp(9, 'A')]
    const tabB = [testOp(2, 'B'), testOp(5, 'B'), testOp(7, 'B')]
    const plan = planReplay([
      { server: S1, device: 'd', ops: tabB },
      { server: S1, device: 'd', ops: tabA },
    ])
    expect(plan).toHaveLength(1)
    expect(plan[0]!.ops.map(op => op.hlc)).toEqual([...tabA, ...tabB].map(op => op.hlc).sort())
    expect(ids(plan[0]!)).toEqual([tabA[0], tabB[0], tabA[1], tabB[1], tabB[2], tabA[2]].map(op => op!.id))
  })

  it('sends an op pushed twice (two batches, two tabs) once', () => {
    const plan = planReplay([
      { server: S1, device: 'd', ops: [testOp(1), testOp(2)] },
      { server: S1, device: 'd', ops: [testOp(2), testOp(3)] },
      { server: S1, device: 'd', ops: [testOp(1)] },
    ])
    expect(plan.flatMap(ids)).toEqual([testOp(1), testOp(2), testOp(3)].map(op => op.id))
  })

  it('plans each server on its own, in order of first appearance', () => {
    const plan = planReplay([
      { server: S2, device: 'd', ops: [testOp(4)] },
      { server: S1, device: 'd', ops: [testOp(1)] },
      { server: S2, device: 'd', ops: [testOp(2)] },
    ])
    expect(plan.map(b => [b.server, ids(b)])).toEqual([
      [S2, [testOp(2).id, testOp(4).id]],
      [S1, [testOp(1).id]],
    ])
  })

  it('cuts batches at the op limit and keeps hlc order across them', () => {
    const ops = Array.from({ length: 25 }, (_, i) => testOp(25 - i))
    const plan = planReplay([{ server: S1, device: 'd', ops }], { maxOps: 10 })
    expect(plan.map(b => b.ops.length)).toEqual([10, 10, 5])
    expect(plan.flatMap(b => b.ops.map(op => op.fields!.time))).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    )
  })

  it('cuts batches at the byte limit (UTF-8 of the JSON body)', () => {
    const ops = Array.from({ length: 6 }, (_, i) => testOp(i + 1))
    const opBytes = new TextEncoder().encode(JSON.stringify(ops[0])).length + 1
    const plan = planReplay([{ server: S1, device: 'd', ops }], { maxBytes: 64 + 2 * opBytes + 2 })
    expect(plan.map(b => b.ops.length)).toEqual([2, 2, 2])
    for (const batch of plan) {
      expect(new TextEncoder().encode(JSON.stringify({ ops: batch.ops })).length).toBeLessThanOrEqual(
        64 + 2 * opBytes + 2,
      )
    }
  })

  it('switches device sessions where two devices’ ops interleave, never reordering', () => {
    const plan = planReplay([
      { server: S1, device: 'a', ops: [testOp(1, 'A'), testOp(2, 'A'), testOp(5, 'A')] },
      { server: S1, device: 'b', ops: [testOp(3, 'B'), testOp(4, 'B')] },
    ])
    expect(plan.map(b => [b.device, b.ops.map(op => op.fields!.time)])).toEqual([
      ['a', [1, 2]],
      ['b', [3, 4]],
      ['a', [5]],
    ])
  })

  it('is empty for an empty outbox', () => {
    expect(planReplay([])).toEqual([])
  })
})

describe('outbox counts: each op once per device', () => {
  it('counts ops held by several batches once', () => {
    const counts = countByDevice([
      { server: S1, device: 'a', ops: [testOp(1), testOp(2)] },
      { server: S1, device: 'a', ops: [testOp(2)] },
      { server: S1, device: 'b', ops: [testOp(3)] },
    ])
    expect(Object.fromEntries(counts)).toEqual({ a: 2, b: 1 })
  })
})
