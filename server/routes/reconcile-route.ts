/**
 * POST /v1/spaces/{space}/reconcile {setId, count, cells, sketch} (PROTOCOL.md §6)
 * over the space's live op ids, with the core's pure protocol (`answerReconcile`).
 * The space keeps a running summary at SUMMARY_CELLS (128 KiB); a request at that
 * size or more gets one built at the cap from the live set, so retries can grow to the cap. A `diff` carries the live ops the client lacks.
 */
import { SynclineError } from '../../src/core/errors.ts'
import {
  answerReconcile,
  parseReconcileRequest,
  type ReconcileServerSet,
  SetSummary,
} from '../../src/core/sketch/index.ts'
import { name } from '../http/input.ts'
import type { Route } from '../http/route.ts'
import type { ServerLimits } from '../options.ts'
import type { SyncService } from '../sync/sync-service.ts'

export function reconcileRoute(service: SyncService, limits: ServerLimits): Route {
  const cap = limits.maxSketchCells
  return {
    method: 'POST',
    path: '/v1/spaces/:space/reconcile',
    auth: true,
    // A sketch of `cap` cells in base64url, plus the other keys.
    maxBodyBytes: Math.ceil((cap * 32 * 4) / 3) + 1024,
    async handle(ctx) {
      const space = name(ctx.params.space, 'space', limits.maxNameLength)
      const parsed = parseReconcileRequest(await ctx.body(), { cap })
      if (!parsed.ok) throw new SynclineError(parsed.error.code, parsed.error.message)
      const request = parsed.value
      const entry = await service.spaces.get(space)
      if (!entry) throw new SynclineError('not_found', `no space ${JSON.stringify(space)}`)
      service.pool.seen(space, ctx.device)
      let summary = entry.live
      if (request.setId !== summary.id && request.sketch.cells >= summary.cells && cap > summary.cells) {
        // Past the running sketch's size: build one at the cap, so a retry may ask up to it.
        const ids: string[] = []
        for (const op of entry.state.liveOps()) ids.push(op.id)
        summary = SetSummary.ofIds(ids, cap)
      }
      const set: ReconcileServerSet = { summary, has: id => entry.state.isLive(id) }
      const answer = answerReconcile(request, set, { cap })
      if (answer.status !== 'diff') return { json: answer }
      const ops = await service.liveOps(space, answer.clientLacks)
      return { json: { status: 'diff', serverLacks: answer.serverLacks, ops } }
    },
  }
}
