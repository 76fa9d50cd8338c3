/**
 * Registers the app's collections with a space on the server (PROTOCOL.md §5) before
 * the first push to it, so the server accepts ops of those collections: the sketch
 * request, then a PUT of what the server lacks. Schemas only grow; a collection the
 * space already declares differently is a `schema_conflict`, which does not stop the
 * other collections from registering (each is then sent alone). The ops of a
 * conflicting collection are rejected by the server one by one and reported as such.
 */
import { SynclineError } from '../../../src/core/errors.ts'
import { type Descriptor, descriptorId, type Schema } from '../../../src/core/schema.ts'
import { buildSchemaRequest, descriptorsToSend, parseSchemaAnswer } from '../../../src/core/sketch/index.ts'
import type { HttpClient } from './http.ts'

/** Registers `schema` with `space`; resolves with the conflicts (empty when none). */
export async function registerSchema(
  http: HttpClient,
  space: string,
  schema: Schema,
): Promise<SynclineError[]> {
  const byId = new Map<string, Descriptor>()
  for (const d of schema.values()) byId.set(descriptorId(d), d)
  if (byId.size === 0) return []
  const ids = [...byId.keys()]
  const request = buildSchemaRequest(ids)
  if (!request.ok) throw new SynclineError(request.error.code, request.error.message)
  const path = `/v1/spaces/${encodeURIComponent(space)}/schema`
  const answer = parseSchemaAnswer((await http.json('POST', path, request.value)).body)
  if (!answer.ok) throw new SynclineError(answer.error.code, answer.error.message)
  const send = descriptorsToSend(answer.value, ids).map(id => byId.get(id)!)
  if (send.length === 0) return []
  try {
    await http.json('PUT', path, { descriptors: send })
    return []
  } catch (error) {
    if (!isConflict(error)) throw error
    if (send.length === 1) return [error]
  }
  const conflicts: SynclineError[] = []
  for (const d of send) {
    try {
      await http.json('PUT', path, { descriptors: [d] })
    } catch (error) {
      if (!isConflict(error)) throw error
      conflicts.push(error)
    }
  }
  return conflicts
}

function isConflict(error: unknown): error is SynclineError {
  return error instanceof SynclineError && error.code === 'schema_conflict'
}
