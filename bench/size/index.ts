/**
 * Bundle sizes, min+gzip (TARGETS.md: UI thread ≤ 6 KiB, worker ≤ 35 KiB, service
 * worker ≤ 12 KiB). Builds each part the way an app's Vite build would (minified, every
 * dependency inlined) into memory and gzips it at level 9, as servers do for static files.
 * The UI thread is the client entry with what it imports (comlink, workbox-window); the
 * worker is the engine with idb, noble and the core.
 */
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { build, type Rolldown } from 'vite'
import { printTable, type Row, writeResults } from '../lib/report.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Every emitted file of a minified library build of `entry`, by name. */
async function bundle(entry: string, format: 'es' | 'iife'): Promise<Map<string, string | Uint8Array>> {
  const result = await build({
    root,
    configFile: false,
    logLevel: 'silent',
    publicDir: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    worker: { format: 'es' },
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      lib: { entry: `${root}/${entry}`, formats: [format], name: 'bundle', fileName: () => 'entry.js' },
    },
  })
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[]
  const files = new Map<string, string | Uint8Array>()
  for (const output of outputs)
    for (const file of output.output)
      files.set(file.fileName, file.type === 'chunk' ? file.code : file.source)
  return files
}

const kib = (bytes: number) => Math.round((bytes / 1024) * 100) / 100
const gzipped = (content: string | Uint8Array) => gzipSync(content, { level: 9 }).length

const client = await bundle('src/client/index.ts', 'es')
const sw = await bundle('worker/sw/sw.ts', 'iife')
const scripts = [...client.keys()].filter(name => name !== 'entry.js' && name.endsWith('.js'))
const workerFile = scripts.find(name => /worker/.test(name))
if (!workerFile) throw new Error(`the client build emitted no worker file: ${scripts.join(', ')}`)
// Chunks the worker loads on demand (noble, where WebCrypto cannot do the job, and for
// background signature checks): not on the way to a first render, so outside the target.
const lazy = scripts.filter(name => name !== workerFile)

const rows: Row[] = [
  { part: 'UI thread (syncline)', file: 'entry.js', content: client.get('entry.js')!, target: 6 },
  { part: 'engine worker', file: workerFile, content: client.get(workerFile)!, target: 35 },
  { part: 'service worker (syncline/sw)', file: 'entry.js', content: sw.get('entry.js')!, target: 12 },
  ...lazy.map(file => ({
    part: `worker, on demand (${file})`,
    file,
    content: client.get(file)!,
    target: NaN,
  })),
].map(({ part, content, target }) => {
  const min = typeof content === 'string' ? Buffer.byteLength(content) : content.length
  const gz = gzipped(content)
  return {
    part,
    'min KiB': kib(min),
    'min+gzip bytes': gz,
    'min+gzip KiB': kib(gz),
    'target KiB': Number.isNaN(target) ? null : target,
    met: Number.isNaN(target) ? null : gz <= target * 1024,
  }
})

printTable('Bundle sizes (min+gzip)', rows)
writeResults('size', rows)
