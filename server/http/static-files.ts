/**
 * Serves a folder of built files (the demo, or an app) next to the API, so one
 * command and one port are enough (`npm run demo`). Only GET and HEAD, only inside
 * the folder; unknown paths without an extension fall back to `index.html` (an SPA's
 * client-side routes). `/v1/*` never reaches here.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
}

/** Answers the request from `dir` and returns true, or returns false when it is not a file request. */
export function staticFiles(dir: string) {
  const root = resolve(dir)
  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    let relative: string
    try {
      relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '')
    } catch {
      return false
    }
    let file = join(root, relative || 'index.html')
    if (file !== root && !file.startsWith(root + sep)) return false
    let info = await stat(file).catch(() => undefined)
    if (info?.isDirectory()) {
      file = join(file, 'index.html')
      info = await stat(file).catch(() => undefined)
    }
    if (!info?.isFile()) {
      if (extname(relative)) return false
      file = join(root, 'index.html')
      info = await stat(file).catch(() => undefined)
      if (!info?.isFile()) return false
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream'
    // Hashed assets never change; pages and the service worker must always be fresh.
    const immutable = /[.-][A-Za-z0-9_-]{8,}\.(js|css)$/.test(file) && file.includes(`${sep}assets${sep}`)
    res.writeHead(200, {
      'content-type': type,
      'content-length': info.size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    })
    if (req.method === 'HEAD') res.end()
    else createReadStream(file).pipe(res)
    return true
  }
}
