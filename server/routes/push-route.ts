/** POST /v1/push {ops} (PROTOCOL.md §7): one result per op. */
import { SynclineError } from '../../src/core/errors.ts'
import { objectWith } from '../http/input.ts'
import type { Route } from '../http/route.ts'
import type { ServerLimits } from '../options.ts'
import type { SyncService } from '../sync/sync-service.ts'

export function pushRoute(service: SyncService, limits: ServerLimits): Route {
  return {
    method: 'POST',
    path: '/v1/push',
    auth: true,
    maxBodyBytes: limits.maxPushBytes,
    async handle(ctx) {
      const { ops } = objectWith(await ctx.body(), ['ops'])
      if (!Array.isArray(ops)) throw new SynclineError('malformed', 'ops must be an array')
      if (ops.length > limits.maxOpsPerPush) {
        throw new SynclineError('too_large', `a push holds at most ${limits.maxOpsPerPush} ops`)
      }
      const results = await service.push(ctx.device, ops)
      return { json: { results }, compress: false }
    },
  }
}
