import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../bytes.ts'
import {
  answerReconcile,
  buildReconcileRequest,
  cellsNeeded,
  estimateDifference,
  firstCells,
  nextReconcileStep,
  parseReconcileReply,
  parseReconcileRequest,
  type ReconcileAnswer,
  type ReconcileRequestWire,
  retryCells,
} from './reconcile.ts'
import { setIdOf } from './set-id.ts'
import { SetSketch } from './set-sketch.ts'
import { elementOf, SetSummary } from './set-summary.ts'

const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/vectors/sketch.json', import.meta.url), 'utf8'),
)

function server(ids: string[], cells = 65_536) {
  const live = new Set(ids)
  return { summary: SetSummary.ofIds(ids, cells), has: (id: string) => live.has(id) }
}

/** The server's set toggled with a diff answer has the client's set id. */
function checkDiff(serverIds: string[], answer: ReconcileAnswer, clientSetId: string) {
  if (answer.status !== 'diff') throw new Error('not a diff')
  const held = new Set(serverIds)
  for (const id of answer.clientLacks) expect(held.has(id)).toBe(true)
  for (const id of answer.serverLacks) expect(held.has(id)).toBe(false)
  const drop = new Set(answer.clientLacks)
  const client = [...serverIds.filter(id => !drop.has(id)), ...answer.serverLacks]
  expect(setIdOf(client.map(elementOf))).toBe(clientSetId)
}

const id = (n: number) => toHex(sha256(new TextEncoder().encode(`op ${n}`)))

