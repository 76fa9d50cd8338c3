/**
 * Op-set reconciliation (PROTOCOL.md §6) as pure functions: the client builds
 * `{setId, count, cells, sketch}` from its live op ids, the server answers `in-sync`,
 * `diff`, `retry` or `fallback`, and the client turns the answer into its next step.
 * Transport, op lookup and pushing are the callers'.
 *
 * Retry strategy. The wire resends a whole sketch per round, so the bytes of a
 * reconciliation are the sum of the sizes asked; the best plan is to land the second
 * round on a size that decodes with high probability, not to double blindly. After a
 * failed decode the server estimates the difference d from what it saw: the fraction of
 * zero cells in the XORed table (each element touches 3 cells, so a cell stays zero with
 * probability (1 - 1/m)^(3d)), the reference decoder's peel count, and the count
 * difference (each a lower bound on its own). It then asks for the smallest power of
 * two that `cellsNeeded` says decodes d elements 99.9 % of the time. A saturated table
 * (no zero cells) only says d > m ln(m) / 3, so the server then guesses high.
 */
import { isLowerHex, toHex } from '../bytes.ts'
import { fail, ok, type Result } from '../errors.ts'
import { decode } from './decode.ts'
import { DEFAULT_CELL_CAP, isPowerOfTwo, SetSketch } from './set-sketch.ts'
import type { SetSummary } from './set-summary.ts'

/** What a client sends first when it knows nothing about the difference: 64 cells, 2 KiB. */
export const DEFAULT_FIRST_CELLS = 64

/** `POST /v1/spaces/{space}/reconcile` body. */
export interface ReconcileRequestWire {
  setId: string
  count: number
  cells: number
  sketch: string
}

/** A parsed reconcile request. */
export interface ReconcileRequest {
  setId: string
  count: number
  sketch: SetSketch
}

/**
 * The server's answer as the pure core decides it. On the wire, `diff` carries the live
 * ops named by `clientLacks` as `ops` (the server looks them up) instead of their ids.
 */
export type ReconcileAnswer =
  | { status: 'in-sync' }
  | { status: 'diff'; serverLacks: string[]; clientLacks: string[] }
  | { status: 'retry'; cells: number }
  | { status: 'fallback' }

/** The answer as the client receives it (`ops` as sent; validating them is the op layer's job). */
export type ReconcileReply =
  | { status: 'in-sync' }
  | { status: 'diff'; serverLacks: string[]; ops: unknown[] }
  | { status: 'retry'; cells: number }
  | { status: 'fallback' }

/** What the server reconciles against: its live set, kept incrementally. */
export interface ReconcileServerSet {
  /**
   * Sketch, set id and count of its live op ids. The sketch must be at least as large as
   * the request (a request larger than it is answered `fallback`); retries may ask for
   * up to the cap, so a server keeping a smaller summary builds a larger one on demand.
   */
  summary: SetSummary
  /** Whether an op id (64 lower-case hex) is in its live set. */
  has(id: string): boolean
}

export interface ReconcileOptions {
  /** Largest sketch accepted or asked for, in cells (default 65,536). */
  cap?: number
}

/** The client's request at `cells` (a power of two no larger than the summary's size). */
export function buildReconcileRequest(
  summary: SetSummary,
  cells = DEFAULT_FIRST_CELLS,
): ReconcileRequestWire {
  const { sketch } = summary.sketchAt(Math.min(cells, summary.cells)).toWire()
  return { setId: summary.id, count: summary.count, cells: Math.min(cells, summary.cells), sketch }
}

/**
 * A first size for a client that has an idea of the difference (say, its unpushed ops
 * plus the ops the server reported since its cursor); 64 without one.
 */
export function firstCells(expectedDifference?: number, cap = DEFAULT_CELL_CAP): number {
  if (expectedDifference === undefined || !(expectedDifference > 0)) return Math.min(DEFAULT_FIRST_CELLS, cap)
  return Math.min(cap, Math.max(DEFAULT_FIRST_CELLS, nextPowerOfTwo(cellsNeeded(expectedDifference))))
}

