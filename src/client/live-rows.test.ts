import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LiveRows } from './live-rows.ts'

describe('LiveRows: live query results kept from deltas', () => {
  it('equals the sorted result recomputed from scratch after any sequence of deltas', () => {
    // Few ids so that upserts collide; up to 80 upserts so that both paths (one by one, bulk merge) run.
    const id = fc.stringMatching(/^[a-f]{1,2}$/)
    const delta = fc.record({
      upserts: fc.array(fc.tuple(id, fc.nat()), { maxLength: 80 }),
      removes: fc.array(id),
    })
    fc.assert(
      fc.property(fc.array(fc.tuple(id, fc.nat())), fc.array(delta), (initial, deltas) => {
        const truth = new Map(initial)
        const live = new LiveRows()
        const sorted = () => [...truth].sort(([a], [b]) => (a < b ? -1 : 1))
        let rows = live.apply({
          reset: sorted().map(([k, n]) => [k, { id: k, value: { n } }]),
          upserts: [],
          removes: [],
        })
        for (const d of deltas) {
          for (const r of d.removes) truth.delete(r)
          for (const [k, n] of d.upserts) truth.set(k, n)
          rows = live.apply({
            upserts: d.upserts.map(([k, n]) => [k, { id: k, value: { n } }]),
            removes: d.removes,
          })
        }
        expect(rows).toEqual(sorted().map(([k, n]) => ({ id: k, value: { n } })))
      }),
    )
  })
})
