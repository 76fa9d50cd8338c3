/**
 * This tab's UHLC clock (PROTOCOL.md §2) with skew correction: the clock the replica
 * stamps local ops with and that observes every timestamp it receives. A wall clock
 * that ran ahead is undone by starting a fresh instance (a new id keeps timestamps
 * unique) at a time the caller picks.
 */
import type { Op } from '../../src/core/op.ts'
import { createSkewEstimator, type SkewEstimator } from '../../src/core/skew.ts'
import { type Clock, createClock, DEFAULT_MAX_DRIFT_NS, instanceId } from '../../src/core/uhlc.ts'

export interface DeviceClockOptions {
  /** The local wall clock in ns (skew correction is added here). */
  wallNs: () => bigint
  random: (bytes: number) => Uint8Array
  maxDriftNs?: bigint
}

export class DeviceClock {
  readonly skew: SkewEstimator = createSkewEstimator()
  private current: Clock

  constructor(
    private readonly options: DeviceClockOptions,
    lastTimeNs: bigint,
  ) {
    this.current = this.create(lastTimeNs)
  }

  /** The clock in use (replaced by `restart`). */
  get clock(): Clock {
    return this.current
  }

  /**
   * The latest time a timestamp may carry without being rejected for `drift`, when the
   * clock's last time is past it (the wall clock ran ahead); undefined otherwise.
   */
  aheadOf(): bigint | undefined {
    const limit = this.options.wallNs() + this.skew.offsetNs + this.current.maxDriftNs
    return this.current.lastTimeNs > limit ? limit : undefined
  }

  /** Starts a fresh clock instance whose last time is `lastTimeNs`. */
  restart(lastTimeNs: bigint): void {
    this.current = this.create(lastTimeNs)
  }

  /**
   * Observes the hlcs of `ops`: their latest alone when the clock takes it (hlc text
   * sorts by time), else each one, as a latest one too far ahead leaves the clock as is.
   */
  observeAll(ops: readonly Op[]): void {
    let latest = ''
    for (const op of ops) if (op.hlc > latest) latest = op.hlc
    if (latest && !this.current.observe(latest).ok) for (const op of ops) this.current.observe(op.hlc)
  }

  private create(lastTimeNs: bigint): Clock {
    return createClock({
      id: instanceId(this.options.random(16)),
      physicalNs: () => this.options.wallNs() + this.skew.offsetNs,
      maxDriftNs: this.options.maxDriftNs ?? DEFAULT_MAX_DRIFT_NS,
      lastTimeNs,
    })
  }
}
