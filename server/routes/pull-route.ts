/**
 * GET /v1/spaces/{space}/ops?after=N&limit=L[&live=1][&collections=a,b][&prefix=p]
 * (PROTOCOL.md §7): `{ops:[{seq, op}], head, horizon, total, more}`. `total` counts
 * the ops of the space that match the filters (whatever `after` is), so a cold client
 * reading a live snapshot page by page has a fixed total for its progress bar. A
 * non-snapshot pull from below the horizon also gets `resync: true`.
 *
 * With `Accept: application/vnd.syncline.oppack` the page comes in the compact
 * encoding (`oppack.ts`) instead of JSON. Encoded pages are cached (`page-cache.ts`):
 * a snapshot read by many devices is read from the store and encoded once.
 */

import { malformed, name, prefix, queryFlag, queryInt, singleParams } from '../http/input.ts'
import type { Reply } from '../http/respond.ts'
import type { Route } from '../http/route.ts'
import type { ServerLimits } from '../options.ts'
import { seqOpsJsonText } from '../sync/op-rows.ts'
import { OPPACK_TYPE, wantsOpPack } from '../../src/core/oppack.ts'
import { writeOpPack } from '../sync/oppack-writer.ts'
import { PageCache } from '../sync/page-cache.ts'
import type { SyncService } from '../sync/sync-service.ts'

const DEFAULT_LIMIT = 1000
/** Encoded pages kept for devices reading the same snapshot (a 5,000-op oppack page is about 0.6 MB). */
const PAGE_CACHE_BYTES = 32 * 1024 * 1024
const MAX_COLLECTIONS = 100

export function pullRoute(service: SyncService, limits: ServerLimits): Route {
  const pages = new PageCache<Reply>(PAGE_CACHE_BYTES)
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

      const query = { after, limit, liveOnly, collections, prefix: recordPrefix }
      const { space: info, total } = await service.pullHead(ctx.device, space, query)
      const { head, horizon } = info
      const pack = wantsOpPack(ctx.req.headers.accept)
      const variant = pack ? (pack.ids ? 'oppack+ids' : 'oppack') : 'json'
      const key = JSON.stringify([
        space,
        after,
        limit,
        liveOnly,
        collections,
        recordPrefix,
        variant,
        head,
        horizon,
        total,
      ])
      const cached = pages.get(key)
      if (cached) return cached

      const page = await service.store.pull(space, { ...query, skipIds: pack !== undefined && !pack.ids })
      const resync = !liveOnly && after < horizon
      let reply: Reply
      if (pack) {
        const meta = { after, head, horizon, total, more: page.more, resync }
        const { bytes, randomFrom } = writeOpPack(space, page.rows, meta, pack.ids)
        reply = { bytes, contentType: OPPACK_TYPE, storedFrom: randomFrom }
        pages.set(key, reply, bytes.length)
      } else {
        let text = `{"ops":${seqOpsJsonText(space, page.rows)},"head":${head},"horizon":${horizon},"total":${total},"more":${page.more}`
        if (resync) text += ',"resync":true'
        reply = { jsonText: `${text}}` }
        pages.set(key, reply, 2 * text.length)
      }
      return reply
    },
  }
}
