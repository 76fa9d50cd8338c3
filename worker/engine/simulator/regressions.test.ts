/** The smallest reproductions of what the simulator's seeds found (see simulator.test.ts for the seeds). */
import { describe, expect, it } from 'vitest'
import { toBase64url } from '../../../src/core/bytes.ts'
import { signOp } from '../../../src/core/op.ts'
import { DEFAULT_MAX_DRIFT_NS, formatHlc, NS_PER_MS } from '../../../src/core/uhlc.ts'
import { SIM_SCHEMA } from './actions.ts'
import { simEd25519 } from './sim-crypto.ts'
import { ServerNode } from './sim-server.ts'

const NOW = 1_795_000_000_000n * NS_PER_MS

describe('sync service (found by seed 44)', () => {
  it('flags a stored op superseded when it is pushed again with the newer op that supersedes it', async () => {
    const server = new ServerNode({
      nowNs: () => NOW,
      realCrypto: false,
      staleAfterMs: 60_000,
      pageLimit: 100,
      idsPageLimit: 100,
      maxDriftNs: DEFAULT_MAX_DRIFT_NS,
      send: () => undefined,
      problem: message => expect.fail(message),
    })
    server.start()
    await server.registerSchema('s', SIM_SCHEMA)
    const signer = await simEd25519.importSigner(new Uint8Array(32).fill(7))
    const author = toBase64url(signer.publicKey)
    const write = (time: bigint, n: number) =>
      signOp(
        {
          space: 's',
          collection: 'notes',
          record: 'a',
          action: 'update',
          fields: { n },
          hlc: formatHlc(time, 'C3'.repeat(16)),
          author,
        },
        signer,
      )
    const older = await write(NOW - 2n, 1)
    const newer = await write(NOW - 1n, 2)
    await server.pushDirect(author, [older])
    // The ack of the first push was lost: the device pushes it again along with its next write.
    const results = await server.pushDirect(author, [older, newer])
    expect(results.map(r => r.status)).toEqual(['duplicate', 'accepted'])
    const rows = (await server.store.pull('s', { after: 0, limit: 10 })).rows
    expect(rows.map(r => [r.id, r.live])).toEqual([
      [older.id, false],
      [newer.id, true],
    ])
    expect(await server.store.count('s', { liveOnly: true })).toBe(1)
  })
})
