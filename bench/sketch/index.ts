/**
 * Set reconciliation benchmark (issue 3, TARGETS.md): for differences d from 1 to
 * 100,000 between sets of 10 x d common elements plus the difference,
 *   1. cells per element one round needs for 99.9 % success (power-of-two sizes, as the
 *      wire allows), for the reference decoder and ours;
 *   2. the whole reconcile protocol (64-cell first round, server-estimated retries):
 *      bytes, round trips and success over many trials;
 *   3. the same differences with a plain list of ids and with Negentropy (nostr-tools
 *      nip77), in the same run;
 *   4. decode throughput.
 * Run: npx tsx bench/sketch/index.ts [--quick]
 */
import { nip77 } from 'nostr-tools'
import { toHex } from '../../src/core/bytes.ts'
import { decode, decodeReference } from '../../src/core/sketch/decode.ts'
import {
  answerReconcile,
  buildReconcileRequest,
  nextReconcileStep,
  parseReconcileReply,
  parseReconcileRequest,
  type ReconcileRequestWire,
} from '../../src/core/sketch/reconcile.ts'
import { SetIdSum } from '../../src/core/sketch/set-id.ts'
import { SetSketch } from '../../src/core/sketch/set-sketch.ts'
import { SetSummary } from '../../src/core/sketch/set-summary.ts'
import { median, printTable, type Row, writeResults } from '../lib/report.ts'

const QUICK = process.argv.includes('--quick')
const DS = [1, 10, 100, 1_000, 10_000, 100_000]

/** Trials per d: 1,000 where affordable; fewer for the largest sizes (said in the output). */
function trialsFor(d: number, kind: 'threshold' | 'protocol'): number {
  const full = kind === 'threshold' ? [1000, 1000, 1000, 1000, 1000, 100] : [1000, 1000, 1000, 1000, 200, 20]
  const n = full[DS.indexOf(d)]!
  return QUICK ? Math.max(5, Math.ceil(n / 20)) : n
}

// A seeded generator, so runs are repeatable (xorshift128).
let s0 = 0x9e3779b9
let s1 = 0x243f6a88
let s2 = 0xb7e15162
let s3 = 0x12345678
function rand32(): number {
  const t = s0 ^ (s0 << 11)
  s0 = s1
  s1 = s2
  s2 = s3
  s3 = (s3 ^ (s3 >>> 19) ^ (t ^ (t >>> 8))) >>> 0
  return s3
}
function randomElements(n: number): Uint8Array {
  const out = new Uint8Array(n * 32)
  const w = new Uint32Array(out.buffer)
  for (let i = 0; i < w.length; i++) w[i] = rand32()
  return out
}
const at = (packed: Uint8Array, i: number) => packed.subarray(32 * i, 32 * i + 32)

// 1. Cells per element for 99.9 % in one round -------------------------------------

function thresholdRows(): Row[] {
  const rows: Row[] = []
  for (const d of DS) {
    const trials = trialsFor(d, 'threshold')
    let m = 1
    while (m < 1.2 * d) m *= 2
    for (;;) {
      let ref = 0
      let ours = 0
      for (let t = 0; t < trials; t++) {
        const diff = randomElements(d)
        const table = new SetSketch(m)
        table.toggleAll(diff)
        const truth = new SetIdSum()
        for (let i = 0; i < d; i++) truth.add(at(diff, i))
        const truthId = truth.id()
        const verify = (els: Uint8Array[]) => els.length === d && SetIdSum.of(els).id() === truthId
        const r = decodeReference(table)
        const refOk = r.zero && r.count === d
        if (refOk) ref++
        if (refOk || decode(table, verify).ok) ours++
      }
      const done = ours >= Math.ceil(0.999 * trials) || m >= 1 << 22
      if (done || m >= 4 * d) {
        rows.push({
          d,
          cells: m,
          'cells/elt': m / d,
          trials,
          'reference ok %': (100 * ref) / trials,
          'ours ok %': (100 * ours) / trials,
        })
      }
      if (done) break
      m *= 2
    }
  }
  return rows
}

// 2 and 3. The protocol, a plain list and Negentropy on the same kind of sets --------

interface Base {
  summary: SetSummary
  ids: Set<string>
  hexes: string[]
}

function baseSet(n: number, cells: number): Base {
  const packed = randomElements(n)
  const summary = new SetSummary(cells)
  const hexes: string[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const e = at(packed, i)
    summary.add(e)
    hexes[i] = toHex(e)
  }
  return { summary, ids: new Set(hexes), hexes }
}

