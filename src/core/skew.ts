/**
 * Clock skew correction (PROTOCOL.md §2): every server answer carries `serverTime`;
 * the client estimates its offset NTP-style, assuming the answer was stamped half a
 * round trip after the request left. Samples with the shortest round trip carry the
 * least uncertainty, so the estimate is the offset of the fastest recent sample.
 */

export interface SkewSample {
  /** Local wall clock (ns) when the request left. */
  sentNs: bigint
  /** Local wall clock (ns) when the answer arrived. */
  receivedNs: bigint
  /** The server's time in the answer (ns). */
  serverNs: bigint
}

export interface SkewEstimator {
  /** Add the server time to get server time from local time, in ns. */
  readonly offsetNs: bigint
  /** Half the round trip of the sample in use: the estimate's uncertainty, in ns. */
  readonly uncertaintyNs: bigint
  add(sample: SkewSample): void
}

/** Keeps the last `window` samples (default 8) and uses the fastest of them. */
export function createSkewEstimator(window = 8): SkewEstimator {
  const samples: { offset: bigint; rtt: bigint }[] = []
  let best = { offset: 0n, rtt: 0n }
  return {
    get offsetNs() {
      return best.offset
    },
    get uncertaintyNs() {
      return best.rtt / 2n
    },
    add({ sentNs, receivedNs, serverNs }) {
      // A sample with a negative round trip means the local clock stepped: ignore it.
      if (receivedNs < sentNs) return
      const rtt = receivedNs - sentNs
      samples.push({ offset: serverNs - (sentNs + rtt / 2n), rtt })
      if (samples.length > window) samples.shift()
      best = samples.reduce((a, b) => (b.rtt < a.rtt ? b : a))
    },
  }
}
