#!/usr/bin/env node
// `syncline-server` from the repository's sources (tests, the demo, benchmarks): Node 20
// cannot run TypeScript itself, so this registers tsx's loader and runs the command's
// TypeScript entry. The package ships that entry compiled (npm run build).
import { register } from 'tsx/esm/api'

register()
await import('./syncline-server.ts')