interface Trial {
  serverOnly: string[]
  clientOnly: string[]
  serverOnlyPacked: Uint8Array
  clientOnlyPacked: Uint8Array
}

/** A difference of d, each element on the server's or the client's side at random. */
function trialDiff(d: number): Trial {
  const packed = randomElements(d)
  const serverIdx: number[] = []
  const clientIdx: number[] = []
  for (let i = 0; i < d; i++) (rand32() & 1 ? serverIdx : clientIdx).push(i)
  const pick = (idx: number[]) => {
    const out = new Uint8Array(idx.length * 32)
    idx.forEach((i, k) => {
      out.set(at(packed, i), 32 * k)
    })
    return out
  }
  const serverOnlyPacked = pick(serverIdx)
  const clientOnlyPacked = pick(clientIdx)
  const hexes = (p: Uint8Array) => Array.from({ length: p.length / 32 }, (_, i) => toHex(at(p, i)))
  return {
    serverOnly: hexes(serverOnlyPacked),
    clientOnly: hexes(clientOnlyPacked),
    serverOnlyPacked,
    clientOnlyPacked,
  }
}

function protocolRows(): Row[] {
  const rows: Row[] = []
  for (const d of DS) {
    const cap = d >= 50_000 ? 262_144 : 65_536
    const trials = trialsFor(d, 'protocol')
    const base = baseSet(10 * d, cap)
    let success = 0
    const bytes: number[] = []
    const wire: number[] = []
    const rounds: number[] = []
    let maxRounds = 0
    for (let t = 0; t < trials; t++) {
      const trial = trialDiff(d)
      const server = base.summary.copy()
      const client = base.summary.copy()
      for (let i = 0; i < trial.serverOnly.length; i++) server.add(at(trial.serverOnlyPacked, i))
      for (let i = 0; i < trial.clientOnly.length; i++) client.add(at(trial.clientOnlyPacked, i))
      const serverOnly = new Set(trial.serverOnly)
      const has = (id: string) => base.ids.has(id) || serverOnly.has(id)
      let request: ReconcileRequestWire = buildReconcileRequest(client, 64)
      let sketchBytes = 0
      let wireBytes = 0
      let round = 0
      let ok = false
      for (;;) {
        round++
        sketchBytes += request.cells * 32
        const requestJson = JSON.stringify(request)
        wireBytes += requestJson.length
        const parsed = parseReconcileRequest(JSON.parse(requestJson), { cap })
        if (!parsed.ok) throw new Error(parsed.error.message)
        const answer = answerReconcile(parsed.value, { summary: server, has }, { cap })
        // On the wire the diff carries ops; count the ids that name them instead.
        wireBytes += JSON.stringify(answer).length
        const wireAnswer =
          answer.status === 'diff'
            ? { status: 'diff', serverLacks: answer.serverLacks, ops: answer.clientLacks }
            : answer
        const reply = parseReconcileReply(wireAnswer, { cap })
        if (!reply.ok) throw new Error(reply.error.message)
        const step = nextReconcileStep(reply.value, client, request.cells)
        if (step.action === 'apply') {
          ok =
            answer.status === 'diff' &&
            sameSet(answer.serverLacks, trial.clientOnly) &&
            sameSet(answer.clientLacks, trial.serverOnly)
          break
        }
        if (step.action !== 'retry') break
        request = step.request
      }
      if (ok) success++
      bytes.push(sketchBytes)
      wire.push(wireBytes)
      rounds.push(round)
      maxRounds = Math.max(maxRounds, round)
    }
    const target = 2 * d * 32
    rows.push({
      d,
      set: 11 * d,
      trials,
      cap,
      'success %': (100 * success) / trials,
      'round trips p50': median(rounds),
      'round trips max': maxRounds,
      'sketch bytes p50': median(bytes),
      'sketch bytes max': Math.max(...bytes),
      'x (d*32)': median(bytes) / (d * 32),
      'target 2x': median(bytes) <= target && Math.max(...bytes) <= target ? 'met' : 'missed',
      'JSON bytes p50': median(wire),
    })
  }
  return rows
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false
  const s = new Set(a)
  return b.every(x => s.has(x))
}

