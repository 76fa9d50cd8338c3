/**
 * A value that a subscription pushes, in the shape `useSyncExternalStore` reads: the
 * subscription starts when React subscribes and stops when it unsubscribes, and the
 * snapshot is the last value pushed (undefined before the first one). The value is
 * kept across a stop and a restart (StrictMode's double mount), so a restart shows the
 * last result until the new subscription's first one replaces it. A subscription that
 * fails makes `get` throw its error, so React hands it to the nearest error boundary.
 */

/** Starts a subscription that calls `listener` with each new value; returns its stop function. */
export type Subscribe<T> = (listener: (value: T) => void, onError: (error: Error) => void) => () => void

export interface LiveStore<T> {
  subscribe(onChange: () => void): () => void
  get(): T | undefined
}

/** A store over `start`; without one (nothing to watch yet), a store that stays undefined. */
export function liveStore<T>(start: Subscribe<T> | undefined): LiveStore<T> {
  let value: T | undefined
  let failure: Error | undefined
  return {
    subscribe: onChange =>
      start?.(
        next => {
          value = next
          onChange()
        },
        error => {
          failure = error
          onChange()
        },
      ) ?? idle,
    get: () => {
      if (failure) throw failure
      return value
    },
  }
}

const idle = () => undefined
