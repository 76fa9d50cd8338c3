import { MemoryOpLog, MemoryStore } from './memory-oplog.ts'
import { oplogConformance } from './oplog-conformance.ts'

const stores = new Map<string, MemoryStore>()
oplogConformance('memory', async name => {
  if (!stores.has(name)) stores.set(name, new MemoryStore())
  return new MemoryOpLog(stores.get(name)!)
})
