import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../bytes.ts'
import {
  answerSchemaSync,
  buildSchemaRequest,
  descriptorsToSend,
  parseSchemaAnswer,
  parseSchemaRequest,
} from './schema-sync.ts'
import { setIdOf } from './set-id.ts'
import { elementOf } from './set-summary.ts'

const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/vectors/schema.json', import.meta.url), 'utf8'),
)

describe('§5 schema id: the set id of the descriptor ids; requests at 8 and 16 cells', () => {
  for (const s of vectors.schemas) {
    it(`${s.count} descriptors`, () => {
      expect(setIdOf(s.descriptorIds.map(elementOf))).toBe(s.schemaId)
      for (const r of s.requests) {
        expect(buildSchemaRequest(s.descriptorIds, r.cells)).toEqual({ ok: true, value: r })
        // Order of ids does not matter.
        expect(buildSchemaRequest([...s.descriptorIds].reverse(), r.cells)).toEqual({ ok: true, value: r })
        expect(parseSchemaRequest(r).ok).toBe(true)
      }
    })
  }
})

describe('§5 schema sync: known, diff (verified against the schema id), or full', () => {
  for (const v of vectors.sync) {
    it(v.note, () => {
      const request = parseSchemaRequest(v.request)
      if (!request.ok) throw new Error(request.error.message)
      const answer = answerSchemaSync(request.value, { previous: v.previousIds })
      if (v.mustDecode || v.expected.status !== 'full') {
        expect(answer).toEqual(v.expected)
      } else if (answer.status === 'diff') {
        // A better decoder may answer diff after the reference failed: it must be right.
        const client = vectors.schemas.find((x: { schemaId: string }) => x.schemaId === v.request.id)
        expect(answer.previous).toBe(setIdOf(v.previousIds.map(elementOf)))
        expect(answer.missing).toEqual(
          client.descriptorIds.filter((x: string) => !v.previousIds.includes(x)).sort(),
        )
      } else {
        expect(answer).toEqual({ status: 'full' })
      }
    })
  }

  it('a server that remembers older schemas answers known for them', () => {
    const v = vectors.sync[0]
    const request = parseSchemaRequest(v.request)
    if (!request.ok) throw new Error('bad')
    const answer = answerSchemaSync(request.value, { previous: null, isKnown: id => id === v.request.id })
    expect(answer).toEqual({ status: 'known' })
  })

  it('client and server agree end to end: after the upload the server holds the client schema (property)', () => {
    const id = (n: number) => toHex(sha256(new Uint8Array([n & 255, n >> 8])))
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 30 }),
        fc.uniqueArray(fc.integer({ min: 5001, max: 9000 }), { maxLength: 12 }),
        fc.constantFrom(8, 16),
        (old, added, cells) => {
          const previous = old.map(id)
          const mine = [...previous, ...added.map(id)]
          const built = buildSchemaRequest(mine, cells)
          if (!built.ok) throw new Error('bad')
          const request = parseSchemaRequest(JSON.parse(JSON.stringify(built.value)))
          if (!request.ok) throw new Error('bad')
          const answer = answerSchemaSync(request.value, { previous })
          const parsed = parseSchemaAnswer(JSON.parse(JSON.stringify(answer)))
          expect(parsed).toEqual({ ok: true, value: answer })
          const upload = descriptorsToSend(answer, mine)
          const held = answer.status === 'full' ? upload : [...previous, ...upload]
          expect(setIdOf(held.map(elementOf))).toBe(built.value.id)
          if (added.length === 0) expect(answer.status).toBe('known')
          if (added.length === 1) expect(answer.status).toBe('diff')
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('§5 bad input: schema bodies are malformed, never thrown', () => {
  const good = vectors.schemas[0].requests[0]
  for (const [why, body] of [
    ['not an object', 'x'],
    ['32 cells', { ...good, cells: 32 }],
    ['4 cells', { ...good, cells: 4, sketch: good.sketch.slice(0, 171) }],
    ['bytes of 8 with cells 16', { ...good, cells: 16 }],
    ['id upper case', { ...good, id: good.id.toUpperCase() }],
    ['count negative', { ...good, count: -1 }],
    ['unknown key', { ...good, setId: good.id }],
    ['padding', { ...good, sketch: `${good.sketch}=` }],
  ] as [string, unknown][]) {
    it(why, () => expect(parseSchemaRequest(body)).toMatchObject({ ok: false, error: { code: 'malformed' } }))
  }

  it('bad descriptor ids on the client and answers of the wrong shape', () => {
    expect(buildSchemaRequest(['AB'.repeat(32)])).toMatchObject({ ok: false, error: { code: 'malformed' } })
    expect(buildSchemaRequest([good.id, good.id])).toMatchObject({ ok: false, error: { code: 'malformed' } })
    expect(buildSchemaRequest([], 32)).toMatchObject({ ok: false, error: { code: 'malformed' } })
    for (const body of [
      null,
      { status: 'diff', previous: 'x', missing: [] },
      { status: 'diff', previous: good.id },
      { status: '?' },
    ]) {
      expect(parseSchemaAnswer(body)).toMatchObject({ ok: false, error: { code: 'malformed' } })
    }
  })

  it('arbitrary input never throws (property)', () => {
    fc.assert(
      fc.property(
        fc.anything(),
        fc.dictionary(
          fc.constantFrom('id', 'count', 'cells', 'sketch', 'status', 'missing', 'previous'),
          fc.anything(),
        ),
        (x, y) => {
          parseSchemaRequest(x)
          parseSchemaRequest({ ...good, ...y })
          parseSchemaAnswer(x)
          parseSchemaAnswer(y)
        },
      ),
    )
  })
})
