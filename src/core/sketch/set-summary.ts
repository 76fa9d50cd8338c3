/**
 * A set kept as what reconciliation needs of it: a sketch at a large size (folded down
 * for each request), the running set-id sum and the count. Both change in O(1) per
 * element, so the engine and the server update it as ops enter and leave the live set
 * instead of rebuilding a large sketch per request.
 */
import { fromHex } from '../bytes.ts'
import { SynclineError } from '../errors.ts'
import { SetIdSum } from './set-id.ts'
import { DEFAULT_CELL_CAP, ELEMENT_BYTES, SetSketch } from './set-sketch.ts'

export class SetSummary {
  readonly sketch: SetSketch
  private sum: SetIdSum
  private cachedId: string | undefined

  /** An empty set kept at `cells` (the largest size it will ever be asked for). */
  constructor(cells: number = DEFAULT_CELL_CAP) {
    this.sketch = new SetSketch(cells)
    this.sum = new SetIdSum()
  }

  /** The summary of `elements` (no repeats). */
  static of(elements: Iterable<Uint8Array>, cells: number = DEFAULT_CELL_CAP): SetSummary {
    const out = new SetSummary(cells)
    for (const e of elements) out.add(e)
    return out
  }

  /** The summary of hex ids (64 lower-case hex digits each); throws `malformed` on another form. */
  static ofIds(ids: Iterable<string>, cells: number = DEFAULT_CELL_CAP): SetSummary {
    const out = new SetSummary(cells)
    for (const id of ids) out.add(elementOf(id))
    return out
  }

  /** An independent copy (say, a snapshot to answer from while the live one changes). */
  copy(): SetSummary {
    const out = new SetSummary(this.cells)
    out.sketch.xor(this.sketch)
    out.sum = this.sum.copy()
    return out
  }

  /** The largest size this summary can give a sketch at. */
  get cells(): number {
    return this.sketch.cells
  }

  get count(): number {
    return this.sum.count
  }

  /** The set id (cached until the set changes). */
  get id(): string {
    this.cachedId ??= this.sum.id()
    return this.cachedId
  }

  /** Adds an element that is not in the set. */
  add(element: Uint8Array): void {
    this.sketch.toggle(element)
    this.sum.add(element)
    this.cachedId = undefined
  }

  /** Removes an element that is in the set. */
  remove(element: Uint8Array): void {
    this.sketch.toggle(element)
    this.sum.remove(element)
    this.cachedId = undefined
  }

  /** The sketch at `cells` (a power of two no larger than `this.cells`), as a new object. */
  sketchAt(cells: number): SetSketch {
    return this.sketch.fold(cells)
  }

  /** @internal a copy of the running sum, for verification. */
  sumCopy(): SetIdSum {
    return this.sum.copy()
  }
}

/** The 32 bytes of a hex id; throws `malformed` unless it is 64 lower-case hex digits. */
export function elementOf(id: string): Uint8Array {
  const bytes = id.length === 2 * ELEMENT_BYTES ? fromHex(id) : undefined
  if (bytes === undefined) {
    throw new SynclineError(
      'malformed',
      `a set element is 64 lower-case hex digits, got ${JSON.stringify(id.slice(0, 80))}`,
    )
  }
  return bytes
}
