/**
 * GET /v1/spaces/{space}/ops?after=N&limit=L[&live=1][&collections=a,b][&prefix=p]
 * (PROTOCOL.md §7): `{ops:[{seq, op}], head, horizon, total, more}`. `total` counts
 * the ops of the space that match the filters (whatever `after` is), so a cold client
 * reading a live snapshot page by page has a fixed total for its progress bar. A
 * non-snapshot pull from below the horizon also gets `resync: true`.
 *
 * With `Accept: application/vnd.syncline.oppack` the page comes in the compact
 * encoding (`oppack.ts`) instead of JSON.
 */

import { malformed, name, prefix, queryFlag, queryInt, singleParams } from '../http/input.ts'
import type { Route } from '../http/route.ts'
import type { ServerLimits } from '../options.ts'
import { seqOpsJsonText } from '../sync/op-rows.ts'
import { encodeOpPack, OPPACK_TYPE, wantsOpPack } from '../../src/core/oppack.ts'
import type { SyncService } from '../sync/sync-service.ts'

const DEFAULT_LIMIT = 1000
const MAX_COLLECTIONS = 100

export function pullRoute(service: SyncService, limits: ServerLimits): Route {
  return {
    method: 'GET',
    path: '/v1/spaces/:space/ops',
    auth: true,
    async handle(ctx) {
      const space = name(ctx.params.space, 'space', limits.maxNameLength)
      const params = ctx.url.searchParams
      singleParams(params, ['after', 'limit', 'live', 'collections', 'prefix'])
      const after = queryInt(params, 'after', 0, Number.MAX_SAFE_INTEGER, 0)
      const limit = queryInt(
        params,
        'limit',
        1,
        limits.maxPullLimit,
        Math.min(DEFAULT_LIMIT, limits.maxPullLimit),
      )
      const liveOnly = queryFlag(params, 'live')
      const collectionsParam = params.get('collections')
      let collections: string[] | undefined
      if (collectionsParam !== null) {
        collections = collectionsParam.split(',')
        if (collections.length > MAX_COLLECTIONS) throw malformed(`at most ${MAX_COLLECTIONS} collections`)
        for (const c of collections) name(c, 'a collection', limits.maxNameLength)
      }
      const prefixParam = params.get('prefix')
      const recordPrefix =
        prefixParam === null ? undefined : prefix(prefixParam, 'prefix', limits.maxNameLength)

      const answer = await service.pull(ctx.device, space, {
        after,
        limit,
        liveOnly,
        collections,
        prefix: recordPrefix,
      })
      const { head, horizon } = answer.space
      const resync = !liveOnly && after < horizon
      const pack = wantsOpPack(ctx.req.headers.accept)
      if (pack) {
        const meta = { after, head, horizon, total: answer.total, more: answer.more, resync }
        const bytes = encodeOpPack(space, answer.rows, meta, pack.ids)
        return { bytes, contentType: OPPACK_TYPE }
      }
      let text = `{"ops":${seqOpsJsonText(space, answer.rows)},"head":${head},"horizon":${horizon},"total":${answer.total},"more":${answer.more}`
      if (resync) text += ',"resync":true'
      return { jsonText: `${text}}` }
    },
  }
}
