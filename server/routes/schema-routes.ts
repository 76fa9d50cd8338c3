/**
 * Schema sync (PROTOCOL.md §5):
 *  - `POST /v1/spaces/{space}/schema {id, count, cells, sketch}`: `known`, `diff` (with
 *    the descriptor ids the server lacks) or `full`, by the core's `answerSchemaSync`;
 *    a space with no schema yet answers `full` (this is how a new space starts);
 *  - `PUT /v1/spaces/{space}/schema {descriptors}`: additive changes only, else 409
 *    `schema_conflict` naming the collection; answers the new schema `{id, count}`;
 *  - `GET /v1/spaces/{space}/schema` (not in PROTOCOL.md): `{id, descriptors}`, so a
 *    device that joins a space can learn its collections.
 */
import { SynclineError } from '../../src/core/errors.ts'
import { canonicalJson } from '../../src/core/json.ts'
import {
  type Descriptor,
  descriptorId,
  extendSchema,
  normalizeDescriptor,
  type Schema,
} from '../../src/core/schema.ts'
import { answerSchemaSync, elementOf, parseSchemaRequest, setIdOf } from '../../src/core/sketch/index.ts'
import { name, objectWith } from '../http/input.ts'
import type { Route } from '../http/route.ts'
import type { ServerLimits } from '../options.ts'
import type { SyncService } from '../sync/sync-service.ts'

const MAX_DESCRIPTORS = 1000

function schemaId(schema: Schema): string {
  return setIdOf([...schema.values()].map(d => elementOf(descriptorId(d))))
}

export function schemaRoutes(service: SyncService, limits: ServerLimits): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/spaces/:space/schema',
      auth: true,
      async handle(ctx) {
        const space = name(ctx.params.space, 'space', limits.maxNameLength)
        const parsed = parseSchemaRequest(await ctx.body())
        if (!parsed.ok) throw new SynclineError(parsed.error.code, parsed.error.message)
        const descriptors = await service.store.getDescriptors(space)
        const answer = answerSchemaSync(parsed.value, {
          previous: descriptors.length ? descriptors.map(d => d.id) : null,
        })
        return { json: answer }
      },
    },
    {
      method: 'PUT',
      path: '/v1/spaces/:space/schema',
      auth: true,
      async handle(ctx) {
        const space = name(ctx.params.space, 'space', limits.maxNameLength)
        const body = objectWith(await ctx.body(), ['descriptors'])
        if (!Array.isArray(body.descriptors))
          throw new SynclineError('malformed', 'descriptors must be an array')
        if (body.descriptors.length > MAX_DESCRIPTORS) {
          throw new SynclineError('too_large', `at most ${MAX_DESCRIPTORS} descriptors`)
        }
        const incoming: Descriptor[] = []
        for (const input of body.descriptors) {
          const d = normalizeDescriptor(input)
          if (!d.ok) throw new SynclineError(d.error.code, d.error.message)
          incoming.push(d.value)
        }
        return service.withSpaceLock(space, async () => {
          const current = await service.spaces.schemaOf(space)
          const next = extendSchema(current, incoming)
          if (!next.ok) throw new SynclineError(next.error.code, next.error.message)
          const names = new Set(incoming.map(d => d.name))
          const stored = [...names].map(n => next.value.get(n)!)
          await service.store.putDescriptors(
            space,
            stored.map(d => ({ id: descriptorId(d), name: d.name, json: canonicalJson(d) })),
          )
          const entry = await service.spaces.get(space)
          if (entry) {
            entry.schema = next.value
            entry.state.setSchema(next.value)
          }
          return { json: { id: schemaId(next.value), count: next.value.size } }
        })
      },
    },
    {
      method: 'GET',
      path: '/v1/spaces/:space/schema',
      auth: true,
      async handle(ctx) {
        const space = name(ctx.params.space, 'space', limits.maxNameLength)
        await service.requireSpace(space)
        const schema = await service.spaces.schemaOf(space)
        return { json: { id: schemaId(schema), descriptors: [...schema.values()] } }
      },
    },
  ]
}
