import { describe, expect, it } from 'vitest'
import { createSkewEstimator } from './skew.ts'

describe('skew correction from serverTime (§2)', () => {
  it('estimates the offset from half the round trip', () => {
    const skew = createSkewEstimator()
    // Local clock 5 minutes behind; 10 ms round trip, the server stamps at the midpoint.
    const offset = 300_000_000_000n
    skew.add({ sentNs: 1_000_000_000n, receivedNs: 1_010_000_000n, serverNs: 1_005_000_000n + offset })
    expect(skew.offsetNs).toBe(offset)
    expect(skew.uncertaintyNs).toBe(5_000_000n)
  })

  it('trusts the fastest recent sample', () => {
    const skew = createSkewEstimator(3)
    skew.add({ sentNs: 0n, receivedNs: 100n, serverNs: 1_000n }) // offset 950, rtt 100
    skew.add({ sentNs: 0n, receivedNs: 10n, serverNs: 2_000n }) // offset 1995, rtt 10
    skew.add({ sentNs: 0n, receivedNs: 50n, serverNs: 3_000n })
    expect(skew.offsetNs).toBe(1_995n)
    // The fast sample falls out of the window of 3.
    skew.add({ sentNs: 0n, receivedNs: 40n, serverNs: 4_000n })
    skew.add({ sentNs: 0n, receivedNs: 60n, serverNs: 5_000n })
    expect(skew.offsetNs).toBe(3_980n)
  })

  it('ignores a sample taken while the local clock stepped back', () => {
    const skew = createSkewEstimator()
    skew.add({ sentNs: 100n, receivedNs: 50n, serverNs: 9_999n })
    expect(skew.offsetNs).toBe(0n)
  })
})
