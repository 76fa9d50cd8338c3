/**
 * The engine's Web Worker entry: one per tab, spoken to over Comlink by src/client.
 * The leader tab's sync loop checks server ops with WebCrypto Ed25519 where the
 * browser has it (about 6x noble).
 */
import { expose } from 'comlink'
import { createEngine } from './engine.ts'
import { createSync } from './sync/sync-loop.ts'
import { platformEd25519 } from './platform-ed25519.ts'

expose(
  createEngine({
    sync: async (replica, url) => createSync({ replica, url, verifyBackend: await platformEd25519() }),
  }),
)
