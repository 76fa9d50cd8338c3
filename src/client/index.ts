/** `syncline`: the browser API (API.md). */
export {
  type Client,
  type ClientOptions,
  createClient,
  type Inspection,
  type Space,
  type Status,
} from './client.ts'
export type { Collection, ListOptions, RecordValue, SubscribeOptions, TypedRow } from './collection.ts'
export { SynclineError } from './errors.ts'
