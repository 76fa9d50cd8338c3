/**
 * `syncline/react`: hooks over the browser API for React 18 and later (an optional
 * peer dependency). Each hook is a live subscription read through
 * `useSyncExternalStore`; it stops when the component unmounts.
 */
export { useQuery, useRecord } from './use-query.ts'
export { useSyncStatus } from './use-sync-status.ts'
