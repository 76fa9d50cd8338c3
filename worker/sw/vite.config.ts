/**
 * Builds the service worker as one self-contained classic script (TOOLING.md: a
 * second Rollup input in the app build would share chunks with the page and break a
 * classic service worker): `vite build -c worker/sw/vite.config.ts` writes
 * `dist/sw/syncline-sw.js`, which the package exports as `syncline/sw`, an app serves
 * at `/syncline-sw.js`, and the e2e web server serves from there (vite.config.ts).
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

export default defineConfig({
  publicDir: false,
  define: { 'process.env.NODE_ENV': '"production"' },
  build: {
    outDir: fileURLToPath(new URL('../../dist/sw', import.meta.url)),
    emptyOutDir: true,
    minify: true,
    sourcemap: false,
    target: 'es2022',
    lib: {
      entry: fileURLToPath(new URL('./sw.ts', import.meta.url)),
      formats: ['iife'],
      name: 'synclineSw',
      fileName: () => 'syncline-sw.js',
    },
  },
})
