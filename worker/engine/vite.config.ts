/**
 * Builds the engine worker for the package as one self-contained ES module (every
 * dependency inlined, no imports left): `dist/worker/engine/worker.js`, the file the
 * packaged client starts with `new Worker(new URL(...), { type: 'module' })`. With no
 * imports left, an app's bundler has nothing to resolve when it copies or re-bundles
 * it, and its dev server can serve it as it is. The repo's own pages keep loading
 * `worker.ts` from the sources.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/worker/engine', import.meta.url)),
    emptyOutDir: false,
    minify: false,
    sourcemap: false,
    target: 'es2022',
    lib: {
      entry: fileURLToPath(new URL('./worker.ts', import.meta.url)),
      formats: ['es'],
      fileName: () => 'worker.js',
    },
  },
})
