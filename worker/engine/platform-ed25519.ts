/**
 * The Ed25519 this browser does fastest, and noble only when it must: noble's curve
 * code is about a third of the worker's bundle, so it loads on demand (a separate
 * chunk) where WebCrypto lacks Ed25519, and for the background signature checks of ops
 * from the server (their key checks need it), never on the way to a first render.
 */
import type { AnyEd25519Backend, Verifier } from '../../src/core/ed25519.ts'
import { webcryptoEd25519 } from './webcrypto-ed25519.ts'

const noble = () => import('../../src/core/ed25519.ts')

/** WebCrypto where the browser has Ed25519, else noble. */
export async function platformEd25519(): Promise<AnyEd25519Backend> {
  return (await webcryptoEd25519()) ?? (await noble()).nobleEd25519
}

/** `createVerifier(backend)` (default noble), made on the first check. */
export function lazyVerifier(backend?: AnyEd25519Backend): Verifier {
  let loaded: Promise<Verifier> | undefined
  return {
    backend: backend?.name ?? 'noble',
    async verify(author, publicKey, signature, message) {
      loaded ??= noble().then(m => m.createVerifier(backend ?? m.nobleEd25519))
      return (await loaded).verify(author, publicKey, signature, message)
    },
  }
}
