/**
 * The engine's Web Worker entry: one per tab, spoken to over Comlink by src/client.
 * The leader tab's sync loop checks server ops with WebCrypto Ed25519 where the
 * browser has it (about 6x noble), and hashes the ids of snapshot pages in this same
 * module started again as a helper worker (`id-hasher.ts`).
 */
import { expose } from 'comlink'
import { createEngine } from './engine.ts'
import { ID_HASHER_NAME, idHasher, type MessagePortLike, serveIdHashing } from './sync/id-hasher.ts'
import { createSync } from './sync/sync-loop.ts'
import { platformEd25519 } from './platform-ed25519.ts'

if (self.name === ID_HASHER_NAME) serveIdHashing(globalThis as unknown as MessagePortLike)
else {
  const helper = () => new Worker(self.location.href, { type: 'module', name: ID_HASHER_NAME })
  expose(
    createEngine({
      sync: async (replica, url) =>
        createSync({ replica, url, verifyBackend: await platformEd25519(), hashIds: idHasher(helper) }),
    }),
  )
}
