import { openIdbOpLog } from './idb-oplog.ts'
import { oplogConformance } from './oplog-conformance.ts'

oplogConformance('IndexedDB', name => openIdbOpLog(name))
