/**
 * Pruning (PROTOCOL.md §7, seed 004): superseded ops with seq at or below a space's
 * horizon are deleted, the horizon being the lowest cursor of the space's non-stale
 * devices (client pool). Live ops are never pruned, so a live snapshot stays whole;
 * a client below the horizon is told to resync from one.
 */
import type { Logger } from '../log.ts'
import type { SyncService } from './sync-service.ts'

export interface PruneReport {
  space: string
  horizon: number
  removed: number
}

export class Pruner {
  private running: Promise<PruneReport[]> | undefined

  constructor(
    private readonly service: SyncService,
    private readonly log: Logger,
  ) {}

  /** Prunes every space; runs once at a time (a second call joins the first). */
  pruneAll(): Promise<PruneReport[]> {
    this.running ??= this.run().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  /** Resolves when no pruning runs. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined)
  }

  private async run(): Promise<PruneReport[]> {
    const { store, pool } = this.service
    const reports: PruneReport[] = []
    for (const space of await store.spaces()) {
      const info = await store.getSpace(space)
      if (!info) continue
      const horizon = await pool.horizon(space, info.head)
      if (horizon <= info.horizon) continue
      const removed = await store.prune(space, horizon)
      reports.push({ space, horizon, removed })
      if (removed > 0) this.log.info('pruned', { space, horizon, removed })
    }
    return reports
  }
}