/** Parses a reconcile request body; `malformed` for anything off (unknown keys included). */
export function parseReconcileRequest(
  body: unknown,
  options: ReconcileOptions = {},
): Result<ReconcileRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('malformed', 'reconcile request must be an object')
  }
  const b = body as Record<string, unknown>
  for (const key of Object.keys(b)) {
    if (key !== 'setId' && key !== 'count' && key !== 'cells' && key !== 'sketch') {
      return fail('malformed', `unknown key ${JSON.stringify(key.slice(0, 40))}`)
    }
  }
  if (!isLowerHex(b.setId, 64)) return fail('malformed', 'setId must be 64 lower-case hex digits')
  if (!isCount(b.count)) return fail('malformed', 'count must be a non-negative integer')
  const sketch = SetSketch.fromWire(b, options.cap ?? DEFAULT_CELL_CAP)
  if (!sketch.ok) return sketch
  return ok({ setId: b.setId, count: b.count, sketch: sketch.value })
}

/**
 * The server's answer to a parsed request. Every `diff` is verified: the server's set
 * toggled with the decoded ids must have the client's set id, since a zero table can
 * hide a wrong answer.
 */
export function answerReconcile(
  request: ReconcileRequest,
  server: ReconcileServerSet,
  options: ReconcileOptions = {},
): ReconcileAnswer {
  const cap = options.cap ?? DEFAULT_CELL_CAP
  const { summary } = server
  if (request.setId === summary.id) return { status: 'in-sync' }
  const cells = request.sketch.cells
  // A request larger than what the server keeps cannot be folded to; it is not the
  // client's fault, so it falls back rather than failing.
  if (cells > summary.cells || cells > cap) return { status: 'fallback' }
  const table = summary.sketchAt(cells).xor(request.sketch)
  const zeros = table.zeroCells()
  let serverLacks: string[] = []
  let clientLacks: string[] = []
  const result = decode(table, elements => {
    const sum = summary.sumCopy()
    serverLacks = []
    clientLacks = []
    for (const e of elements) {
      const id = toHex(e)
      if (server.has(id)) {
        sum.remove(e)
        clientLacks.push(id)
      } else {
        sum.add(e)
        serverLacks.push(id)
      }
    }
    return sum.count === request.count && sum.id() === request.setId
  })
  if (result.ok) return { status: 'diff', serverLacks: serverLacks.sort(), clientLacks: clientLacks.sort() }
  // Retries may ask up to the cap even when the summary is smaller: a server that keeps a
  // small running summary builds a larger one from its live ids for the rare big request.
  if (cells >= cap) return { status: 'fallback' }
  const estimate = estimateDifference({
    cells,
    zeroCells: zeros,
    peels: result.limited ? 0 : result.peels,
    countDifference: Math.abs(summary.count - request.count),
  })
  return {
    status: 'retry',
    cells: zeros < 3 ? saturatedRetry(cells, estimate, cap) : retryCells(cells, estimate, cap),
  }
}

/** What a failed round tells about the difference. */
export interface FailedRound {
  cells: number
  /** Zero cells of the XORed table before decoding. */
  zeroCells: number
  /** Peels of the reference decoder before it stopped. */
  peels: number
  /** |server count - client count|. */
  countDifference: number
}

/** An estimate of the difference size after a failed round (see the module comment). */
export function estimateDifference(round: FailedRound): number {
  const m = round.cells
  let fromZeros: number
  if (m === 1) {
    fromZeros = 2
  } else if (round.zeroCells < 3) {
    // (Nearly) saturated: the last zero cell goes at about m ln(m) / 3 elements, so d is
    // at least that and the zero count says no more. Guess past it; if the guess is short,
    // the next table is sparse enough to estimate from.
    fromZeros = (2 * m * Math.log(m)) / 3
  } else {
    // Pessimistic by one standard deviation of the zero count, so the retry rarely falls short.
    const zeros = round.zeroCells
    const z = Math.max(0.5, zeros - Math.sqrt(zeros * (1 - zeros / m)))
    fromZeros = Math.log(z / m) / (3 * Math.log(1 - 1 / m))
  }
  return Math.ceil(Math.max(fromZeros, round.peels, round.countDifference, 1))
}

