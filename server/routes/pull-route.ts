/**
 * GET /v1/spaces/{space}/ops?after=N&limit=L[&live=1][&collections=a,b][&prefix=p]
 * (PROTOCOL.md §7): `{ops:[{seq, op}], head, horizon, total, more}`. `total` counts
 * the ops of the space that match the filters (whatever `after` is), so a cold client
 * reading a live snapshot page by page has a fixed total for its progress bar. A
 * non-snapshot pull from below the horizon also gets `resync: true`.
 *
 * With `Accept: application/vnd.syncline.oppack` the page comes in the compact
 * encoding (`oppack.ts`) instead of JSON. With `Accept: application/vnd.syncline.oppack-stream`
 * the answer is every page from `after` on, `limit` ops each, framed one after another
 * in one chunked answer (`oppack-stream.ts`): a cold client's whole snapshot in one
 * request. Encoded pages are cached (`page-cache.ts`): a snapshot read by many devices
 * is read from the store and encoded once, whether by pages or streamed.
 */

import { malformed, name, prefix, queryFlag, queryInt, singleParams } from '../http/input.ts'
import type { BodyPart, Reply } from '../http/respond.ts'
import type { Route } from '../http/route.ts'
import type { ServerLimits } from '../options.ts'
import { seqOpsJsonText } from '../sync/op-rows.ts'
import { OPPACK_TYPE, wantsOpPack } from '../../src/core/oppack.ts'
import { FRAME_HEADER_BYTES, frameHeader, OPPACK_STREAM_TYPE } from '../../src/core/oppack-stream.ts'
import { writeOpPack } from '../sync/oppack-writer.ts'
import { PageCache } from '../sync/page-cache.ts'
import type { PullQuery, SyncService } from '../sync/sync-service.ts'

const DEFAULT_LIMIT = 1000
/** Encoded pages kept for devices reading the same snapshot (a 5,000-op oppack page is about 0.6 MB). */
const PAGE_CACHE_BYTES = 32 * 1024 * 1024
const MAX_COLLECTIONS = 100

type Variant = 'json' | 'oppack' | 'oppack+ids'

/** A page's answer, whether more follow, and its last seq (the next page's `after`). */
interface Page {
  reply: Reply
  more: boolean
  last: number
}

/** Ops in the first frame of a streamed snapshot (see `streamPages`). */
export const FIRST_FRAME_OPS = 1000

export function pullRoute(service: SyncService, limits: ServerLimits): Route {
  const pages = new PageCache<Page>(PAGE_CACHE_BYTES)
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
      const accept = ctx.req.headers.accept
      const stream = wantsOpPack(accept, OPPACK_STREAM_TYPE)
      if (stream) {
        return { parts: streamPages(ctx.device, space, query, stream.ids), contentType: OPPACK_STREAM_TYPE }
      }
      const pack = wantsOpPack(accept)
      return (await readPage(ctx.device, space, query, pack ? (pack.ids ? 'oppack+ids' : 'oppack') : 'json'))
        .reply
    },
  }

  /** One page as its answer, read and encoded or from the cache. */
  async function readPage(device: string, space: string, query: PullQuery, variant: Variant): Promise<Page> {
    const { after, limit, liveOnly, collections, prefix: recordPrefix } = query
    const { space: info, total } = await service.pullHead(device, space, query)
    const { head, horizon } = info
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

    const ids = variant !== 'oppack'
    const read = await service.store.pull(space, { ...query, skipIds: !ids })
    const resync = !liveOnly && after < horizon
    const last = read.rows[read.rows.length - 1]?.seq ?? after
    let page: Page
    if (variant !== 'json') {
      const meta = { after, head, horizon, total, more: read.more, resync }
      const { bytes, randomFrom } = writeOpPack(space, read.rows, meta, ids)
      page = { reply: { bytes, contentType: OPPACK_TYPE, storedFrom: randomFrom }, more: read.more, last }
      pages.set(key, page, bytes.length)
    } else {
      let text = `{"ops":${seqOpsJsonText(space, read.rows)},"head":${head},"horizon":${horizon},"total":${total},"more":${read.more}`
      if (resync) text += ',"resync":true'
      page = { reply: { jsonText: `${text}}` }, more: read.more, last }
      pages.set(key, page, 2 * text.length)
    }
    return page
  }

  /**
   * The oppack pages from `query.after` on, each framed, until one without `more`. The
   * first holds at most FIRST_FRAME_OPS: the client decodes and stores it while the
   * next, full-sized ones are read and encoded.
   */
  async function* streamPages(
    device: string,
    space: string,
    query: PullQuery,
    withIds: boolean,
  ): AsyncGenerator<BodyPart> {
    let after = query.after
    let limit = Math.min(query.limit, FIRST_FRAME_OPS)
    for (;;) {
      const page = await readPage(
        device,
        space,
        { ...query, after, limit },
        withIds ? 'oppack+ids' : 'oppack',
      )
      limit = query.limit
      // An oppack variant's reply is always its bytes.
      const { bytes, storedFrom } = page.reply as { bytes: Uint8Array; storedFrom: number }
      const framed = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bytes.length)
      framed.set(frameHeader(bytes.length))
      framed.set(bytes, FRAME_HEADER_BYTES)
      yield { bytes: framed, storedFrom: FRAME_HEADER_BYTES + storedFrom }
      if (!page.more) return
      after = page.last
    }
  }
}
