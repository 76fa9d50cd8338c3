#!/usr/bin/env node
// Launcher for `syncline-server`: Node 20 cannot run TypeScript itself, so this file
// registers tsx's loader and then runs the TypeScript CLI as it is in the repository.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../cli.ts')
try {
  await main(process.argv.slice(2))
} catch (error) {
  console.error(`syncline-server: ${error instanceof Error ? error.message : error}`)
  process.exit(2)
}
