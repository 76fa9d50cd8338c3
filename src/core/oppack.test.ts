import { describe, expect, it } from 'vitest'
import { computeOpId } from './op.ts'
import { decodeOpPack, encodeOpPack, type OpPackRow, opPackIds, peekOpPack } from './oppack.ts'
import { formatHlc } from './uhlc.ts'

const INSTANCES = ['0123456789ABCDEF0123456789ABCDEF', 'FEDCBA98765432100123456789ABCDEF']
const AUTHORS = ['A'.repeat(43), 'Bz_-'.repeat(10) + 'AAA']

/** Rows with what a decoder must get right: escapes, non-ASCII, deletes, time jumps both ways. */
function rows(n: number, firstSeq: number): OpPackRow[] {
  let time = 1_763_770_000_123_456_789n
  return Array.from({ length: n }, (_, i) => {
    time += i % 17 === 0 ? 86_400_000_000_000n : i % 5 === 0 ? -3_000n : 999_999_999n
    const action = (['create', 'update', 'delete'] as const)[i % 3]!
    return {
      seq: firstSeq + i * 2,
      id: 'f'.repeat(64),
      collection: i % 4 ? 'items' : 'ütems "x"\\',
      record: i % 7 ? `r${String(i).padStart(6, '0')}` : `rë"\\\n${i}🙂`,
      action,
      fields:
        action === 'delete' ? undefined : JSON.stringify({ z: i, a: ['日本', { b: null }], t: `x${i}` }),
      hlc: formatHlc(time, INSTANCES[i % 2]!),
      author: AUTHORS[i % 2]!,
      sig: `${String.fromCharCode(65 + (i % 26)).repeat(85)}A`,
    }
  })
}

describe('oppack', () => {
  it('decodes what it encodes, with every op id computed from the op', () => {
    const input = rows(300, 11)
    const bytes = encodeOpPack('späce "1"', input, {
      after: 10,
      head: 900,
      horizon: 3,
      total: 300,
      more: true,
    })
    const page = decodeOpPack(bytes)
    expect(page).toMatchObject({
      space: 'späce "1"',
      after: 10,
      head: 900,
      horizon: 3,
      total: 300,
      more: true,
    })
    expect(page.ops).toHaveLength(300)
    page.ops.forEach(({ seq, op }, i) => {
      const row = input[i]!
      expect(seq).toBe(row.seq)
      expect(op).toMatchObject({ collection: row.collection, record: row.record, action: row.action })
      expect({ hlc: op.hlc, author: op.author, sig: op.sig }).toEqual({
        hlc: row.hlc,
        author: row.author,
        sig: row.sig,
      })
      expect(op.fields).toEqual(row.fields === undefined ? undefined : JSON.parse(row.fields))
      expect(op.id).toBe(computeOpId(op))
    })
  })

  it('tells where the next page starts, and the total, without decoding the ops', () => {
    const meta = { after: 10, head: 900, horizon: 0, total: 300 }
    expect(peekOpPack(encodeOpPack('s', rows(300, 11), { ...meta, more: true }))).toEqual({
      more: true,
      last: 609,
      total: 300,
    })
    expect(peekOpPack(encodeOpPack('s', [], { ...meta, more: false }))).toEqual({
      more: false,
      last: 10,
      total: 300,
    })
  })

  it('decodes with ids hashed elsewhere (opPackIds) as it does hashing them itself', () => {
    const meta = { after: 10, head: 900, horizon: 0, total: 300, more: false }
    const bytes = encodeOpPack('s', rows(300, 11), meta)
    const ids = opPackIds(bytes)
    expect(ids).toHaveLength(64 * 300)
    expect(decodeOpPack(bytes, ids)).toEqual(decodeOpPack(bytes))
    expect(() => decodeOpPack(bytes, ids.slice(64))).toThrow(/ids of another page/)
  })
})
