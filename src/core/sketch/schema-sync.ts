/**
 * Schema sync (PROTOCOL.md §5), the seed's protocol on the §6 sketch: the client sends
 * its schema id, descriptor count and a sketch of its descriptor ids in 8 or 16 cells
 * (the sizes at which the bytes equal the seed's own implementation); the server answers
 * `known`, `diff` (verified against the schema id) or `full`. Descriptor ids are the
 * set elements here, as 64-digit hex; canonicalising descriptors is not this module's.
 */
import { isLowerHex, toHex } from '../bytes.ts'
import { fail, ok, type Result } from '../errors.ts'
import { decode } from './decode.ts'
import { SetIdSum } from './set-id.ts'
import { SetSketch } from './set-sketch.ts'
import { elementOf } from './set-summary.ts'

/** Sketch sizes a schema request may use. */
export const SCHEMA_CELLS: readonly number[] = [8, 16]

/** `POST /v1/spaces/{space}/schema` body. */
export interface SchemaRequestWire {
  id: string
  count: number
  cells: number
  sketch: string
}

export interface SchemaRequest {
  id: string
  count: number
  sketch: SetSketch
}

export type SchemaAnswer =
  { status: 'known' } | { status: 'diff'; previous: string; missing: string[] } | { status: 'full' }

/** What the server holds for the space. */
export interface SchemaServerState {
  /** Descriptor ids of the space's current schema; null when it has none yet. */
  previous: readonly string[] | null
  /** Whether the server already holds schema `id` for this space (beyond `previous`). */
  isKnown?: (id: string) => boolean
}

/**
 * The client's request over its descriptor ids (16 cells by default: one more
 * kilobyte than 8 buys about twice the difference). `malformed` for ids that are not
 * 64 lower-case hex digits or that repeat.
 */
export function buildSchemaRequest(descriptorIds: readonly string[], cells = 16): Result<SchemaRequestWire> {
  if (!SCHEMA_CELLS.includes(cells)) return fail('malformed', 'schema sketches have 8 or 16 cells')
  const elements = elementsOf(descriptorIds)
  if (!elements.ok) return elements
  const sketch = SetSketch.of(cells, elements.value)
  return ok({ id: SetIdSum.of(elements.value).id(), count: elements.value.length, ...sketch.toWire() })
}

/** Parses a schema request body; `malformed` for anything off (unknown keys included). */
export function parseSchemaRequest(body: unknown): Result<SchemaRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('malformed', 'schema request must be an object')
  }
  const b = body as Record<string, unknown>
  for (const key of Object.keys(b)) {
    if (key !== 'id' && key !== 'count' && key !== 'cells' && key !== 'sketch') {
      return fail('malformed', `unknown key ${JSON.stringify(key.slice(0, 40))}`)
    }
  }
  if (!isLowerHex(b.id, 64)) return fail('malformed', 'id must be 64 lower-case hex digits')
  if (typeof b.count !== 'number' || !Number.isSafeInteger(b.count) || b.count < 0) {
    return fail('malformed', 'count must be a non-negative integer')
  }
  if (!SCHEMA_CELLS.includes(b.cells as number))
    return fail('malformed', 'schema sketches have 8 or 16 cells')
  const sketch = SetSketch.fromWire(b, 16)
  if (!sketch.ok) return sketch
  return ok({ id: b.id, count: b.count, sketch: sketch.value })
}

/** The server's answer; a `diff` is given only when it reproduces the client's schema id. */
export function answerSchemaSync(request: SchemaRequest, state: SchemaServerState): SchemaAnswer {
  if (state.isKnown?.(request.id)) return { status: 'known' }
  if (state.previous === null) return { status: 'full' }
  const previous = elementsOf(state.previous)
  if (!previous.ok) return { status: 'full' }
  const previousSum = SetIdSum.of(previous.value)
  const previousId = previousSum.id()
  if (previousId === request.id) return { status: 'known' }
  const held = new Set(state.previous)
  const table = SetSketch.of(request.sketch.cells, previous.value).xor(request.sketch)
  let missing: string[] = []
  const result = decode(table, elements => {
    const sum = previousSum.copy()
    missing = []
    for (const e of elements) {
      const id = toHex(e)
      if (held.has(id)) sum.remove(e)
      else {
        sum.add(e)
        missing.push(id)
      }
    }
    return sum.count === request.count && sum.id() === request.id
  })
  if (!result.ok) return { status: 'full' }
  return { status: 'diff', previous: previousId, missing: missing.sort() }
}

/** Parses the server's answer on the client. */
export function parseSchemaAnswer(body: unknown): Result<SchemaAnswer> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('malformed', 'schema answer must be an object')
  }
  const b = body as Record<string, unknown>
  if (b.status === 'known') return ok({ status: 'known' })
  if (b.status === 'full') return ok({ status: 'full' })
  if (b.status === 'diff') {
    if (!isLowerHex(b.previous, 64)) return fail('malformed', 'previous must be a schema id')
    if (!Array.isArray(b.missing) || !b.missing.every(id => isLowerHex(id, 64))) {
      return fail('malformed', 'missing must be a list of descriptor ids')
    }
    return ok({ status: 'diff', previous: b.previous, missing: b.missing as string[] })
  }
  return fail('malformed', 'unknown schema sync status')
}

/**
 * The descriptor ids the client uploads next (`PUT .../schema`): none when known, those
 * named missing (and held by the client) after a diff, all after full.
 */
export function descriptorsToSend(answer: SchemaAnswer, descriptorIds: readonly string[]): string[] {
  if (answer.status === 'known') return []
  if (answer.status === 'full') return [...descriptorIds]
  const mine = new Set(descriptorIds)
  return answer.missing.filter(id => mine.has(id))
}

function elementsOf(ids: readonly string[]): Result<Uint8Array[]> {
  const seen = new Set<string>()
  const out: Uint8Array[] = []
  for (const id of ids) {
    if (!isLowerHex(id, 64)) return fail('malformed', 'a descriptor id is 64 lower-case hex digits')
    if (seen.has(id)) return fail('malformed', 'descriptor ids repeat')
    seen.add(id)
    out.push(elementOf(id))
  }
  return ok(out)
}
