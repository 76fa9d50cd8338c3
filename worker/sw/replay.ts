/**
 * The replay: sends every queued op, planned across all stored batches (plan.ts), one
 * batch after another, and settles each batch by the server's answer: `accepted` and
 * `duplicate` leave the outbox; `rejected` ops leave the queue as rejections, kept for
 * the engine with their codes until it takes them (even when the request that pushed
 * them also gets the verdict: taking one twice is harmless, losing one is not); ops
 * the server did not answer for stay. A server
 * that cannot be reached ends the replay for that server: the rest waits, in order,
 * for the next one. One replay runs at a time: calls during a run fold into one more
 * run, and across service worker versions a Web Lock keeps a second one out.
 */
import type { ErrorInfo } from '../../src/core/errors.ts'
import type { Outbox } from './outbox.ts'
import { type PlanLimits, planReplay } from './plan.ts'
import type { OutboxBatch, PushResult, Rejection } from './protocol.ts'
import type { PushOutcome } from './server-client.ts'

export interface ReplayDeps {
  outbox: Outbox
  push(batch: OutboxBatch): Promise<PushOutcome>
  /** Gives verdicts to the push requests waiting for them (push-handler.ts). */
  handOver(results: readonly PushResult[], serverTime?: string): void
  /** Tells the pages what happened to a device's ops. */
  report(server: string, device: string, acked: PushResult[], rejected: Rejection[]): Promise<void>
  /** Runs a replay under a lock shared by every service worker version (Web Locks). */
  exclusive?<T>(job: () => Promise<T>): Promise<T>
  limits?: PlanLimits
}

export interface ReplaySummary {
  /** Push requests sent. */
  pushes: number
  acked: number
  rejected: number
  /** Servers that did not answer (their ops wait). */
  unreachable: string[]
  /** Whether ops are still queued after this run. */
  left: boolean
  /** Why ops could not be sent: the last failure, if any. */
  failure?: string
}

/** One pass over the outbox. */
export async function replayOnce(deps: ReplayDeps): Promise<ReplaySummary> {
  const summary: ReplaySummary = { pushes: 0, acked: 0, rejected: 0, unreachable: [], left: false }
  const skipped = new Set<string>()
  for (const batch of planReplay(await deps.outbox.batches(), deps.limits)) {
    if (skipped.has(batch.server) || skipped.has(`${batch.server} ${batch.device}`)) {
      summary.left = true
      continue
    }
    summary.pushes++
    const outcome = await deps.push(batch)
    if (outcome.kind === 'unreachable' || outcome.kind === 'no-session') {
      // Keep the order: nothing later of this server (or device) goes before these.
      skipped.add(outcome.kind === 'unreachable' ? batch.server : `${batch.server} ${batch.device}`)
      if (outcome.kind === 'unreachable') summary.unreachable.push(batch.server)
      summary.failure = outcome.message
      summary.left = true
      continue
    }
    const results =
      outcome.kind === 'answered'
        ? outcome.results
        : batch.ops.map(op => ({ id: op.id, status: 'rejected' as const, error: outcome.error }))
    await settle(deps, batch, results, outcome.kind === 'answered' ? outcome.serverTime : undefined, summary)
  }
  return summary
}

async function settle(
  deps: ReplayDeps,
  batch: OutboxBatch,
  results: readonly PushResult[],
  serverTime: string | undefined,
  summary: ReplaySummary,
): Promise<void> {
  const byId = new Map(batch.ops.map(op => [op.id, op]))
  const answered = results.filter(r => byId.has(r.id))
  if (answered.length < batch.ops.length) summary.left = true
  deps.handOver(answered, serverTime)
  const acked = answered.filter(r => r.status === 'accepted' || r.status === 'duplicate')
  const rejected: Rejection[] = answered
    .filter(r => r.status === 'rejected')
    .map(r => ({
      server: batch.server,
      device: batch.device,
      op: byId.get(r.id)!,
      error: r.error ?? ({ code: 'malformed', message: 'rejected without a code' } satisfies ErrorInfo),
    }))
  await deps.outbox.settle({ server: batch.server, acked: acked.map(r => r.id), rejected })
  summary.acked += acked.length
  summary.rejected += rejected.length
  await deps.report(batch.server, batch.device, acked, rejected)
}

/** Runs replays one at a time; a call resolves with a run that started after it. */
export function createReplayer(deps: ReplayDeps): { run(): Promise<ReplaySummary> } {
  let running: Promise<ReplaySummary> | undefined
  let again: Promise<ReplaySummary> | undefined
  const exclusive = deps.exclusive ?? (job => job())
  const start = (): Promise<ReplaySummary> => {
    running = exclusive(() => replayOnce(deps)).finally(() => (running = undefined))
    return running
  }
  return {
    run() {
      if (again) return again
      if (!running) return start()
      again ??= running
        .catch(() => undefined)
        .then(() => {
          again = undefined
          return start()
        })
      return again
    },
  }
}
