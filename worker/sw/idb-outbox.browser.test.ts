import { openIdbOutbox } from './idb-outbox.ts'
import { outboxConformance } from './outbox-conformance.ts'

outboxConformance('IndexedDB', name => openIdbOutbox(name))
