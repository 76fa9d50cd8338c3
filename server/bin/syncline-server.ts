#!/usr/bin/env node
/**
 * The `syncline-server` command as the package ships it: compiled to
 * `dist/server/bin/syncline-server.js` and run by plain `node`. In the repository,
 * `syncline-server.mjs` runs this same file through tsx.
 */
import { main } from '../cli.ts'

try {
  await main(process.argv.slice(2))
} catch (error) {
  console.error(`syncline-server: ${error instanceof Error ? error.message : error}`)
  process.exit(2)
}
