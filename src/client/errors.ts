/** Turns the engine's coded results into values or thrown `SynclineError`s. */
import { type Result, SynclineError } from '../core/errors.ts'

export { SynclineError }

export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value
  throw new SynclineError(result.error.code, result.error.message)
}
