/** GET /v1/challenge and POST /v1/session (PROTOCOL.md §8). */

import { SynclineError } from '../../src/core/errors.ts'
import type { Sessions } from '../auth/sessions.ts'
import { objectWith } from '../http/input.ts'
import type { Route } from '../http/route.ts'

export function sessionRoutes(sessions: Sessions): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/challenge',
      auth: false,
      async handle() {
        return { json: { nonce: await sessions.challenge() } }
      },
    },
    {
      method: 'POST',
      path: '/v1/session',
      auth: false,
      maxBodyBytes: 4096,
      async handle(ctx) {
        const body = objectWith(await ctx.body(), ['device', 'nonce', 'sig'])
        const { device, nonce, sig } = body
        if (typeof device !== 'string' || typeof nonce !== 'string' || typeof sig !== 'string') {
          throw new SynclineError('malformed', 'device, nonce and sig must be strings')
        }
        const session = await sessions.open(device, nonce, sig)
        return { json: { token: session.token, expiresAt: session.expiresAt } }
      },
    },
  ]
}
