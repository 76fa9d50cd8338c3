/** The pull filters of PROTOCOL.md §7 as a predicate, for stores that filter in code. */
import type { OpFilter, OpRow } from './store.ts'

export function matchesFilter(row: OpRow, filter: OpFilter): boolean {
  if (filter.liveOnly && !row.live) return false
  if (filter.collections && !filter.collections.includes(row.collection)) return false
  if (filter.prefix !== undefined && !row.record.startsWith(filter.prefix)) return false
  return true
}
