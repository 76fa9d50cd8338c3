/**
 * The oppack format's names and shapes, shared by its writer (oppack.ts) and its
 * reader (oppack-decode.ts). The layout is described at the top of oppack.ts.
 */
import type { Action, Op } from './op.ts'

/** An op as a store keeps it: its fields still JSON text, with its sequence number. */
export interface OpPackRow {
  seq: number
  id: string
  collection: string
  record: string
  action: Action
  /** The op's `fields` as JSON text; undefined for a delete. */
  fields: string | undefined
  hlc: string
  author: string
  sig: string
}

export const OPPACK_TYPE = 'application/vnd.syncline.oppack'

export const MAGIC = [0x53, 0x4c, 0x4f, 0x50] // "SLOP"
export const VERSION = 1
export const ACTIONS: readonly Action[] = ['create', 'update', 'delete']
export const FLAG_IDS = 1
export const FLAG_MORE = 2
export const FLAG_RESYNC = 4

export interface OpPackMeta {
  after: number
  head: number
  horizon: number
  total: number
  more: boolean
  resync?: boolean
}

export interface OpPackPage extends OpPackMeta {
  space: string
  ops: { seq: number; op: Op }[]
}

/** What a header writer needs of an oppack writer (the core's and the server's). */
export interface HeaderSink {
  byte(b: number): void
  uint(n: number): void
  string(s: string): void
}

/** The header both writers start with: magic, version, flags, cursors, space, op count. */
export function writeOpPackHeader(
  w: HeaderSink,
  space: string,
  n: number,
  meta: OpPackMeta,
  withIds: boolean,
) {
  for (const b of MAGIC) w.byte(b)
  w.byte(VERSION)
  w.uint((withIds ? FLAG_IDS : 0) | (meta.more ? FLAG_MORE : 0) | (meta.resync ? FLAG_RESYNC : 0))
  w.uint(meta.after)
  w.uint(meta.head)
  w.uint(meta.horizon)
  w.uint(meta.total)
  w.string(space)
  w.uint(n)
}
