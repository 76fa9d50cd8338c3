/** Ops for the service worker's tests: shaped like real ones, unsigned (the outbox never checks). */
import type { Op } from '../../src/core/op.ts'

/** An op whose hlc orders by `time` (ns within one second) and then by `clock` (the tab). */
export function testOp(time: number, clock = 'A', extra: Partial<Op> = {}): Op {
  return {
    space: 's',
    collection: 'items',
    record: `r${time}`,
    action: 'update',
    fields: { time, text: 'é😀' },
    hlc: `2026-01-01T00:00:00.${String(time).padStart(9, '0')}Z/${clock.repeat(32)}`,
    author: 'dev',
    id: `${clock.charCodeAt(0).toString(16)}${time.toString(16).padStart(62, '0')}`,
    sig: 'sig',
    ...extra,
  }
}
