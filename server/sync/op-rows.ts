/**
 * Between ops as the core sees them (objects) and as the store keeps them (fields as
 * JSON text), and the JSON text of an op on the wire, written straight from stored
 * columns so a large pull never parses and re-serialises every op.
 */
import type { Op } from '../../src/core/op.ts'
import type { NewOp, OpRow, StoredOp } from '../store/store.ts'

export function toNewOp(op: Op, live: boolean): NewOp {
  return {
    id: op.id,
    collection: op.collection,
    record: op.record,
    action: op.action,
    fields: op.fields === undefined ? undefined : JSON.stringify(op.fields),
    hlc: op.hlc,
    author: op.author,
    sig: op.sig,
    live,
  }
}

export function toOp(space: string, row: StoredOp): Op {
  const op: Op = {
    space,
    collection: row.collection,
    record: row.record,
    action: row.action,
    hlc: row.hlc,
    author: row.author,
    id: row.id,
    sig: row.sig,
  }
  if (row.fields !== undefined) op.fields = JSON.parse(row.fields)
  return op
}

/** `{"space":...,"collection":...,...}`: the wire JSON of a stored op. */
export function opJsonText(spaceJson: string, row: StoredOp): string {
  let text = `{"space":${spaceJson},"collection":${JSON.stringify(row.collection)},"record":${JSON.stringify(row.record)},"action":"${row.action}"`
  if (row.fields !== undefined) text += `,"fields":${row.fields}`
  return `${text},"hlc":"${row.hlc}","author":"${row.author}","id":"${row.id}","sig":"${row.sig}"}`
}

/** `[{"seq":1,"op":{...}},...]` for rows of one space. */
export function seqOpsJsonText(space: string, rows: readonly OpRow[]): string {
  const spaceJson = JSON.stringify(space)
  let text = '['
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    text += `${i ? ',' : ''}{"seq":${row.seq},"op":${opJsonText(spaceJson, row)}}`
  }
  return `${text}]`
}