describe('§6 reconcile: in-sync, diff verified against the set id, retry, fallback', () => {
  for (const v of vectors.reconcile) {
    it(v.note, () => {
      const parsed = parseReconcileRequest(v.request, { cap: v.cap })
      expect(parsed.ok).toBe(true)
      if (!parsed.ok) return
      const answer = answerReconcile(parsed.value, server(v.serverIds), { cap: v.cap })
      const want = v.expected.status
      if (want === 'in-sync') expect(answer).toEqual({ status: 'in-sync' })
      if (want === 'diff') {
        expect(answer).toEqual({
          status: 'diff',
          serverLacks: v.expected.serverLacks,
          clientLacks: v.expected.clientLacks,
        })
      }
      if (want === 'retry' || want === 'fallback') {
        if (answer.status === 'diff') checkDiff(v.serverIds, answer, v.request.setId)
        else if (want === 'retry') {
          expect(answer.status).toBe('retry')
          if (answer.status === 'retry') {
            expect(answer.cells).toBeGreaterThan(v.request.cells)
            expect(answer.cells).toBeLessThanOrEqual(v.cap)
            expect(answer.cells & (answer.cells - 1)).toBe(0)
          }
        } else expect(answer).toEqual({ status: 'fallback' })
      }
    })
  }

  it('a zero table hiding a wrong answer (x XOR y peeled as one element) is never answered as a diff', () => {
    const crafted = vectors.decodes.filter((d: { note: string }) => d.note.startsWith('crafted'))
    expect(crafted.length).toBe(2)
    for (const d of crafted) {
      const table = SetSketch.of(d.m, d.a.map(elementOf)).xor(SetSketch.of(d.m, d.b.map(elementOf)))
      expect(table.isZero()).toBe(false)
      // The server holds a, the client b.
      const request = parseReconcileRequest({
        setId: d.setIdB,
        count: d.b.length,
        ...SetSketch.of(d.m, d.b.map(elementOf)).toWire(),
      })
      if (!request.ok) throw new Error('bad request')
      const answer = answerReconcile(request.value, server(d.a))
      if (answer.status === 'diff') checkDiff(d.a, answer, d.setIdB)
      else expect(answer.status).toBe('retry')
      // And the vector's fake element is not in any answer.
      const fake = d.reference.decoded[0]
      if (answer.status === 'diff') expect([...answer.serverLacks, ...answer.clientLacks]).not.toContain(fake)
    }
  })

  it('client and server converge within three rounds for random differences (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 1e9 }),
        (common, onlyServer, onlyClient, salt) => {
          const s = Array.from({ length: common + onlyServer }, (_, i) => id(salt + i))
          const c = [
            ...s.slice(0, common),
            ...Array.from({ length: onlyClient }, (_, i) => id(-salt - i - 1)),
          ]
          const srv = server(s, 4096)
          const client = SetSummary.ofIds(c, 4096)
          let request: ReconcileRequestWire = buildReconcileRequest(client)
          for (let round = 1; ; round++) {
            const parsed = parseReconcileRequest(JSON.parse(JSON.stringify(request)))
            if (!parsed.ok) throw new Error(parsed.error.message)
            const answer = answerReconcile(parsed.value, srv, { cap: 4096 })
            if (answer.status === 'diff') {
              checkDiff(s, answer, client.id)
              expect(answer.serverLacks.length).toBe(onlyClient)
              expect(answer.clientLacks.length).toBe(onlyServer)
            }
            const wire =
              answer.status === 'diff'
                ? { status: 'diff', serverLacks: answer.serverLacks, ops: answer.clientLacks }
                : answer
            const reply = parseReconcileReply(JSON.parse(JSON.stringify(wire)))
            if (!reply.ok) throw new Error(reply.error.message)
            const step = nextReconcileStep(reply.value, client, request.cells)
            if (step.action === 'done') {
              expect(onlyClient + onlyServer).toBe(0)
              break
            }
            if (step.action === 'apply') break
            expect(step.action).toBe('retry')
            if (step.action !== 'retry') break
            expect(round).toBeLessThan(3)
            request = step.request
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('in sync: one hash comparison, no decode, whatever the sketch', () => {
    const ids = Array.from({ length: 100 }, (_, i) => id(i))
    const client = SetSummary.ofIds(ids, 64)
    const request = buildReconcileRequest(client)
    expect(request.cells).toBe(64)
    const parsed = parseReconcileRequest({ ...request, sketch: 'A'.repeat(request.sketch.length) })
    if (!parsed.ok) throw new Error('bad')
    expect(answerReconcile(parsed.value, server(ids))).toEqual({ status: 'in-sync' })
  })

  it('falls back when asked for more cells than the server keeps, and at the cap', () => {
    const ids = Array.from({ length: 300 }, (_, i) => id(i))
    const client = SetSummary.ofIds(ids.slice(100), 1024)
    const parsed = parseReconcileRequest(buildReconcileRequest(client, 1024))
    if (!parsed.ok) throw new Error('bad')
    expect(answerReconcile(parsed.value, server(ids, 512))).toEqual({ status: 'fallback' })
    const small = parseReconcileRequest(buildReconcileRequest(client, 64))
    if (!small.ok) throw new Error('bad')
    expect(answerReconcile(small.value, server(ids), { cap: 64 })).toEqual({ status: 'fallback' })
    const retry = answerReconcile(small.value, server(ids), { cap: 65_536 })
    expect(retry.status).toBe('retry')
  })

  it('the client ends in fallback on a retry that does not grow or exceeds its summary', () => {
    const client = SetSummary.ofIds([id(1)], 256)
    expect(nextReconcileStep({ status: 'retry', cells: 64 }, client, 64)).toEqual({ action: 'fallback' })
    expect(nextReconcileStep({ status: 'retry', cells: 512 }, client, 64)).toEqual({ action: 'fallback' })
    expect(nextReconcileStep({ status: 'retry', cells: 256 }, client, 64).action).toBe('retry')
    expect(nextReconcileStep({ status: 'fallback' }, client, 64)).toEqual({ action: 'fallback' })
  })
})

describe('§6 reconcile sizing: estimate after a failed round, ask for a size that decodes', () => {
  it('estimates the difference from zero cells within a factor of two', () => {
    for (const d of [20, 100, 500, 2000]) {
      const m = 1024
      const table = SetSketch.of(
        m,
        Array.from({ length: d }, (_, i) => elementOf(id(i))),
      )
      const est = estimateDifference({ cells: m, zeroCells: table.zeroCells(), peels: 0, countDifference: 0 })
      expect(est).toBeGreaterThanOrEqual(d * 0.8)
      expect(est).toBeLessThanOrEqual(d * 2)
    }
  })

  it('a saturated table guesses beyond m ln m / 3; lower bounds from peels and counts hold', () => {
    expect(estimateDifference({ cells: 64, zeroCells: 0, peels: 0, countDifference: 0 })).toBeGreaterThan(88)
    expect(estimateDifference({ cells: 1024, zeroCells: 1000, peels: 0, countDifference: 700 })).toBe(700)
    expect(estimateDifference({ cells: 1024, zeroCells: 1000, peels: 900, countDifference: 0 })).toBe(900)
  })

  it('retry sizes are powers of two, at least double, at most the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 1, max: 1e6 }), (k, est) => {
        const last = 2 ** k
        const c = retryCells(last, est, 65_536)
        expect(c & (c - 1)).toBe(0)
        expect(c).toBeLessThanOrEqual(65_536)
        expect(c >= Math.min(2 * last, 65_536)).toBe(true)
        if (c < 65_536) expect(c).toBeGreaterThanOrEqual(cellsNeeded(est))
      }),
    )
    expect(firstCells()).toBe(64)
    expect(firstCells(1000)).toBe(2048)
  })
})

