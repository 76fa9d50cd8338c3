/**
 * The hash exchange fallback of PROTOCOL.md §6 (seed 003):
 * `POST /v1/spaces/{space}/ids {after?, limit?, collections?, prefix?}` pages the live
 * op ids in id order as `{ids, more}`; `POST /v1/spaces/{space}/fetch {ids}` returns
 * `{ops:[{seq, op}], missing:[ids not held]}`.
 */
import { isLowerHex } from '../../src/core/bytes.ts'
import { SynclineError } from '../../src/core/errors.ts'
import { integer, malformed, name, objectWith, prefix, stringArray } from '../http/input.ts'
import type { Route } from '../http/route.ts'
import type { ServerLimits } from '../options.ts'
import { seqOpsJsonText } from '../sync/op-rows.ts'
import type { SyncService } from '../sync/sync-service.ts'

export function hashExchangeRoutes(service: SyncService, limits: ServerLimits): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/spaces/:space/ids',
      auth: true,
      async handle(ctx) {
        const space = name(ctx.params.space, 'space', limits.maxNameLength)
        const body = objectWith(await ctx.body(), ['after', 'limit', 'collections', 'prefix'])
        if (body.after !== undefined && !isLowerHex(body.after, 64)) throw malformed('after must be an op id')
        const limit = integer(body.limit ?? limits.maxIds, 'limit', 1, limits.maxIds)
        const collections =
          body.collections === undefined ? undefined : stringArray(body.collections, 'collections', 100)
        for (const c of collections ?? []) name(c, 'a collection', limits.maxNameLength)
        const recordPrefix =
          body.prefix === undefined ? undefined : prefix(body.prefix, 'prefix', limits.maxNameLength)
        const page = await service.ids(space, {
          afterId: body.after as string | undefined,
          limit,
          collections,
          prefix: recordPrefix,
        })
        return { json: { ids: page.ids, more: page.more } }
      },
    },
    {
      method: 'POST',
      path: '/v1/spaces/:space/fetch',
      auth: true,
      async handle(ctx) {
        const space = name(ctx.params.space, 'space', limits.maxNameLength)
        const body = objectWith(await ctx.body(), ['ids'])
        const ids = stringArray(body.ids, 'ids', limits.maxIds)
        for (const id of ids) {
          if (!isLowerHex(id, 64))
            throw new SynclineError('malformed', 'ids must be op ids (64 lower-case hex digits)')
        }
        const { rows, missing } = await service.fetch(space, ids)
        return { jsonText: `{"ops":${seqOpsJsonText(space, rows)},"missing":${JSON.stringify(missing)}}` }
      },
    },
  ]
}
