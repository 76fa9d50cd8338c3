#!/usr/bin/env node
/**
 * `npm run demo`: builds the demo, then starts the sync server on embedded SQLite
 * serving the demo on the same port. Flags go to the server (`npm run demo -- --port 9000`).
 */
import { spawn } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const port = args.includes('--port') ? args[args.indexOf('--port') + 1] : '8787'

console.log('Building the demo and the service worker…')
await build({ configFile: join(root, 'demo', 'vite.config.ts') })
await build({ configFile: join(root, 'worker', 'sw', 'vite.config.ts'), logLevel: 'warn' })
// The service worker must be served from the app's root so that its scope covers the app.
copyFileSync(join(root, 'dist', 'sw', 'syncline-sw.js'), join(root, 'demo', 'dist', 'syncline-sw.js'))

const server = spawn(
  process.execPath,
  [
    join(root, 'server', 'bin', 'syncline-server.mjs'),
    '--static',
    join(root, 'demo', 'dist'),
    '--db',
    join(root, 'syncline-demo.db'),
    ...(args.includes('--port') ? [] : ['--port', port]),
    ...args,
  ],
  { stdio: ['inherit', 'pipe', 'inherit'] },
)
server.stdout.on('data', chunk => {
  process.stdout.write(chunk)
  const match = /listening on (http:\/\/\S+)/.exec(String(chunk))
  if (match) {
    const url = match[1]
    console.log(`\n  Syncline demo:   ${url}/`)
    console.log(`  Two devices:     ${url}/split.html\n`)
  }
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal))
server.on('exit', code => process.exit(code ?? 0))
