/**
 * Shared by every benchmark: time a function robustly (median of several runs),
 * print a table, and write the rows to bench/results/<name>.json with machine facts.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export type Row = Record<string, string | number | boolean | null>

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Percentile p (0..100) of a list, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/**
 * Runs `work` (which does `count` units) `runs` times after a warm-up and returns
 * the median rate in units per second.
 */
export async function rate(count: number, work: () => unknown | Promise<unknown>, runs = 5): Promise<number> {
  await work()
  const rates: number[] = []
  for (let i = 0; i < runs; i++) {
    // Collect the previous run's garbage first (with --expose-gc, as `npm run bench` runs
    // node), so that a run does not pay for the one before it.
    ;(globalThis as { gc?: () => void }).gc?.()
    const start = performance.now()
    await work()
    const seconds = (performance.now() - start) / 1000
    rates.push(count / seconds)
  }
  return median(rates)
}

/** Prints rows as an aligned table. */
export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`)
  if (rows.length === 0) return
  const keys = Object.keys(rows[0]!)
  const cell = (v: Row[string]) => (typeof v === 'number' ? formatNumber(v) : String(v))
  const widths = keys.map(k => Math.max(k.length, ...rows.map(r => cell(r[k] ?? null).length)))
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i]!)).join('  ')
  console.log(line(keys))
  console.log(line(widths.map(w => '-'.repeat(w))))
  for (const r of rows) console.log(line(keys.map(k => cell(r[k] ?? null))))
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US')
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US')
  return v.toPrecision(3)
}

/** Writes rows to bench/results/<name>.json, with when and where they were measured. */
export function writeResults(name: string, rows: Row[], extra: Record<string, unknown> = {}): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}.json`)
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGiB: totalmem() / 2 ** 30,
  }
  writeFileSync(
    file,
    `${JSON.stringify({ name, date: new Date().toISOString(), machine, ...extra, rows }, null, 2)}\n`,
  )
  return file
}
