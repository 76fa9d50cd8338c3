import { memoryStore } from './memory-store.ts'
import { storeConformance } from './store-conformance.ts'

storeConformance('memory', { open: () => memoryStore() })
