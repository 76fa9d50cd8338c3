/**
 * CORS for browser apps served from another origin (a demo on another port).
 * Allowed origins are exact origins, `*`, or patterns with a `*` port
 * (`http://localhost:*`). The API uses bearer tokens, never cookies, so credentials
 * are not allowed.
 */

export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'http://localhost:*',
  'http://127.0.0.1:*',
  'http://[::1]:*',
]

export type OriginCheck = (origin: string) => boolean

export function originChecker(allowed: readonly string[]): OriginCheck {
  if (allowed.includes('*')) return () => true
  const exact = new Set(allowed.filter(a => !a.endsWith(':*')))
  const anyPort = allowed.filter(a => a.endsWith(':*')).map(a => a.slice(0, -1))
  return origin => {
    if (exact.has(origin)) return true
    for (const base of anyPort) {
      if (origin.startsWith(base) && /^\d{1,5}$/.test(origin.slice(base.length))) return true
    }
    return false
  }
}

/** Headers for an answer to `origin`, or none when it is not allowed. */
export function corsHeaders(origin: string | undefined, check: OriginCheck): Record<string, string> {
  if (!origin || !check(origin)) return {}
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'syncline-server-time, content-length',
    vary: 'origin',
  }
}

/** Headers for a preflight (OPTIONS) answer. */
export function preflightHeaders(
  origin: string | undefined,
  check: OriginCheck,
): Record<string, string> | undefined {
  if (!origin || !check(origin)) return undefined
  return {
    ...corsHeaders(origin, check),
    'access-control-allow-methods': 'GET, POST, PUT, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type, accept',
    'access-control-max-age': '600',
  }
}
