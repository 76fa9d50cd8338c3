import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeOpPack, encodeOpPack, type OpPackRow } from '../../src/core/oppack.ts'
import { formatHlc } from '../../src/core/uhlc.ts'
import { writeOpPack } from './oppack-writer.ts'

/** The largest hlc time: an unsigned 64-bit count of ns (in the year 2554). */
const MAX_TIME = (1n << 64n) - 1n

const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
const key = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes })
const row = fc.record({
  seqGap: fc.integer({ min: 1, max: 2 ** 40 }),
  collection: fc.constantFrom('items', 'notes', 'ünïcode'),
  record: name,
  action: fc.constantFrom('create', 'update', 'delete'),
  fields: fc.oneof(
    fc.constant('{}'),
    name.map(s => JSON.stringify({ s })),
  ),
  // Near the previous op most of the time, anywhere (before it too) otherwise.
  time: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: MAX_TIME })),
  near: fc.boolean(),
  author: fc.constantFrom(...Array.from({ length: 3 }, () => randomBytes(32).toString('base64url'))),
  instance: fc.constantFrom('89F9DD8514914648989315B2D30D7BE5', '0123456789ABCDEF0123456789ABCDEF'),
  id: key(32).map(b => Buffer.from(b).toString('hex')),
  sig: key(64).map(b => Buffer.from(b).toString('base64url')),
})

type Draft = typeof row extends fc.Arbitrary<infer T> ? T : never

function toRows(drafts: Draft[]): OpPackRow[] {
  let seq = 0
  let time = 1_780_000_000_000_000_000n
  return drafts.map(d => {
    seq += d.seqGap
    const step = d.time % 10n ** 12n
    time = d.near ? (time + step > MAX_TIME ? time - step : time + step) : d.time
    return {
      seq,
      id: d.id,
      collection: d.collection,
      record: d.record,
      action: d.action as OpPackRow['action'],
      fields: d.action === 'delete' ? undefined : d.fields,
      hlc: formatHlc(time, d.instance),
      author: d.author,
      sig: d.sig,
    }
  })
}

describe('the server oppack writer', () => {
  it('writes the bytes encodeOpPack writes, for any page', () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 40 }),
        fc.boolean(),
        fc.record({ more: fc.boolean(), resync: fc.boolean(), total: fc.nat() }),
        (drafts, withIds, flags) => {
          const rows = toRows(drafts)
          const meta = { after: 0, head: rows.at(-1)?.seq ?? 0, horizon: 3, ...flags }
          const expected = encodeOpPack('space ✓', rows, meta, withIds)
          expect(new Uint8Array(writeOpPack('space ✓', rows, meta, withIds).bytes)).toEqual(expected)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('writes a page the core decodes to the same ops', () => {
    const rows = toRows(
      fc.sample(row, { numRuns: 50, seed: 7 }).map(d => ({ ...d, near: true, time: 1000n, seqGap: 1 })),
    )
    const meta = { after: 0, head: 50, horizon: 0, total: 50, more: false }
    const page = decodeOpPack(writeOpPack('s', rows, meta, true).bytes)
    expect(
      page.ops.map(({ seq, op }) => ({ seq, id: op.id, hlc: op.hlc, sig: op.sig, record: op.record })),
    ).toEqual(rows.map(r => ({ seq: r.seq, id: r.id, hlc: r.hlc, sig: r.sig, record: r.record })))
  })
})