function peerRows(): Row[] {
  const rows: Row[] = []
  for (const d of DS) {
    const trials = QUICK ? 1 : d >= 100_000 ? 1 : 3
    const negBytes: number[] = []
    const negRounds: number[] = []
    const negMs: number[] = []
    let negOk = 0
    for (let t = 0; t < trials; t++) {
      const base = randomElements(10 * d)
      const trial = trialDiff(d)
      const server = new nip77.NegentropyStorageVector()
      const client = new nip77.NegentropyStorageVector()
      for (let i = 0; i < 10 * d; i++) {
        const hex = toHex(at(base, i))
        server.insert(0, hex)
        client.insert(0, hex)
      }
      for (const hex of trial.serverOnly) server.insert(0, hex)
      for (const hex of trial.clientOnly) client.insert(0, hex)
      server.seal()
      client.seal()
      const start = performance.now()
      // Frames unlimited: Negentropy's fewest round trips.
      const ne = new nip77.Negentropy(client, 1e12)
      const ns = new nip77.Negentropy(server, 1e12)
      const have: string[] = []
      const need: string[] = []
      let msg: string | null = ne.initiate()
      let bytes = 0
      let rounds = 0
      while (msg !== null) {
        rounds++
        bytes += msg.length / 2
        // This port lets the answering side find differences too (in its id lists).
        const answer = ns.reconcile(
          msg,
          id => need.push(id),
          id => have.push(id),
        )
        if (answer === null) break
        bytes += answer.length / 2
        msg = ne.reconcile(
          answer,
          id => have.push(id),
          id => need.push(id),
        )
      }
      negMs.push(performance.now() - start)
      if (sameSet([...new Set(have)], trial.clientOnly) && sameSet([...new Set(need)], trial.serverOnly))
        negOk++
      negBytes.push(bytes)
      negRounds.push(rounds)
    }
    // A plain list: the client sends all its ids, the server answers with the ids it lacks
    // (and sends the ops the client lacks): one round trip.
    const clientCount = 10 * d + d / 2
    rows.push({
      d,
      'list bytes': Math.round((clientCount + d / 2) * 32),
      'list x (d*32)': (clientCount + d / 2) / d,
      'list round trips': 1,
      'negentropy bytes': median(negBytes),
      'negentropy x (d*32)': median(negBytes) / (d * 32),
      'negentropy round trips': median(negRounds),
      'negentropy ms': median(negMs),
      'negentropy ok': `${negOk}/${trials}`,
    })
  }
  return rows
}

// 4. Decode throughput ------------------------------------------------------------

function throughputRows(): Row[] {
  const rows: Row[] = []
  for (const [d, m] of [
    [10_000, 16_384],
    [100_000, 131_072],
    [100_000, 262_144],
  ] as const) {
    const diff = randomElements(d)
    const table = new SetSketch(m)
    table.toggleAll(diff)
    const truthId = SetIdSum.of(Array.from({ length: d }, (_, i) => at(diff, i))).id()
    const runs = QUICK ? 3 : 7
    const ref: number[] = []
    const full: number[] = []
    for (let r = 0; r < runs + 1; r++) {
      let start = performance.now()
      const out = decodeReference(table)
      const refSeconds = (performance.now() - start) / 1000
      if (!out.zero || out.count !== d) throw new Error('throughput table did not decode')
      start = performance.now()
      const res = decode(table, els => SetIdSum.of(els).id() === truthId)
      const fullSeconds = (performance.now() - start) / 1000
      if (!res.ok) throw new Error('throughput table did not verify')
      if (r > 0) {
        ref.push(d / refSeconds)
        full.push(d / fullSeconds)
      }
    }
    rows.push({
      d,
      cells: m,
      'peel elements/s': median(ref),
      'decode+verify elements/s': median(full),
      target: '>= 2,000,000',
      met: median(ref) >= 2e6 ? 'yes' : 'no',
    })
  }
  return rows
}

const started = performance.now()
const threshold = thresholdRows()
printTable('One round: smallest power-of-two sketch with >= 99.9 % success (d random elements)', threshold)
const protocol = protocolRows()
printTable(
  'Reconcile protocol: 64-cell first round, server-estimated retry; sets of 10 x d common + d different (cap raised to 262,144 cells for d = 100,000; 200 / 20 trials for d = 10,000 / 100,000)',
  protocol,
)
const peers = peerRows()
printTable(
  'Peers on the same sets: plain id list, Negentropy (nostr-tools nip77, unlimited frames; 3 trials, 1 for d = 100,000)',
  peers,
)
const throughput = throughputRows()
printTable('Decode throughput (Node, one thread)', throughput)
const seconds = (performance.now() - started) / 1000
console.log(`\n${QUICK ? 'quick run, ' : ''}${seconds.toFixed(1)} s`)
writeResults('sketch', [...threshold, ...protocol, ...peers, ...throughput], {
  quick: QUICK,
  seconds,
  tables: { threshold, protocol, peers, throughput },
})
