/**
 * A small router over node:http paths: literal segments and `:name` parameters,
 * percent-decoded. No framework: the server has a dozen routes and wants full control
 * of bodies, limits and error codes.
 */
import { SynclineError } from '../../src/core/errors.ts'

export interface RouteMatch<T> {
  route: T
  params: Record<string, string>
}

interface Compiled<T> {
  method: string
  segments: string[]
  route: T
}

export interface Router<T> {
  /** The route for a method and path; throws `not_found` (or `malformed` for bad escapes). */
  match(method: string, pathname: string): RouteMatch<T>
}

export function createRouter<T extends { method: string; path: string }>(routes: readonly T[]): Router<T> {
  const compiled: Compiled<T>[] = routes.map(route => ({
    method: route.method,
    segments: route.path.split('/').slice(1),
    route,
  }))
  return {
    match(method, pathname) {
      const parts = pathname.split('/').slice(1)
      let pathMatched = false
      for (const c of compiled) {
        const params = matchSegments(c.segments, parts)
        if (!params) continue
        pathMatched = true
        if (c.method === method) return { route: c.route, params }
      }
      if (pathMatched) throw new SynclineError('not_found', `${method} is not supported on ${pathname}`)
      throw new SynclineError('not_found', `no route ${pathname}`)
    },
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    const part = parts[i]!
    if (p.startsWith(':')) {
      if (part === '') return undefined
      params[p.slice(1)] = decodeSegment(part)
    } else if (p !== part) {
      return undefined
    }
  }
  return params
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new SynclineError('malformed', 'bad percent-encoding in the path')
  }
}
