#!/usr/bin/env node
/**
 * `npm run build` (also `prepack`): the package in dist/, next to the service worker.
 *
 * 1. tsc (tsconfig.build.json): JavaScript and declarations of `syncline`, `syncline/core`,
 *    `syncline/react`, `syncline/server` and the `syncline-server` command, one file per
 *    source file in the repository's layout (dist/src/client/index.js, dist/server/...),
 *    so the server runs on plain `node` and a bundler tree-shakes the browser parts.
 * 2. The engine worker as one self-contained module (worker/engine/vite.config.ts).
 * 3. The service worker (worker/sw/vite.config.ts), the same as `npm run build:sw`.
 * 4. What tsc leaves as written: a module URL (`new URL('./x.ts', import.meta.url)`) is
 *    no import, so it keeps `.ts`; declarations keep `.ts` in their imports (TypeScript
 *    reads those, other tools do not). Both are pointed at the emitted files.
 * 5. The JavaScript tsc emitted only because declarations need the types (the engine's
 *    modules: apps load the engine as the one worker file) is dropped, and every relative
 *    import and module URL of what is left must name a file in dist, or the build fails.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** Every file under `dir`, recursively. */
const filesIn = dir =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map(name => join(dir, name))
    .filter(path => statSync(path).isFile())

// dist/sw is the service worker build's own (tests and the demo read it): left to it.
// Everything else goes, so nothing an earlier build emitted (a file since deleted) is packed.
if (existsSync(dist)) {
  for (const entry of readdirSync(dist))
    if (entry !== 'sw') rmSync(join(dist, entry), { recursive: true, force: true })
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
})
if (compiled.status !== 0) process.exit(compiled.status ?? 1)
await build({ configFile: join(root, 'worker', 'engine', 'vite.config.ts') })
await build({ configFile: join(root, 'worker', 'sw', 'vite.config.ts'), logLevel: 'warn' })

const relativeTs = /((?:from|import)\s*\(?\s*|new URL\(\s*)(['"])(\.\.?\/[^'"]+)\.ts\2/g
const emitted = ['src', 'server', 'worker'].flatMap(dir => filesIn(join(dist, dir)))
for (const file of emitted.filter(f => f.endsWith('.js') || f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8')
  const fixed = text.replace(relativeTs, (_, before, quote, path) => `${before}${quote}${path}.js${quote}`)
  if (fixed !== text) writeFileSync(file, fixed)
}

/** Relative specifiers of a module: static and dynamic imports, re-exports, module URLs. */
const specifiers = text =>
  [
    ...text.matchAll(/(?:from|import)\s*\(?\s*(['"])(\.\.?\/[^'"]+)\1|new URL\(\s*(['"])(\.\.?\/[^'"]+)\3/g),
  ].map(m => m[2] ?? m[4])

/** Follows relative specifiers from `entries`; fails on one that names no file. */
function reachable(entries, target = file => file) {
  const seen = new Set()
  const queue = [...entries]
  while (queue.length) {
    const file = queue.pop()
    if (seen.has(file)) continue
    if (!existsSync(file)) throw new Error(`dist: ${relative(root, file)} is missing`)
    seen.add(file)
    for (const spec of specifiers(readFileSync(file, 'utf8')))
      queue.push(target(resolve(dirname(file), spec)))
  }
  return seen
}

const targets = [...Object.values(pkg.exports), ...Object.values(pkg.bin)].flatMap(t =>
  typeof t === 'string' ? [t] : Object.values(t),
)
const used = reachable(targets.filter(t => t.endsWith('.js')).map(t => join(root, t)))
for (const file of emitted.filter(f => f.endsWith('.js') && !used.has(f))) rmSync(file)
reachable(
  targets.filter(t => t.endsWith('.d.ts')).map(t => join(root, t)),
  file => file.replace(/\.js$/, '.d.ts'),
)
const count = filesIn(dist).length
console.log(`dist: ${count} files (${used.size} modules reachable from package.json's exports and bin)`)
