/**
 * The engine's Web Worker entry: one per tab, spoken to over Comlink by src/client.
 * The leader tab's sync loop checks server ops with WebCrypto Ed25519 where the
 * browser has it (about 6x noble).
 */
import { expose } from 'comlink'
import { nobleEd25519 } from '../../src/core/ed25519.ts'
import { createEngine } from './engine.ts'
import { createSync } from './sync/sync-loop.ts'
import { webcryptoEd25519 } from './webcrypto-ed25519.ts'

expose(
  createEngine({
    sync: async (replica, url) =>
      createSync({ replica, url, verifyBackend: (await webcryptoEd25519()) ?? nobleEd25519 }),
  }),
)