/**
 * Cells for one round to decode a difference of `d` with probability about 99.9 %,
 * measured in bench/sketch. Two effects set it: the peeling threshold (about 1.23 cells
 * per element, plus finite-size slack) and, for small d, stopping sets of two elements
 * that no peeling order can open: two elements on the same three cells (about
 * 3 d^2 / m^3), or two elements whose hashes coincide in a pair (so each lives in one
 * cell) on the same cell (about 4.5 d^2 / m^3). For 0.1 %, m^3 >= 7,500 d^2.
 */
export function cellsNeeded(d: number): number {
  if (d <= 1) return 1
  const threshold = d * (1.3 + 3 / Math.sqrt(d))
  const pairs = Math.cbrt(7500 * d * d)
  return Math.ceil(Math.max(threshold, pairs))
}

/** The size a retry asks for: at least twice the last, at most `cap`. */
export function retryCells(lastCells: number, estimate: number, cap: number): number {
  return Math.min(cap, Math.max(2 * lastCells, nextPowerOfTwo(cellsNeeded(estimate))))
}

/**
 * The retry after a table saturated (fewer than 3 zero cells): the estimate is only a
 * lower bound, so a first round jumps at least 8 times, far enough that its own table,
 * if it fails too, is sparse enough to size the last round from. A saturated table
 * larger than a first round (the server keeps no state, so size tells) means that
 * second round fell short too: only the cap can still work within three round trips.
 */
export function saturatedRetry(lastCells: number, estimate: number, cap: number): number {
  if (lastCells > DEFAULT_FIRST_CELLS) return cap
  return Math.min(cap, Math.max(8 * lastCells, nextPowerOfTwo(cellsNeeded(estimate))))
}

/** Parses the server's answer on the client; `malformed` for anything off. */
export function parseReconcileReply(body: unknown, options: ReconcileOptions = {}): Result<ReconcileReply> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('malformed', 'reconcile answer must be an object')
  }
  const b = body as Record<string, unknown>
  switch (b.status) {
    case 'in-sync':
      return ok({ status: 'in-sync' })
    case 'fallback':
      return ok({ status: 'fallback' })
    case 'retry': {
      const cap = options.cap ?? DEFAULT_CELL_CAP
      if (!isPowerOfTwo(b.cells) || b.cells > cap)
        return fail('malformed', 'retry cells must be a power of two')
      return ok({ status: 'retry', cells: b.cells })
    }
    case 'diff': {
      if (!Array.isArray(b.serverLacks) || !b.serverLacks.every(id => isLowerHex(id, 64))) {
        return fail('malformed', 'serverLacks must be a list of op ids')
      }
      if (!Array.isArray(b.ops)) return fail('malformed', 'ops must be a list')
      return ok({ status: 'diff', serverLacks: b.serverLacks as string[], ops: b.ops })
    }
    default:
      return fail('malformed', 'unknown reconcile status')
  }
}

/** What the client does next. */
export type ReconcileStep =
  | { action: 'done' }
  | { action: 'apply'; serverLacks: string[]; ops: unknown[] }
  | { action: 'retry'; request: ReconcileRequestWire }
  | { action: 'fallback' }

/**
 * The client's next step after `reply` to a request of `lastCells`. A retry must ask
 * for more cells than the last request; one the client's summary is too small for, or
 * one that does not grow, ends in the fallback (hash exchange or snapshot).
 */
export function nextReconcileStep(
  reply: ReconcileReply,
  summary: SetSummary,
  lastCells: number,
): ReconcileStep {
  switch (reply.status) {
    case 'in-sync':
      return { action: 'done' }
    case 'diff':
      return { action: 'apply', serverLacks: reply.serverLacks, ops: reply.ops }
    case 'retry':
      if (reply.cells <= lastCells || reply.cells > summary.cells) return { action: 'fallback' }
      return { action: 'retry', request: buildReconcileRequest(summary, reply.cells) }
    case 'fallback':
      return { action: 'fallback' }
  }
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}

function nextPowerOfTwo(n: number): number {
  let p = 1
  while (p < n && p < 2 ** 30) p *= 2
  return p
}
