/**
 * Multi-tab leadership: exactly one tab of a replica talks to the server. The leader
 * is whoever holds a Web Lock named after the replica; when its tab closes (or
 * crashes) the browser releases the lock and the next waiting tab gets it, usually
 * within milliseconds. Web Locks exist in workers of every current browser, unlike
 * SharedWorker, which Android Chrome lacks.
 */

export interface Leadership {
  readonly isLeader: boolean
  /** Gives up leadership (or the wait for it). */
  release(): void
}

/**
 * Waits for the lock `syncline:<name>:leader` and calls `onLead` once it is held.
 * Where Web Locks are missing, this tab leads at once (one tab is all it can know of).
 */
export function electLeader(
  name: string,
  onLead: () => void,
  locks = globalThis.navigator?.locks,
): Leadership {
  let isLeader = false
  let release: () => void = () => {}
  const held = new Promise<void>(resolve => (release = resolve))
  const abort = new AbortController()
  if (!locks) {
    isLeader = true
    queueMicrotask(onLead)
  } else {
    locks
      .request(`syncline:${name}:leader`, { signal: abort.signal }, () => {
        isLeader = true
        onLead()
        return held
      })
      .catch(() => {
        // Aborted while waiting: this tab is closing.
      })
  }
  return {
    get isLeader() {
      return isLeader
    },
    release() {
      isLeader = false
      abort.abort()
      release()
    },
  }
}
