/** What a route is and what its handler gets. */
import type { IncomingMessage } from 'node:http'
import type { Reply } from './respond.ts'

export interface RouteContext {
  req: IncomingMessage
  url: URL
  params: Record<string, string>
  /** The authenticated device id ('' on routes without authentication). */
  device: string
  /** Reads and strictly parses the JSON body, within the route's size limit. */
  body(): Promise<unknown>
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT'
  path: string
  /** Needs `Authorization: Bearer <token>`. */
  auth: boolean
  /** Largest body in bytes (default: the server's body limit). */
  maxBodyBytes?: number
  handle(ctx: RouteContext): Promise<Reply> | Reply
}