describe('§6 bad input: every parse returns a coded malformed error, never throws', () => {
  const good = buildReconcileRequest(SetSummary.ofIds([id(1), id(2)], 64))
  const cases: [string, unknown][] = [
    ['not an object', 'x'],
    ['null', null],
    ['an array', [good]],
    ['setId upper case', { ...good, setId: good.setId.toUpperCase() }],
    ['setId short', { ...good, setId: good.setId.slice(2) }],
    ['count negative', { ...good, count: -1 }],
    ['count fractional', { ...good, count: 1.5 }],
    ['count as a string', { ...good, count: '2' }],
    ['cells not a power of two', { ...good, cells: 48 }],
    ['cells above the cap', { ...good, cells: 131_072 }],
    ['sketch of another size', { ...good, cells: 32 }],
    ['sketch with padding', { ...good, sketch: `${good.sketch}=` }],
    [
      'sketch in standard base64',
      { ...good, sketch: good.sketch.replace(/-/g, '+').replace(/_/g, '/').replace(/^./, '+') },
    ],
    ['unknown key', { ...good, extra: 1 }],
    ['missing sketch', { setId: good.setId, count: 2, cells: 64 }],
  ]
  for (const [why, body] of cases) {
    it(why, () => {
      expect(parseReconcileRequest(body)).toMatchObject({ ok: false, error: { code: 'malformed' } })
    })
  }

  it('the good body parses', () => {
    expect(parseReconcileRequest(good).ok).toBe(true)
  })

  it('arbitrary bodies and answers never throw (property)', () => {
    fc.assert(
      fc.property(
        fc.anything(),
        fc.dictionary(
          fc.constantFrom('setId', 'count', 'cells', 'sketch', 'status', 'ops', 'serverLacks'),
          fc.anything(),
        ),
        (x, y) => {
          parseReconcileRequest(x)
          parseReconcileRequest({ ...good, ...y })
          parseReconcileReply(x)
          parseReconcileReply(y)
        },
      ),
    )
  })

  it('answers: unknown status, bad retry cells and bad id lists are malformed', () => {
    for (const body of [
      { status: 'nope' },
      { status: 'retry', cells: 3 },
      { status: 'retry', cells: 2 ** 20 },
      { status: 'diff', serverLacks: ['AB'], ops: [] },
      { status: 'diff', serverLacks: [] },
      7,
    ]) {
      expect(parseReconcileReply(body)).toMatchObject({ ok: false, error: { code: 'malformed' } })
    }
    expect(parseReconcileReply({ status: 'retry', cells: 128 })).toEqual({
      ok: true,
      value: { status: 'retry', cells: 128 },
    })
  })
})
